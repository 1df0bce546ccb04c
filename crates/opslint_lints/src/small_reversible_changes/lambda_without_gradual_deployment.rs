use std::collections::BTreeSet;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::cloudformation::Template;
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::aws::{CfnSetting, cfn_property};
use crate::support::{parameter_origin, unless_parameter_set};

pub struct LambdaWithoutGradualDeployment;

pub static META: RuleMeta = RuleMeta {
    id: "lambda-without-gradual-deployment",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP03", "OPS06-BP04"],
    severity: Severity::Note,
    artifacts: &[ArtifactKind::CloudFormation],
    summary: "SAM function deployed all at once, without an alias and deployment preference",
    what_it_checks: "SAM `AWS::Serverless::Function` resources without `AutoPublishAlias` or \
        without a `DeploymentPreference`, on the function or inherited from \
        `Globals.Function`, and those whose preference is `AllAtOnce` or has \
        `Enabled: false`.",
    why_it_matters: "Without an alias and a deployment preference every invocation moves to \
        the new version at once. A canary or linear shift sends a small share of traffic \
        first, and with alarms and hooks CodeDeploy rolls back before most users see the \
        failure.",
    how_to_fix: "```yaml\nGlobals:\n  Function:\n    AutoPublishAlias: live\n    DeploymentPreference:\n      Type: Canary10Percent5Minutes\n      Alarms:\n        - !Ref ErrorsAlarm\n```",
    known_limits: "Plain `AWS::Lambda::Function` resources and Terraform functions are not \
        checked: their traffic shifting is set up in separate alias and CodeDeploy \
        resources. Values from parameters without a default are reported as questions. \
        Functions that a template names as the handler of an `AWS::CloudFormation::Macro` \
        or of a custom resource (`ServiceToken`) are skipped: CloudFormation calls them \
        during deployments and they serve no user traffic to shift.",
};

impl Rule for LambdaWithoutGradualDeployment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            let invoked_by_cloudformation = cloudformation_handlers(template);
            for resource in template.resources_of_type("AWS::Serverless::Function") {
                let id = &resource.logical_id;
                if invoked_by_cloudformation.contains(id) {
                    continue;
                }
                let question = format!("Is `{id}` shifted to a new version gradually?");
                let message =
                    format!("SAM function `{id}` shifts all traffic to a new version at once");
                let help = "set `AutoPublishAlias` and a `DeploymentPreference` such as \
                            `Canary10Percent5Minutes`";
                let alias =
                    cfn_property(template, resource, &["AutoPublishAlias"], Some("Function"));
                match alias {
                    CfnSetting::Missing => {
                        sink.violation(
                            &META,
                            file,
                            resource.id_span,
                            id.clone(),
                            message,
                            "no `AutoPublishAlias`",
                        )
                        .help = Some(help.into());
                        continue;
                    }
                    CfnSetting::Unknown { reason, span } => {
                        sink.unclear(&META, file, span, id.clone(), question, reason);
                        continue;
                    }
                    _ => {}
                }
                let preference = resource
                    .property(&["DeploymentPreference"])
                    .or_else(|| template.global("Function", "DeploymentPreference"));
                let Some(preference) = preference else {
                    sink.violation(
                        &META,
                        file,
                        resource.id_span,
                        id.clone(),
                        message,
                        "`AutoPublishAlias` without a `DeploymentPreference`",
                    )
                    .help = Some(help.into());
                    continue;
                };
                // SAM merges a function's `DeploymentPreference` map over the
                // one in `Globals`, so a key missing on the function may be
                // inherited.
                let global_preference = template.global("Function", "DeploymentPreference");
                let field = |key: &str| {
                    preference
                        .get(key)
                        .or_else(|| global_preference.and_then(|g| g.get(key)))
                };
                if let Some(enabled) = field("Enabled")
                    && enabled.as_bool() == Some(false)
                {
                    sink.violation(
                        &META,
                        file,
                        enabled.span,
                        id.clone(),
                        message,
                        "the deployment preference is turned off",
                    )
                    .help = Some(help.into());
                    continue;
                }
                let Some(kind) = field("Type") else {
                    sink.unclear(
                        &META,
                        file,
                        preference.span,
                        id.clone(),
                        question,
                        "the deployment preference has no `Type`",
                    );
                    continue;
                };
                match crate::aws::cfn_value(template, kind, "DeploymentPreference.Type") {
                    CfnSetting::Literal {
                        text: "AllAtOnce",
                        parameter,
                        span,
                    } => {
                        sink.violation(
                            &META,
                            file,
                            span,
                            id.clone(),
                            format!("{message}{}", unless_parameter_set(parameter)),
                            format!(
                                "the deployment preference is `AllAtOnce`{}",
                                parameter_origin(parameter)
                            ),
                        )
                        .help = Some(help.into());
                    }
                    CfnSetting::Literal { .. } => sink.holds(&META, file, id.clone()),
                    CfnSetting::Unknown { reason, span } => {
                        sink.unclear(&META, file, span, id.clone(), question, reason);
                    }
                    _ => sink.unclear(
                        &META,
                        file,
                        kind.span,
                        id.clone(),
                        question,
                        "`Type` is not a string",
                    ),
                }
            }
        }
    }
}

/// Logical ids of the functions that the template's macros and custom
/// resources name as their handler.
fn cloudformation_handlers(template: &Template) -> BTreeSet<String> {
    let mut handlers = BTreeSet::new();
    for resource in &template.resources {
        let handler = if resource.type_name == "AWS::CloudFormation::Macro" {
            resource.property(&["FunctionName"])
        } else if resource.type_name == "AWS::CloudFormation::CustomResource"
            || resource.type_name.starts_with("Custom::")
        {
            resource.property(&["ServiceToken"])
        } else {
            None
        };
        if let Some(handler) = handler {
            collect_logical_ids(handler, &mut handlers);
        }
    }
    handlers
}

/// Collects the resource names a `Ref` or `GetAtt` value can point at: each
/// scalar up to its first dot (`MacroFunction.Arn` gives `MacroFunction`).
fn collect_logical_ids(node: &Node, found: &mut BTreeSet<String>) {
    match &node.value {
        Value::Scalar(scalar) => {
            let name = scalar.text.split('.').next().unwrap_or_default();
            found.insert(name.to_string());
        }
        Value::Map(map) => {
            for entry in &map.entries {
                collect_logical_ids(&entry.value, found);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_logical_ids(item, found);
            }
        }
        _ => {}
    }
}
