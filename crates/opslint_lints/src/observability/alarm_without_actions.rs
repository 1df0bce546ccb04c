use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_syntax::hcl::ExprValue;
use opslint_syntax::value::Value;

use crate::Rule;
use crate::aws::{CfnSetting, FlagCheck, TfSetting, cfn_property, created_resources, tf_attribute};
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
    known_limits: "Alarms that exist only to gate a deployment (referenced by a CodeDeploy \
        deployment group or an ECS service's deployment alarms) are reported too; suppress \
        them inline. Actions from a variable or parameter without a default are reported as \
        a question.",
};

impl Rule for AlarmWithoutActions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (file, resource) in created_resources(
            workspace,
            &[
                "aws_cloudwatch_metric_alarm",
                "aws_cloudwatch_composite_alarm",
            ],
        ) {
            let address = resource.address();
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
            match tf_attribute(workspace, file, body, "alarm_actions") {
                TfSetting::Missing => check.violation(
                    resource.block.header_span,
                    None,
                    "no `alarm_actions`".into(),
                    sink,
                ),
                TfSetting::Known { value, via, span } => match value {
                    ExprValue::Tuple(items) if !items.is_empty() => {
                        sink.holds(&META, file, address.clone());
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
