//! GitLab Code Quality reports: a JSON array of issues in the Code Climate
//! subset that GitLab reads from a job's `artifacts:reports:codequality`,
//! and shows in merge-request widgets and diffs.

use opslint_core::Severity;
use serde::Serialize;

use crate::Report;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'static str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// Writes one issue per reported finding. Suppressed findings and questions
/// are left out, because Code Quality has no place for either. Paths are
/// written from the repository's root, which GitLab matches to the diff.
pub fn render(report: &Report<'_>) -> String {
    let repository_path = |path: &str| {
        report
            .files
            .get(path)
            .map_or(path.to_string(), |file| file.identity_path().to_string())
    };
    let issues: Vec<Issue<'_>> = report
        .diagnostics
        .iter()
        .map(|diagnostic| Issue {
            description: format!("{} ({})", diagnostic.message, diagnostic.rule.id),
            check_name: diagnostic.rule.id,
            fingerprint: &diagnostic.fingerprint,
            severity: match diagnostic.severity {
                Severity::Error => "critical",
                Severity::Warning => "major",
                Severity::Note => "info",
            },
            location: Location {
                path: repository_path(&diagnostic.path),
                lines: Lines {
                    begin: diagnostic.start.line,
                    end: diagnostic.end.line,
                },
            },
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}
