use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, Span};
use opslint_model::Workspace;
use opslint_model::cloudformation::{self, CfnValue};
use opslint_model::terraform_eval::Evaluated;
use opslint_syntax::value::{Node, Value};

use super::alert_without_runbook_prometheus::check_prometheus_rules;
use crate::Rule;
use crate::aws::tf_not_created;
use crate::support::hcl_inputs;

pub struct AlertWithoutRunbook;

pub static META: RuleMeta = RuleMeta {
    id: "alert-without-runbook",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS10-BP02", "OPS07-BP03", "OPS08-BP04"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::Terraform,
        ArtifactKind::CloudFormation,
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::HelmValues,
        ArtifactKind::OtherYaml,
    ],
    summary: "alarm or alert rule that does not link to a runbook",
    what_it_checks: "CloudWatch alarms (Terraform `aws_cloudwatch_metric_alarm` and \
        `aws_cloudwatch_composite_alarm`, CloudFormation `AWS::CloudWatch::Alarm` and \
        `AWS::CloudWatch::CompositeAlarm`) whose description (`alarm_description`, \
        `AlarmDescription`) has no runbook link: no URL and no mention of a runbook or \
        playbook. Alerting rules (entries with `alert:`) of Prometheus rule files, of \
        `PrometheusRule` resources and of rule groups nested in Helm values \
        (`serverFiles`, `additionalPrometheusRulesMap`) that have no `runbook_url` \
        annotation or leave it empty; an annotation whose key contains `runbook` or \
        `playbook` counts. Recording rules are not checked.",
    why_it_matters: "The alarm's description or the alert's annotations are what the \
        person paged at night reads first. A runbook link tells them what it means and \
        what to do first; without it they start from the metric or expression and rebuild \
        the procedure under pressure, and every responder rediscovers the same steps.",
    how_to_fix: "CloudWatch:\n\n\
        ```hcl\nresource \"aws_cloudwatch_metric_alarm\" \"errors\" {\n  # ...\n  alarm_description = \"Orders API errors. Runbook: https://wiki.example.com/runbooks/orders-errors\"\n}\n```\n\n\
        Prometheus:\n\n\
        ```yaml\n- alert: OrdersHighErrorRate\n  expr: job:errors:rate5m{job=\"orders\"} > 0.05\n\
        \x20 annotations:\n    summary: Orders API error rate above 5%\n\
        \x20   runbook_url: https://runbooks.example.com/orders/high-error-rate\n```",
    known_limits: "Links are not followed, so a runbook that does not exist is not \
        detected, and any URL in an alarm description counts. Descriptions built from \
        variables without a default or from parameters, and alerts whose annotations a Helm \
        `include` may add, are reported as questions. A CloudFormation `Fn::Sub` string \
        whose text has no link and whose `${...}` variables are not named like one (`url`, \
        `uri`, `link`, `doc`, `wiki`) is reported as a finding. Prometheus rules embedded as text in \
        a ConfigMap or as a string in Helm values are not read.",
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

/// Returns whether a description links or names a runbook.
fn has_runbook_link(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("http://")
        || lower.contains("https://")
        || lower.contains("runbook")
        || lower.contains("playbook")
}

