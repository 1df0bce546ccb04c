use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::cloudformation;
use opslint_syntax::hcl::ExprValue;
use opslint_syntax::value::Node;

use crate::Rule;
use crate::aws::{FlagCheck, TfBlock, TfSetting, created_resources, tf_attribute, tf_block};

pub struct LbTargetGroupDefaultHealthCheck;

pub static META: RuleMeta = RuleMeta {
    id: "lb-target-group-default-health-check",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS04-BP04", "OPS06-BP04"],
    severity: Severity::Note,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "HTTP load balancer target group that relies on the default health check",
    what_it_checks: "Terraform `aws_lb_target_group` and `aws_alb_target_group` resources \
        with HTTP or HTTPS targets and no `health_check` block, or one with \
        `enabled = false`, and CloudFormation `AWS::ElasticLoadBalancingV2::TargetGroup` \
        resources with none of the `HealthCheck*` properties or with \
        `HealthCheckEnabled: false`. Lambda targets and TCP, UDP and TLS target groups are \
        skipped.",
    why_it_matters: "The default check requests `/` and accepts only `200`. That path often \
        serves a static page, redirects or needs authentication, so the balancer either \
        keeps sending traffic to a broken instance or drains healthy ones; an explicit path \
        that exercises the service's dependencies decides what healthy means.",
    how_to_fix: "```hcl\nresource \"aws_lb_target_group\" \"api\" {\n  # ...\n  health_check {\n    path    = \"/healthz\"\n    matcher = \"200\"\n  }\n}\n```",
    known_limits: "Whether the chosen path exercises the service's dependencies is not \
        checked. Target groups from modules or `dynamic` blocks whose settings are computed \
        are reported as questions.",
};

const NON_HTTP: &[&str] = &["TCP", "UDP", "TLS", "TCP_UDP", "GENEVE"];

impl Rule for LbTargetGroupDefaultHealthCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (file, resource) in
            created_resources(workspace, &["aws_lb_target_group", "aws_alb_target_group"])
        {
            let body = &resource.block.body;
            let is_skipped = |name: &str, values: &[&str]| {
                matches!(
                    tf_attribute(workspace, file, body, name),
                    TfSetting::Known { value: ExprValue::String(text), .. }
                        if values.contains(&text.as_str())
                )
            };
            if is_skipped("target_type", &["lambda"]) || is_skipped("protocol", NON_HTTP) {
                continue;
            }
            let address = resource.address();
            let check = FlagCheck {
                meta: &META,
                file,
                location: &address,
                message: format!("target group `{address}` uses the default health check"),
                question: format!("Which health check path does `{address}` use?"),
                help: "add a `health_check` block with the service's health path".into(),
            };
            match tf_block(workspace, file, body, "health_check") {
                TfBlock::Present { body, span } => {
                    match tf_attribute(workspace, file, body, "enabled") {
                        TfSetting::Known {
                            value: ExprValue::Bool(false),
                            span,
                            ..
                        } => check.violation(
                            span,
                            None,
                            "the health check is turned off".into(),
                            sink,
                        ),
                        _ if body.attributes.is_empty() => check.violation(
                            span,
                            None,
                            "the `health_check` block is empty, so the path is `/`".into(),
                            sink,
                        ),
                        _ => sink.holds(&META, file, address.clone()),
                    }
                }
                TfBlock::Missing { span, .. } => check.violation(
                    span.unwrap_or(resource.block.header_span),
                    None,
                    "no `health_check`, so the balancer requests `/` and expects `200`".into(),
                    sink,
                ),
                TfBlock::Unknown { reason, span } => check.unclear(span, reason, sink),
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in template.resources_of_type("AWS::ElasticLoadBalancingV2::TargetGroup") {
                let text = |key: &str| resource.property(&[key]).and_then(Node::as_str);
                if text("TargetType") == Some("lambda")
                    || text("Protocol").is_some_and(|p| NON_HTTP.contains(&p))
                {
                    continue;
                }
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("target group `{id}` uses the default health check"),
                    question: format!("Which health check path does `{id}` use?"),
                    help: "set `HealthCheckPath` to the service's health path".into(),
                };
                if let Some(properties) = resource.properties()
                    && cloudformation::is_intrinsic(properties)
                {
                    check.unclear(properties.span, "the properties are computed".into(), sink);
                    continue;
                }
                if let Some(enabled) = resource.property(&["HealthCheckEnabled"])
                    && enabled.as_bool() == Some(false)
                {
                    check.violation(
                        enabled.span,
                        None,
                        "the health check is turned off".into(),
                        sink,
                    );
                    continue;
                }
                let has_settings =
                    resource
                        .properties()
                        .and_then(Node::as_map)
                        .is_some_and(|map| {
                            map.entries.iter().any(|e| e.key.starts_with("HealthCheck"))
                        });
                if has_settings {
                    sink.holds(&META, file, id.clone());
                } else {
                    check.violation(
                        resource.id_span,
                        None,
                        "no `HealthCheck*` settings, so the balancer requests `/` and expects `200`"
                            .into(),
                        sink,
                    );
                }
            }
        }
    }
}
