//! The Prometheus side of `alert-without-runbook`: alerting rules in rule
//! files, `PrometheusRule` resources and rule groups nested in Helm values.

use opslint_core::{Sink, SourceFile};
use opslint_model::{Facts, Workspace};
use opslint_syntax::value::{Lookup, Node};

use super::alert_without_runbook::META;

/// Checks alerting rules of plain Prometheus rule files and of
/// `PrometheusRule` resources.
pub(super) fn check_prometheus_rules(workspace: &Workspace, sink: &mut Sink) {
    for artifact in workspace.all() {
        match &artifact.facts {
            Facts::PrometheusRules(root) => {
                check_groups(&artifact.file, root.get("groups"), "", sink);
            }
            Facts::HelmValues(root) => {
                check_values_groups(&artifact.file, root, String::new(), 0, sink);
            }
            _ => {}
        }
    }
    for (artifact, manifest) in workspace.kubernetes() {
        for object in &manifest.objects {
            if object.kind != "PrometheusRule" || object.is_patch {
                continue;
            }
            let prefix = format!("{}/", object.label());
            check_groups(
                &artifact.file,
                object.root.at(&["spec", "groups"]),
                &prefix,
                sink,
            );
        }
    }
}

/// Finds rule groups nested in Helm values, as charts of Prometheus take
/// them (`serverFiles: {alerting_rules.yml: {groups: [...]}}`), and checks them.
fn check_values_groups(
    file: &SourceFile,
    node: &Node,
    path: String,
    depth: usize,
    sink: &mut Sink,
) {
    const MAX_DEPTH: usize = 8;
    let Some(map) = node.as_map() else {
        return;
    };
    let groups = map.get("groups");
    let holds_rules = groups
        .and_then(Node::as_seq)
        .is_some_and(|groups| groups.iter().any(|group| group.get("rules").is_some()));
    if holds_rules {
        check_groups(file, groups, &path, sink);
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for entry in &map.entries {
        let nested = format!("{path}{}/", entry.key);
        check_values_groups(file, &entry.value, nested, depth + 1, sink);
    }
}

fn check_groups(file: &SourceFile, groups: Option<&Node>, prefix: &str, sink: &mut Sink) {
    for (group, rule, alert) in crate::support::alerting_rules(groups) {
        let group_name = group.get("name").and_then(Node::as_str).unwrap_or("?");
        // A rule whose `alert` is empty or not a string is invalid for
        // Prometheus; a templated name is shown as written.
        let alert_name = match alert.as_str() {
            Some(name) if !name.trim().is_empty() => name,
            None if alert.is_templated() => file
                .text
                .get(alert.span.start..alert.span.end)
                .unwrap_or("")
                .trim(),
            _ => continue,
        };
        let location = format!("{prefix}groups/{group_name}/{alert_name}");
        let link = match rule.lookup("annotations") {
            Lookup::Unknown => RunbookLink::Unknown,
            Lookup::Present(entry) => runbook_annotation(&entry.value),
            Lookup::Absent => RunbookLink::Missing,
        };
        match link {
            RunbookLink::Present => {
                sink.holds(&META, file, location);
                continue;
            }
            RunbookLink::Unknown => {
                sink.unclear(
                    &META,
                    file,
                    alert.span,
                    location,
                    format!(
                        "Does the template add a `runbook_url` annotation to alert `{alert_name}`?"
                    ),
                    "template output that opslint cannot render may add annotations",
                );
                continue;
            }
            RunbookLink::Missing | RunbookLink::Empty(..) => {}
        }
        // The finding stays on the alert's name, where suppression
        // comments for it are written, also when the annotation is empty.
        let (span, message, label, help) = match link {
            RunbookLink::Empty(key) => (
                alert.span,
                format!("alert `{alert_name}` has an empty `{key}` annotation"),
                "empty runbook link",
                format!("set `{key}` to the link of the procedure for this alert"),
            ),
            _ => (
                alert.span,
                format!("alert `{alert_name}` has no `runbook_url` annotation"),
                "no runbook link",
                "add `annotations: {runbook_url: ...}` that links the procedure for this alert"
                    .to_string(),
            ),
        };
        sink.violation(&META, file, span, location, message, label)
            .help = Some(help);
    }
}

enum RunbookLink<'a> {
    Present,
    Missing,
    /// A runbook annotation with an empty value, such as `runbook_url: ""`,
    /// by its key.
    Empty(&'a str),
    /// The annotations may gain keys from template output.
    Unknown,
}

fn runbook_annotation(annotations: &Node) -> RunbookLink<'_> {
    if annotations.is_templated() {
        return RunbookLink::Unknown;
    }
    let Some(map) = annotations.as_map() else {
        return RunbookLink::Missing;
    };
    let linked = map.entries.iter().any(|entry| {
        let key = entry.key.to_ascii_lowercase();
        let names_runbook = key.contains("runbook") || key.contains("playbook");
        let has_value = entry.value.is_templated()
            || entry
                .value
                .as_str()
                .is_some_and(|value| !value.trim().is_empty());
        names_runbook && has_value
    });
    let empty = map.entries.iter().find(|entry| {
        let key = entry.key.to_ascii_lowercase();
        key.contains("runbook") || key.contains("playbook")
    });
    match (linked, map.open, empty) {
        (true, _, _) => RunbookLink::Present,
        (false, true, _) => RunbookLink::Unknown,
        (false, false, Some(entry)) => RunbookLink::Empty(&entry.key),
        (false, false, None) => RunbookLink::Missing,
    }
}
