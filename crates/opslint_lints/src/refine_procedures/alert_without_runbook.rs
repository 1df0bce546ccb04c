use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile};
use opslint_model::{Facts, Workspace};
use opslint_syntax::value::{Lookup, Node};

use crate::Rule;

pub struct AlertWithoutRunbook;

pub static META: RuleMeta = RuleMeta {
    id: "alert-without-runbook",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS07-BP03", "OPS10-BP02", "OPS08-BP04"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::HelmValues,
        ArtifactKind::OtherYaml,
    ],
    summary: "alert rule with no runbook link",
    what_it_checks: "Alerting rules (entries with `alert:`) of Prometheus rule files, of \
        `PrometheusRule` resources of the Prometheus Operator, and of rule groups nested in \
        Helm values (`serverFiles`, `additionalPrometheusRulesMap`) that have no `runbook_url` \
        annotation, or leave it empty. Recording rules (`record:`) are not checked. An \
        annotation whose key contains `runbook` or `playbook` counts.",
    why_it_matters: "The person paged at night needs to know what the alert means and what \
        to do first. A runbook link in the alert puts that one click away; without it the \
        responder starts from the expression, and every responder rediscovers the same \
        steps.",
    how_to_fix: "Link the procedure from the alert:\n\n\
        ```yaml\n- alert: OrdersHighErrorRate\n  expr: job:errors:rate5m{job=\"orders\"} > 0.05\n\
        \x20 annotations:\n    summary: Orders API error rate above 5%\n\
        \x20   runbook_url: https://runbooks.example.com/orders/high-error-rate\n```",
    known_limits: "The link is not followed, so a runbook that does not exist is not \
        detected. An alert whose annotations a Helm `include` may add is reported as a \
        question. Rule files are recognised by their content (a top-level `groups:` list \
        with `rules:`), whatever their name. Rules embedded as text in a ConfigMap (a \
        `prometheus.rules: |` entry) or as a string in Helm values are not read.",
};

impl Rule for AlertWithoutRunbook {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        check_prometheus_rules(workspace, sink);
        check_cloudwatch_alarms(workspace, sink);
    }
}

/// Checks alerting rules of plain Prometheus rule files and of
/// `PrometheusRule` resources.
fn check_prometheus_rules(workspace: &Workspace, sink: &mut Sink) {
    for artifact in &workspace.artifacts {
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
    for group in groups.and_then(Node::as_seq).unwrap_or_default() {
        let group_name = group.get("name").and_then(Node::as_str).unwrap_or("?");
        for rule in group
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let Some(alert) = rule.get("alert") else {
                continue;
            };
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
                        format!("Does the template add a `runbook_url` annotation to alert `{alert_name}`?"),
                        "template output that opslint cannot render may add annotations",
                    );
                    continue;
                }
                RunbookLink::Missing => {}
            }
            sink.violation(
                &META,
                file,
                alert.span,
                location,
                format!("alert `{alert_name}` has no `runbook_url` annotation"),
                "no runbook link",
            )
            .help = Some(
                "add `annotations: {runbook_url: ...}` that links the procedure for this alert"
                    .into(),
            );
        }
    }
}

enum RunbookLink {
    Present,
    Missing,
    /// The annotations may gain keys from template output.
    Unknown,
}

fn runbook_annotation(annotations: &Node) -> RunbookLink {
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
    match (linked, map.open) {
        (true, _) => RunbookLink::Present,
        (false, true) => RunbookLink::Unknown,
        (false, false) => RunbookLink::Missing,
    }
}

/// Checks CloudWatch alarms of CloudFormation and Terraform for a runbook
/// link in their description.
// TODO: the CloudWatch part of this rule is built on another branch; merge
// its checks here, beside the Prometheus checks above.
fn check_cloudwatch_alarms(_workspace: &Workspace, _sink: &mut Sink) {}
