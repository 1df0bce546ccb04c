use serde_json::{Value, json};

use crate::Report;

/// The JSON output contract, version 1.
pub fn render(report: &Report<'_>) -> String {
    let shown_suppressed: &[opslint_core::Diagnostic] = if report.show_suppressed {
        report.suppressed
    } else {
        &[]
    };
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .chain(shown_suppressed)
        .map(|d| {
            let mut value = json!({
                "rule": d.rule.id,
                "principle": d.rule.principle.map(|p| p.slug()),
                "waf": d.rule.waf,
                "severity": d.severity.as_str(),
                "certainty": d.certainty.as_str(),
                "path": d.path,
                "line": d.start.line,
                "column": d.start.column,
                "end_line": d.end.line,
                "end_column": d.end.column,
                "logical_location": d.logical_location,
                "message": d.message,
                "help": d.help,
                "fingerprint": d.fingerprint,
            });
            if let Some(suppression) = &d.suppression {
                value["suppression"] = json!({
                    "kind": suppression.kind.as_str(),
                    "reason": suppression.reason,
                    "until": suppression.until,
                    "source": suppression.source,
                });
            }
            value
        })
        .collect();
    let questions: Vec<Value> = report
        .questions
        .iter()
        .map(|q| {
            json!({
                "id": q.id,
                "rule": q.rule.id,
                "principle": q.rule.principle.map(|p| p.slug()),
                "waf": q.rule.waf,
                "path": q.path,
                "line": q.start.line,
                "column": q.start.column,
                "logical_location": q.logical_location,
                "question": q.question,
                "reason": q.reason,
            })
        })
        .collect();
    let mut by_rule = std::collections::BTreeMap::<&str, usize>::new();
    for diagnostic in report.diagnostics {
        *by_rule.entry(diagnostic.rule.id).or_default() += 1;
    }
    let value = json!({
        "version": 1,
        "tool": {"name": "opslint", "version": env!("CARGO_PKG_VERSION")},
        "diagnostics": diagnostics,
        "questions": questions,
        "summary": {
            "files": report.file_count,
            "diagnostics": report.diagnostics.len(),
            "errors": report.count(opslint_core::Severity::Error),
            "warnings": report.count(opslint_core::Severity::Warning),
            "notes": report.count(opslint_core::Severity::Note),
            "questions": report.questions.len(),
            "suppressed": report.suppressed.len(),
            "by_rule": by_rule,
            "notices": report.notices,
        },
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
