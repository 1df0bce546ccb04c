use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::Report;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub code scanning rejects a run with more results than this, and
/// keeps at most this many tags per rule ("SARIF support for code
/// scanning", docs.github.com, upload limits table).
pub const MAX_RESULTS: usize = 25_000;
const MAX_TAGS: usize = 20;

/// SARIF 2.1.0 with one run. Columns are UTF-16 code units, as the log
/// declares in `columnKind`. Paths inside the root are relative URIs against
/// `%SRCROOT%`, as GitHub code scanning expects.
pub fn render(report: &Report<'_>) -> String {
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.id, index))
        .collect();
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|rule| rule_descriptor(rule))
        .collect();

    let repository = RepositoryPaths::of(report);
    let total = report.diagnostics.len() + report.suppressed.len();
    let results: Vec<SarifResult<'_>> = report
        .diagnostics
        .iter()
        .chain(report.suppressed)
        .take(MAX_RESULTS)
        .map(|d| SarifResult {
            level: d.severity.as_str(),
            locations: [Location {
                logical_locations: [LogicalLocation {
                    fully_qualified_name: &d.logical_location,
                }],
                physical_location: PhysicalLocation {
                    artifact_location: repository.artifact_location(&d.path),
                    region: Region {
                        end_column: d.end.utf16_column,
                        end_line: d.end.line,
                        start_column: d.start.utf16_column,
                        start_line: d.start.line,
                    },
                },
            }],
            message: Text { text: &d.message },
            partial_fingerprints: Fingerprints {
                opslint_v1: &d.fingerprint,
            },
            properties: Certainty {
                certainty: d.certainty.as_str(),
            },
            rule_id: d.rule.id,
            rule_index: rule_index.get(d.rule.id).copied(),
            suppressions: d
                .suppression
                .as_ref()
                .map(|suppression| [suppression_object(suppression)]),
        })
        .collect();

    let questions: Vec<Value> = report
        .questions
        .iter()
        .map(|q| {
            json!({
                "id": q.id,
                "rule": q.rule.id,
                "path": q.path,
                "line": q.start.line,
                "question": q.question,
                "reason": q.reason,
            })
        })
        .collect();

    let mut notifications: Vec<Value> = report
        .notices
        .iter()
        .map(|notice| json!({"level": "note", "message": {"text": notice}}))
        .collect();
    if total > MAX_RESULTS {
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "only the first {MAX_RESULTS} of {total} results are included, the most that \
                 GitHub code scanning accepts in one run; narrow the run with --select or \
                 paths, or use --format json for the full list"
            )},
        }));
    }

    let root_uri = format!(
        "{}/",
        file_uri(&repository.root.to_string_lossy()).trim_end_matches('/')
    );
    let log = Log {
        schema: SCHEMA,
        runs: [Run {
            column_kind: "utf16CodeUnits",
            invocations: json!([{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }]),
            original_uri_base_ids: json!({"%SRCROOT%": {"uri": root_uri}}),
            properties: json!({"questions": questions}),
            results,
            tool: json!({
                "driver": {
                    "name": "opslint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/opslint/opslint",
                    "rules": rules,
                },
            }),
        }],
        version: "2.1.0",
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A SARIF `suppression`: comments in the file are `inSource`, the
/// configuration and baselines are `external`.
fn suppression_object(suppression: &opslint_core::Suppression) -> Value {
    let kind = match suppression.kind {
        opslint_core::SuppressionKind::Inline => "inSource",
        opslint_core::SuppressionKind::Config
        | opslint_core::SuppressionKind::Baseline
        | opslint_core::SuppressionKind::Adr => "external",
    };
    let mut value = json!({
        "kind": kind,
        "status": "accepted",
        "justification": suppression.reason,
        "properties": {"source": suppression.source, "opslintKind": suppression.kind.as_str()},
    });
    if let Some(until) = &suppression.until {
        value["properties"]["until"] = json!(until);
    }
    value
}

fn rule_descriptor(rule: &opslint_core::RuleMeta) -> Value {
    let mut tags = Vec::new();
    if let Some(principle) = rule.principle {
        tags.push(format!("principle:{}", principle.slug()));
    }
    tags.extend(rule.waf.iter().map(|id| format!("waf:{id}")));
    tags.truncate(MAX_TAGS);
    let help = rule.help_markdown();
    json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what_it_checks},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": rule.severity.as_str()},
        "properties": {"tags": tags},
    })
}

