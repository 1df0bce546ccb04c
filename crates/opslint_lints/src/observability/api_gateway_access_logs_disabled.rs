use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::aws::{
    CfnSetting, FlagCheck, TfBlock, cfn_global, cfn_property, created_resources, tf_block,
};
use crate::support::{unless_set, via_origin};

pub struct ApiGatewayAccessLogsDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "api-gateway-access-logs-disabled",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP02", "OPS08-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "API Gateway stage without access logging",
    what_it_checks: "Terraform `aws_api_gateway_stage` and `aws_apigatewayv2_stage` resources \
        without an `access_log_settings` block, CloudFormation `AWS::ApiGateway::Stage` \
        without `AccessLogSetting` and `AWS::ApiGatewayV2::Stage` without \
        `AccessLogSettings`, and SAM `AWS::Serverless::Api` and \
        `AWS::Serverless::HttpApi` resources without them, on the API or in `Globals`. \
        The implicit APIs that SAM creates for function events without a `RestApiId` or \
        `ApiId` are checked against `Globals.Api` and `Globals.HttpApi`, once per template.",
    why_it_matters: "Access logs are the record of every request the API received: caller, \
        route, status and latency. Without them, the questions asked first in an incident \
        (which clients fail, since when, on which route) cannot be answered from the API \
        layer.",
    how_to_fix: "```hcl\nresource \"aws_api_gateway_stage\" \"prod\" {\n  # ...\n  access_log_settings {\n    destination_arn = aws_cloudwatch_log_group.api.arn\n    format          = jsonencode({ requestId = \"$context.requestId\", status = \"$context.status\" })\n  }\n}\n```\n\n\
        SAM:\n\n\
        ```yaml\nGlobals:\n  Api:\n    AccessLogSetting:\n      DestinationArn: !GetAtt ApiLogs.Arn\n      Format: '$context.requestId $context.status'\n```",
    known_limits: "Stages created implicitly by `AWS::ApiGateway::Deployment` \
        `StageDescription` are not checked. Execution logging (`MethodSettings` \
        `LoggingLevel`) is a different setting and is not checked.",
};

impl Rule for ApiGatewayAccessLogsDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (file, resource) in created_resources(
            workspace,
            &["aws_api_gateway_stage", "aws_apigatewayv2_stage"],
        ) {
            let address = resource.address();
            let check = FlagCheck {
                meta: &META,
                file,
                location: &address,
                message: format!("API Gateway stage `{address}` has no access logs"),
                question: format!("Does `{address}` write access logs?"),
                help: "add an `access_log_settings` block with a log group".into(),
            };
            match tf_block(workspace, file, &resource.block.body, "access_log_settings") {
                TfBlock::Present { .. } => sink.holds(&META, file, address.clone()),
                TfBlock::Missing { via, span } => check.violation(
                    span.unwrap_or(resource.block.header_span),
                    via.as_ref().map(|v| unless_set(Some(v))),
                    format!("no `access_log_settings`{}", via_origin(via.as_ref())),
                    sink,
                ),
                TfBlock::Unknown { reason, span } => check.unclear(span, reason, sink),
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in &template.resources {
                let (property, global) = match resource.type_name.as_str() {
                    "AWS::ApiGateway::Stage" => ("AccessLogSetting", None),
                    "AWS::ApiGatewayV2::Stage" => ("AccessLogSettings", None),
                    "AWS::Serverless::Api" => ("AccessLogSetting", Some("Api")),
                    "AWS::Serverless::HttpApi" => ("AccessLogSettings", Some("HttpApi")),
                    _ => continue,
                };
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("API Gateway stage `{id}` has no access logs"),
                    question: format!("Does `{id}` write access logs?"),
                    help: format!("add `{property}` with `DestinationArn` and `Format`"),
                };
                match cfn_property(template, resource, &[property], global) {
                    CfnSetting::Missing => {
                        check.violation(resource.id_span, None, format!("no `{property}`"), sink)
                    }
                    CfnSetting::Structure(_) => sink.holds(&META, file, id.clone()),
                    CfnSetting::Literal { span, .. } => {
                        check.unclear(span, format!("`{property}` is not a mapping"), sink);
                    }
                    CfnSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                }
            }
            for api in template.implicit_apis() {
                let property = match api.section {
                    "HttpApi" => "AccessLogSettings",
                    _ => "AccessLogSetting",
                };
                let id = api.logical_id;
                let section = api.section;
                let message = format!(
                    "SAM's implicit API `{id}`, created for `{section}` events such as `{}` of \
                     `{}`, has no access logs",
                    api.event, api.function.logical_id
                );
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message,
                    question: format!("Does SAM's implicit API `{id}` write access logs?"),
                    help: format!(
                        "add `{property}` under `Globals.{section}`, or give the events an \
                         `AWS::Serverless::{section}` with it"
                    ),
                };
                match cfn_global(template, section, &[property]) {
                    CfnSetting::Missing => check.violation(
                        api.span,
                        None,
                        format!("creates `{id}`, and `Globals.{section}` sets no `{property}`"),
                        sink,
                    ),
                    CfnSetting::Structure(_) => sink.holds(&META, file, id.to_string()),
                    CfnSetting::Literal { span, .. } => {
                        check.unclear(span, format!("`{property}` is not a mapping"), sink);
                    }
                    CfnSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                }
            }
        }
    }
}