/// Checks CloudWatch alarms in Terraform and CloudFormation.
fn check_cloudwatch_alarms(workspace: &Workspace, sink: &mut Sink) {
    for (artifact, terraform) in workspace.terraform() {
        let file = &artifact.file;
        for resource in terraform.resources() {
            if !matches!(
                resource.type_name,
                "aws_cloudwatch_metric_alarm" | "aws_cloudwatch_composite_alarm"
            ) || tf_not_created(workspace, file, resource.block)
            {
                continue;
            }
            let address = resource.address();
            let Some(description) = resource.block.body.attribute("alarm_description") else {
                report(
                    sink,
                    file,
                    resource.block.header_span,
                    &address,
                    "no `alarm_description`",
                );
                continue;
            };
            if has_runbook_link(&description.expr.text) {
                sink.holds(&META, file, address);
                continue;
            }
            match workspace
                .terraform_index
                .evaluate(&file.path, &description.expr)
            {
                Evaluated::Known { expr, .. } => match expr.as_str() {
                    Some(text) if has_runbook_link(text) => sink.holds(&META, file, address),
                    _ => report(
                        sink,
                        file,
                        description.expr.span,
                        &address,
                        "the description has no runbook link",
                    ),
                },
                Evaluated::Unknown { reason } => sink.unclear(
                    &META,
                    file,
                    description.expr.span,
                    address.clone(),
                    format!("Which runbook does the on-call team follow when `{address}` fires?"),
                    reason.unwrap_or_else(|| {
                        format!(
                            "the description is computed{}",
                            hcl_inputs(Some(&description.expr))
                        )
                    }),
                ),
            }
        }
    }
    for (artifact, template) in workspace.cloudformation() {
        let file = &artifact.file;
        for resource in &template.resources {
            if !matches!(
                resource.type_name.as_str(),
                "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm"
            ) {
                continue;
            }
            let id = &resource.logical_id;
            let Some(description) = resource.property(&["AlarmDescription"]) else {
                report(sink, file, resource.id_span, id, "no `AlarmDescription`");
                continue;
            };
            if any_scalar(description, &has_runbook_link) {
                sink.holds(&META, file, id.clone());
                continue;
            }
            let (resolved, _) = template.resolve(description);
            match cloudformation::value(resolved) {
                CfnValue::Literal(_) => report(
                    sink,
                    file,
                    description.span,
                    id,
                    "the description has no runbook link",
                ),
                CfnValue::Intrinsic("Sub", node) if sub_cannot_add_link(node) => report(
                    sink,
                    file,
                    description.span,
                    id,
                    "the description has no runbook link",
                ),
                _ => sink.unclear(
                    &META,
                    file,
                    description.span,
                    id.clone(),
                    format!("Which runbook does the on-call team follow when `{id}` fires?"),
                    format!(
                        "the description is computed{}",
                        crate::support::cfn_inputs(description)
                    ),
                ),
            }
        }
    }
}

/// Checks whether an `Fn::Sub` description in its one-string form cannot
/// contain a runbook link. The caller has found no link in its text, and no
/// `${...}` variable here is named like a link (`url`, `uri`, `link`, `doc`,
/// `wiki`), so only values such as `${Env}` or `${AWS::StackName}` fill it.
fn sub_cannot_add_link(node: &Node) -> bool {
    let template = match &node.value {
        Value::Scalar(scalar) => scalar.text.as_str(),
        Value::Map(map) => match map.entries.first().map(|entry| &entry.value.value) {
            Some(Value::Scalar(scalar)) => scalar.text.as_str(),
            _ => return false,
        },
        _ => return false,
    };
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return false;
        };
        let variable = after[..end].to_ascii_lowercase();
        if ["url", "uri", "link", "doc", "wiki"]
            .iter()
            .any(|word| variable.contains(word))
        {
            return false;
        }
        rest = &after[end + 1..];
    }
    true
}

fn any_scalar(node: &Node, test: &dyn Fn(&str) -> bool) -> bool {
    match &node.value {
        Value::Scalar(scalar) => test(&scalar.text),
        Value::Map(map) => map.entries.iter().any(|e| any_scalar(&e.value, test)),
        Value::Seq(items) => items.iter().any(|item| any_scalar(item, test)),
        _ => false,
    }
}

fn report(
    sink: &mut Sink,
    file: &opslint_core::SourceFile,
    span: Span,
    location: &str,
    label: &str,
) {
    sink.violation(
        &META,
        file,
        span,
        location,
        format!("alarm `{location}` does not link to a runbook"),
        label,
    )
    .help = Some("put the runbook URL in the alarm description".into());
}
