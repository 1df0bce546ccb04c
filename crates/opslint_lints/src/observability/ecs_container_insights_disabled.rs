use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile};
use opslint_model::Workspace;
use opslint_model::cloudformation;
use opslint_model::terraform::Resource;
use opslint_model::terraform_eval::Evaluated;
use opslint_syntax::hcl::{Body, Expr, ExprValue};
use opslint_syntax::value::Node;

use crate::Rule;
use crate::aws::{CfnSetting, FlagCheck, cfn_value, tf_not_created};

pub struct EcsContainerInsightsDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "ecs-container-insights-disabled",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP02", "OPS08-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "ECS cluster without Container Insights",
    what_it_checks: "Terraform `aws_ecs_cluster` resources without a `setting` block named \
        `containerInsights` whose value is `enabled` or `enhanced`, and CloudFormation \
        `AWS::ECS::Cluster` resources without that entry in `ClusterSettings`. An \
        `aws_ecs_account_setting_default` that turns Container Insights on for the account \
        counts for every cluster.",
    why_it_matters: "Without Container Insights there are no per-task and per-service CPU, \
        memory, network and restart metrics, so a service that is slowly running out of \
        memory or restarting tasks in a loop shows nothing until it fails outright.",
    how_to_fix: "```hcl\nresource \"aws_ecs_cluster\" \"main\" {\n  name = \"main\"\n\n  setting {\n    name  = \"containerInsights\"\n    value = \"enabled\"\n  }\n}\n```",
    known_limits: "An account default set outside the repository (console, CLI) is not \
        seen. Settings from `dynamic` blocks are expanded when `for_each` evaluates \
        to a list or map in the repository and are questions otherwise.",
};

impl Rule for EcsContainerInsightsDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let account_default = workspace.terraform().any(|(_, terraform)| {
            terraform
                .resources_of_type("aws_ecs_account_setting_default")
                .any(|r| {
                    r.block.body.attribute("name").and_then(|a| a.expr.as_str())
                        == Some("containerInsights")
                        && r.block
                            .body
                            .attribute("value")
                            .and_then(|a| a.expr.as_str())
                            .is_some_and(is_on)
                })
        });
        for (artifact, terraform) in workspace.terraform() {
            let file = &artifact.file;
            for resource in terraform.resources_of_type("aws_ecs_cluster") {
                if tf_not_created(workspace, file, resource.block) {
                    continue;
                }
                if account_default {
                    sink.holds(&META, file, resource.address());
                    continue;
                }
                check_terraform(workspace, file, resource, sink);
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in template.resources_of_type("AWS::ECS::Cluster") {
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("ECS cluster `{id}` has no Container Insights"),
                    question: format!("Is Container Insights on for `{id}`?"),
                    help: "add `ClusterSettings: [{Name: containerInsights, Value: enabled}]`"
                        .into(),
                };
                let Some(settings) = resource.property(&["ClusterSettings"]) else {
                    check.violation(resource.id_span, None, "no `ClusterSettings`".into(), sink);
                    continue;
                };
                let items = settings
                    .as_seq()
                    .filter(|_| !cloudformation::is_intrinsic(settings));
                let Some(items) = items else {
                    check.unclear(
                        settings.span,
                        "`ClusterSettings` is not a list".into(),
                        sink,
                    );
                    continue;
                };
                let entry = items.iter().find(|item| {
                    item.get("Name").and_then(Node::as_str) == Some("containerInsights")
                });
                let Some(value) = entry.and_then(|e| e.get("Value")) else {
                    check.violation(
                        settings.span,
                        None,
                        "no `containerInsights` setting".into(),
                        sink,
                    );
                    continue;
                };
                match cfn_value(template, value, "Value") {
                    CfnSetting::Literal { text, .. } if is_on(text) => {
                        sink.holds(&META, file, id.clone());
                    }
                    CfnSetting::Literal { text, span, .. } => check.violation(
                        span,
                        None,
                        format!("`containerInsights` is `{text}`"),
                        sink,
                    ),
                    CfnSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                    _ => check.unclear(value.span, "the value is not a string".into(), sink),
                }
            }
        }
    }
}

fn is_on(value: &str) -> bool {
    matches!(value, "enabled" | "enhanced")
}

fn check_terraform(
    workspace: &Workspace,
    file: &SourceFile,
    resource: Resource<'_>,
    sink: &mut Sink,
) {
    let address = resource.address();
    let check = FlagCheck {
        meta: &META,
        file,
        location: &address,
        message: format!("ECS cluster `{address}` has no Container Insights"),
        question: format!("Is Container Insights on for `{address}`?"),
        help: "add `setting { name = \"containerInsights\", value = \"enabled\" }`".into(),
    };
    let body = &resource.block.body;
    if let Some(dynamic) = body.dynamic_block("setting") {
        let Some(blocks) = workspace
            .terraform_index
            .expand_dynamic(&file.path, dynamic)
            .map(|expansion| expansion.blocks)
        else {
            check.unclear(
                dynamic.header_span,
                "`setting` is generated by a `dynamic` block from computed values".into(),
                sink,
            );
            return;
        };
        let field = |attributes: &[(String, Expr)], key: &str| {
            attributes
                .iter()
                .find(|(name, _)| name == key)
                .and_then(|(_, value)| value.as_str().map(str::to_string))
        };
        let insights = blocks
            .iter()
            .find(|attributes| field(attributes, "name").as_deref() == Some("containerInsights"));
        match insights.and_then(|attributes| field(attributes, "value")) {
            Some(value) if is_on(&value) => sink.holds(check.meta, file, check.location),
            Some(value) => check.violation(
                dynamic.header_span,
                None,
                format!("the generated `containerInsights` setting is `{value}`"),
                sink,
            ),
            None => check.violation(
                dynamic.header_span,
                None,
                "the `dynamic` block generates no `containerInsights` setting".into(),
                sink,
            ),
        }
        return;
    }
    let setting = body.blocks("setting").find(|b| {
        b.body.attribute("name").and_then(|a| a.expr.as_str()) == Some("containerInsights")
    });
    let Some(setting) = setting else {
        check.violation(
            resource.block.header_span,
            None,
            "no `containerInsights` setting".into(),
            sink,
        );
        return;
    };
    check_setting_value(
        workspace,
        file,
        &check,
        &setting.body,
        setting.header_span,
        sink,
    );
}

fn check_setting_value(
    workspace: &Workspace,
    file: &SourceFile,
    check: &FlagCheck<'_>,
    body: &Body,
    header: opslint_core::Span,
    sink: &mut Sink,
) {
    let Some(value) = body.attribute("value") else {
        check.violation(header, None, "the setting has no `value`".into(), sink);
        return;
    };
    match workspace.terraform_index.evaluate(&file.path, &value.expr) {
        Evaluated::Known { expr, via } => match expr.value {
            ExprValue::String(text) if is_on(&text) => {
                sink.holds(check.meta, file, check.location);
            }
            ExprValue::String(text) => check.violation(
                value.expr.span,
                via.as_ref().map(|v| crate::support::unless_set(Some(v))),
                format!(
                    "`containerInsights` is `{text}`{}",
                    crate::support::via_origin(via.as_ref())
                ),
                sink,
            ),
            _ => check.unclear(value.expr.span, "the value is not a string".into(), sink),
        },
        Evaluated::Unknown { reason } => check.unclear(
            value.expr.span,
            reason.unwrap_or_else(|| format!("the value is `{}`", value.expr.text.trim())),
            sink,
        ),
    }
}
