use std::collections::HashMap;

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

    let total = report.diagnostics.len() + report.suppressed.len();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .chain(report.suppressed)
        .take(MAX_RESULTS)
        .map(|d| {
            let mut result = json!({
                "ruleId": d.rule.id,
                "level": d.severity.as_str(),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_location(&d.path),
                        "region": {
                            "startLine": d.start.line,
                            "startColumn": d.start.utf16_column,
                            "endLine": d.end.line,
                            "endColumn": d.end.utf16_column,
                        },
                    },
                    "logicalLocations": [{"fullyQualifiedName": d.logical_location}],
                }],
                "partialFingerprints": {"opslint/v1": d.fingerprint},
                "properties": {"certainty": d.certainty.as_str()},
            });
            if let Some(index) = rule_index.get(d.rule.id) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(suppression) = &d.suppression {
                result["suppressions"] = json!([suppression_object(suppression)]);
            }
            result
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
        file_uri(&report.root.to_string_lossy()).trim_end_matches('/')
    );
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "opslint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/opslint/opslint",
                    "rules": rules,
                },
            },
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "columnKind": "utf16CodeUnits",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {"questions": questions},
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A SARIF `suppression`: comments in the file are `inSource`, the
/// configuration and baselines are `external`.
fn suppression_object(suppression: &opslint_core::Suppression) -> Value {
    let kind = match suppression.kind {
        opslint_core::SuppressionKind::Inline => "inSource",
        opslint_core::SuppressionKind::Config | opslint_core::SuppressionKind::Baseline => {
            "external"
        }
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

/// A relative URI against `%SRCROOT%` for paths inside the root, else an
/// absolute `file:` URI.
fn artifact_location(path: &str) -> Value {
    if path.starts_with('/') {
        json!({"uri": file_uri(path)})
    } else if path.starts_with("../") {
        let absolute = std::env::current_dir()
            .map(|dir| dir.join(path))
            .ok()
            .and_then(|p| p.canonicalize().ok())
            .map_or_else(|| path.to_string(), |p| p.to_string_lossy().into_owned());
        json!({"uri": file_uri(&absolute)})
    } else {
        json!({"uri": encode_path(path), "uriBaseId": "%SRCROOT%"})
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
