use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::cloudformation::Template;
use opslint_syntax::hcl::ExprValue;
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::aws::{
    CfnSetting, FlagCheck, TfSetting, cfn_property, created_resources, tf_attribute,
    tf_attribute_each,
};
use crate::observability::resource_without_alarm::{refers_to, refers_to_logical_id};
use crate::support::{parameter_origin, unless_parameter_set, unless_set, via_origin};

pub struct AlarmWithoutActions;

pub static META: RuleMeta = RuleMeta {
    id: "alarm-without-actions",
    principle: Some(Principle::Observability),
    waf: &["OPS08-BP04", "OPS03-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "CloudWatch alarm that notifies nobody",
    what_it_checks: "Terraform `aws_cloudwatch_metric_alarm` and \
        `aws_cloudwatch_composite_alarm` resources, and CloudFormation \
        `AWS::CloudWatch::Alarm` and `AWS::CloudWatch::CompositeAlarm` resources, with no \
        alarm action or with actions turned off (`actions_enabled = false`, \
        `ActionsEnabled: false`).",
    why_it_matters: "An alarm without an action changes state in the console and nothing \
        else: nobody is paged, no ticket is opened and no automation runs, so the condition \
        it was written to catch goes unnoticed until someone happens to look.",
    how_to_fix: "```hcl\nresource \"aws_cloudwatch_metric_alarm\" \"errors\" {\n  # ...\n  alarm_actions = [aws_sns_topic.oncall.arn]\n}\n```",
    known_limits: "Alarms that a deployment uses to stop or roll back (SAM \
        `DeploymentPreference.Alarms`, CodeDeploy alarm configuration, ECS deployment \
        alarms) count as having an action when they are in the same template, or anywhere in \
        the Terraform files. Actions from a variable or parameter without a default are reported as \
        a question. When the calls of a local module set the actions, the \
        module is judged once per call, and an empty list is reported at that call.",
};

impl Rule for AlarmWithoutActions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let gate_texts = terraform_deployment_gates(workspace);
        for (file, resource) in created_resources(
            workspace,
            &[
                "aws_cloudwatch_metric_alarm",
                "aws_cloudwatch_composite_alarm",
            ],
        ) {
            let address = resource.address();
            if gate_texts.iter().any(|text| refers_to(text, &address)) {
                sink.holds(&META, file, address.clone());
                continue;
            }
            let body = &resource.block.body;
            let check = FlagCheck {
                meta: &META,
                file,
                location: &address,
                message: format!("alarm `{address}` has no actions"),
                question: format!("Who or what does `{address}` notify when it fires?"),
                help: "set `alarm_actions` to an SNS topic or another action".into(),
            };
            if let TfSetting::Known { value, via, span } =
                tf_attribute(workspace, file, body, "actions_enabled")
                && matches!(value, ExprValue::Bool(false))
            {
                check.violation(
                    span,
                    via.as_ref().map(|v| unless_set(Some(v))),
                    format!("`actions_enabled` is `false`{}", via_origin(via.as_ref())),
                    sink,
                );
                continue;
            }
            // A shared module is judged once per call when its calls give
            // the actions different values.
            for (setting, site) in
                tf_attribute_each(workspace, file, body, "alarm_actions", &address)
            {
                let address = &site.address;
                let check = FlagCheck {
                    file: site.file,
                    location: address,
                    message: format!("alarm `{address}` has no actions"),
                    question: format!("Who or what does `{address}` notify when it fires?"),
                    meta: &META,
                    help: check.help.clone(),
                };
                match setting {
                    TfSetting::Missing => check.violation(
                        resource.block.header_span,
                        None,
                        "no `alarm_actions`".into(),
                        sink,
                    ),
                    TfSetting::Known { value, via, span } => match value {
                        ExprValue::Tuple(items) if !items.is_empty() => {
                            sink.holds(&META, site.file, address.clone());
                        }
                        ExprValue::Tuple(_) | ExprValue::Null => check.violation(
                            span,
                            via.as_ref().map(|v| unless_set(Some(v))),
                            format!("`alarm_actions` is empty{}", via_origin(via.as_ref())),
                            sink,
                        ),
                        _ => check.unclear(span, "`alarm_actions` is not a list".into(), sink),
                    },
                    TfSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                }
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            let gate_ids = template_deployment_gates(template);
            for resource in &template.resources {
                if !matches!(
                    resource.type_name.as_str(),
                    "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm"
                ) {
                    continue;
                }
                let id = &resource.logical_id;
                if gate_ids.iter().any(|text| refers_to_logical_id(text, id)) {
                    sink.holds(&META, file, id.clone());
                    continue;
                }
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("alarm `{id}` has no actions"),
                    question: format!("Who or what does `{id}` notify when it fires?"),
                    help: "set `AlarmActions` to an SNS topic or another action".into(),
                };
                if let CfnSetting::Literal {
                    text,
                    parameter,
                    span,
                } = cfn_property(template, resource, &["ActionsEnabled"], None)
                    && matches!(text, "false" | "False" | "FALSE")
                {
                    check.violation(
                        span,
                        parameter.map(|p| unless_parameter_set(Some(p))),
                        format!("`ActionsEnabled` is `false`{}", parameter_origin(parameter)),
                        sink,
                    );
                    continue;
                }
                match cfn_property(template, resource, &["AlarmActions"], None) {
                    CfnSetting::Missing => {
                        check.violation(resource.id_span, None, "no `AlarmActions`".into(), sink);
                    }
                    CfnSetting::Structure(node) => match &node.value {
                        Value::Seq(items) if items.is_empty() => {
                            check.violation(node.span, None, "`AlarmActions` is empty".into(), sink)
                        }
                        _ => sink.holds(&META, file, id.clone()),
                    },
                    CfnSetting::Literal { span, .. } => {
                        check.unclear(span, "`AlarmActions` is not a list".into(), sink);
                    }
                    CfnSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                }
            }
        }
    }
}