// The log, its run and its results are serialised from typed records.
// Results are most of a log, and building a `serde_json::Value` for each
// added 340 MiB of peak memory to a 20,000-file run. Fields are declared in
// alphabetical order, the order in which the log has always been printed.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    invocations: Value,
    original_uri_base_ids: Value,
    properties: Value,
    results: Vec<SarifResult<'a>>,
    tool: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<'a>,
    partial_fingerprints: Fingerprints<'a>,
    properties: Certainty,
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Value; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    logical_locations: [LogicalLocation<'a>; 1],
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
    #[serde(rename = "uriBaseId", skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    end_column: usize,
    end_line: usize,
    start_column: usize,
    start_line: usize,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "opslint/v1")]
    opslint_v1: &'a str,
}

#[derive(Serialize)]
struct Certainty {
    certainty: &'static str,
}

/// The folder `%SRCROOT%` names and the paths written against it. GitHub
/// code scanning matches a result to a file by its path from the
/// repository's root, so a run in a subfolder of a git repository (a step's
/// `working-directory`) writes paths from that root, not from the working
/// folder.
struct RepositoryPaths<'a> {
    root: std::path::PathBuf,
    /// The working folder's path from the repository's root, ending in `/`.
    /// It is empty at the root and outside a repository.
    prefix: String,
    files: &'a std::collections::BTreeMap<String, std::sync::Arc<opslint_core::SourceFile>>,
}

impl<'a> RepositoryPaths<'a> {
    fn of(report: &Report<'a>) -> Self {
        let (prefix, root) = crate::repository_root(report.files, report.root)
            .unwrap_or_else(|| (String::new(), report.root.to_path_buf()));
        Self {
            root,
            prefix,
            files: report.files,
        }
    }

    fn artifact_location(&self, path: &str) -> ArtifactLocation {
        if self.prefix.is_empty() {
            return artifact_location(path);
        }
        match self
            .files
            .get(path)
            .and_then(|file| file.repository_path.as_deref())
        {
            Some(identity) => artifact_location(identity),
            None if path.starts_with('/') || path.starts_with("../") => artifact_location(path),
            None => artifact_location(&format!("{}{path}", self.prefix)),
        }
    }
}

/// A relative URI against `%SRCROOT%` for paths inside the root, else an
/// absolute `file:` URI.
fn artifact_location(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation {
            uri: file_uri(path),
            uri_base_id: None,
        }
    } else if path.starts_with("../") {
        let absolute = std::env::current_dir()
            .map(|dir| dir.join(path))
            .ok()
            .and_then(|p| p.canonicalize().ok())
            .map_or_else(|| path.to_string(), |p| p.to_string_lossy().into_owned());
        ArtifactLocation {
            uri: file_uri(&absolute),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode_path(path),
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

fn file_uri(absolute: &str) -> String {
    format!("file://{}", encode_path(absolute))
}

/// Percent-encodes the characters that may not appear in a URI path.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'+'
            | b'='
            | b','
            | b':' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use opslint_core::{Sink, SourceFile, Span, tool_rules};

    use super::*;

    #[test]
    fn results_are_truncated_with_a_notice() {
        let file = SourceFile::new("a.yaml".into(), PathBuf::from("a.yaml"), "a: [\n".into());
        let mut sink = Sink::new();
        for index in 0..=MAX_RESULTS {
            sink.violation(
                &tool_rules::PARSE_ERROR,
                &file,
                Span::new(0, 1),
                index.to_string(),
                "broken",
                "",
            );
        }
        let rules = [&tool_rules::PARSE_ERROR];
        let files = BTreeMap::new();
        let report = Report {
            diagnostics: &sink.diagnostics,
            suppressed: &[],
            show_suppressed: false,
            questions: &[],
            rules: &rules,
            files: &files,
            file_count: 1,
            notices: &[],
            root: Path::new("/project"),
        };
        let sarif: Value = serde_json::from_str(&render(&report)).unwrap();
        let run = &sarif["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), MAX_RESULTS);
        let notice = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap();
        assert!(
            notice.starts_with("only the first 25000 of 25001 results"),
            "{notice}"
        );
    }
}
