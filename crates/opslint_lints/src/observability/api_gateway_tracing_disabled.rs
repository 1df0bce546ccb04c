use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::aws::{FlagCheck, cfn_global, cfn_property, created_resources, tf_attribute};

pub struct ApiGatewayTracingDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "api-gateway-tracing-disabled",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP05", "OPS08-BP03"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "API Gateway REST API stage without X-Ray tracing",
    what_it_checks: "Terraform `aws_api_gateway_stage` resources without \
        `xray_tracing_enabled = true`, CloudFormation `AWS::ApiGateway::Stage` resources \
        without `TracingEnabled: true`, and SAM `AWS::Serverless::Api` resources without \
        `TracingEnabled: true` on the API or in `Globals.Api`. The implicit REST API that \
        SAM creates for `Api` events without a `RestApiId` is checked against \
        `Globals.Api`.",
    why_it_matters: "The stage is where a request enters the system. Without tracing there, \
        the trace of a slow or failing request starts at the backend, so the time spent in \
        API Gateway (authorizers, integrations, throttling) is invisible during an incident.",
    how_to_fix: "Terraform:\n\n\
        ```hcl\nresource \"aws_api_gateway_stage\" \"prod\" {\n  # ...\n  xray_tracing_enabled = true\n}\n```\n\n\
        SAM:\n\n\
        ```yaml\nGlobals:\n  Api:\n    TracingEnabled: true\n```",
    known_limits: "HTTP APIs (`aws_apigatewayv2_stage`, `AWS::ApiGatewayV2::Stage`) do not \
        support X-Ray and are not checked. Stages created implicitly by \
        `AWS::ApiGateway::Deployment` `StageDescription` are not checked. A value from a \
        variable or parameter without a default is reported as a question.",
};

impl Rule for ApiGatewayTracingDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (file, resource) in created_resources(workspace, &["aws_api_gateway_stage"]) {
            let address = resource.address();
            let check = FlagCheck {
                meta: &META,
                file,
                location: &address,
                message: format!("API Gateway stage `{address}` has no X-Ray tracing"),
                question: format!("Is X-Ray tracing on for `{address}`?"),
                help: "set `xray_tracing_enabled = true`".into(),
            };
            let setting = tf_attribute(
                workspace,
                file,
                &resource.block.body,
                "xray_tracing_enabled",
            );
            check.terraform(
                setting,
                "xray_tracing_enabled",
                resource.block.header_span,
                sink,
            );
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in &template.resources {
                let global = match resource.type_name.as_str() {
                    "AWS::ApiGateway::Stage" => None,
                    "AWS::Serverless::Api" => Some("Api"),
                    _ => continue,
                };
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("API Gateway stage `{id}` has no X-Ray tracing"),
                    question: format!("Is X-Ray tracing on for `{id}`?"),
                    help: "set `TracingEnabled: true`".into(),
                };
                let setting = cfn_property(template, resource, &["TracingEnabled"], global);
                check.cloudformation(setting, "TracingEnabled", resource.id_span, sink);
            }
            // HTTP APIs have no X-Ray tracing, so only the REST API counts.
            for api in template.implicit_apis() {
                if api.section != "Api" {
                    continue;
                }
                let id = api.logical_id;
                let message = format!(
                    "SAM's implicit API `{id}`, created for `Api` events such as `{}` of `{}`, \
                     has no X-Ray tracing",
                    api.event, api.function.logical_id
                );
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message,
                    question: format!("Is X-Ray tracing on for SAM's implicit API `{id}`?"),
                    help: "set `TracingEnabled: true` under `Globals.Api`".into(),
                };
                let setting = cfn_global(template, "Api", &["TracingEnabled"]);
                check.cloudformation(setting, "TracingEnabled", api.span, sink);
            }
        }
    }
}