/// Collects the expression texts of Terraform settings that use alarms to
/// stop or roll back a deployment: CodeDeploy `alarm_configuration` and ECS
/// `alarms` blocks. An alarm named there acts through the deployment.
fn terraform_deployment_gates(workspace: &Workspace) -> Vec<String> {
    let mut texts = Vec::new();
    for (_, terraform) in workspace.terraform() {
        for resource in terraform.resources() {
            let gate = match resource.type_name {
                "aws_codedeploy_deployment_group" => {
                    resource.block.body.block("alarm_configuration")
                }
                "aws_ecs_service" => resource.block.body.block("alarms"),
                _ => None,
            };
            if let Some(gate) = gate {
                texts.extend(gate.body.attributes.iter().map(|a| a.expr.text.clone()));
            }
        }
    }
    texts
}

/// Collects the scalars of template settings that use alarms to stop or
/// roll back a deployment: SAM `DeploymentPreference.Alarms` (on a function
/// or in `Globals`), CodeDeploy `AlarmConfiguration` and ECS
/// `DeploymentConfiguration.Alarms`.
pub(crate) fn template_deployment_gates(template: &Template) -> Vec<String> {
    let mut texts = Vec::new();
    let mut gates: Vec<&Node> = Vec::new();
    gates.extend(template.global("Function", "DeploymentPreference"));
    for resource in &template.resources {
        let path: &[&str] = match resource.type_name.as_str() {
            "AWS::Serverless::Function" => &["DeploymentPreference", "Alarms"],
            "AWS::CodeDeploy::DeploymentGroup" => &["AlarmConfiguration"],
            "AWS::ECS::Service" => &["DeploymentConfiguration", "Alarms"],
            _ => continue,
        };
        gates.extend(resource.property(path));
    }
    for gate in gates {
        collect_scalars(gate, &mut texts);
    }
    texts
}

fn collect_scalars(node: &Node, texts: &mut Vec<String>) {
    match &node.value {
        Value::Scalar(scalar) => texts.push(scalar.text.to_string()),
        Value::Map(map) => {
            for entry in &map.entries {
                collect_scalars(&entry.value, texts);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_scalars(item, texts);
            }
        }
        _ => {}
    }
}
