use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::cloudformation::{self, CfnValue};
use opslint_model::terraform_eval::Evaluated;
use opslint_syntax::hcl::{Attribute, ExprValue};

use crate::Rule;
use crate::aws::tf_evaluate_each;
use crate::support::{cfn_inputs, hcl_inputs, unless_set, via_origin};

pub struct LogRetentionUnset;

pub static META: RuleMeta = RuleMeta {
    id: "log-retention-unset",
    principle: Some(Principle::Observability),
    waf: &["OPS08-BP02", "OPS04-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "CloudWatch log group that keeps logs forever",
    what_it_checks: "Terraform `aws_cloudwatch_log_group` resources without \
        `retention_in_days` or with `0`, and CloudFormation `AWS::Logs::LogGroup` \
        resources without `RetentionInDays`.",
    why_it_matters: "A log group without retention keeps every event forever. Storage cost \
        grows without bound, nobody decides how long logs are needed for investigations, \
        and data that should expire under the organisation's policy never does.",
    how_to_fix: "Choose a retention that covers your investigations and audits:\n\n\
        ```hcl\nresource \"aws_cloudwatch_log_group\" \"api\" {\n  name              = \"/aws/lambda/api\"\n  retention_in_days = 30\n}\n```",
    known_limits: "Log groups that AWS services create implicitly (for example a Lambda \
        function's group when no resource declares it) are not seen. A retention set \
        from a variable or parameter without a default, or set to different values by \
        variables files, is reported as a question. A shared local module that several \
        module calls give different values is judged once per call, and a bad value is \
        reported at that call's argument. A variable or parameter that nothing in the \
        repository sets is evaluated to its default. A CloudFormation `Fn::If` or \
        `Fn::FindInMap` whose every branch or mapping entry sets a retention passes.",
};

impl Rule for LogRetentionUnset {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, terraform) in workspace.terraform() {
            let file = &artifact.file;
            for resource in terraform.resources_of_type("aws_cloudwatch_log_group") {
                let index = &workspace.terraform_index;
                if index.is_created(&file.path, resource.block) == Some(false) {
                    continue;
                }
                let address = resource.address();
                match resource.block.body.attribute("retention_in_days") {
                    None => {
                        sink.violation(
                            &META,
                            file,
                            resource.block.header_span,
                            address.clone(),
                            format!("log group `{address}` keeps logs forever"),
                            "no `retention_in_days`",
                        )
                        .help = Some("set `retention_in_days`, for example `30`".into());
                    }
                    Some(attribute) => {
                        check_terraform_retention(workspace, file, &address, attribute, sink);
                    }
                }
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in template.resources_of_type("AWS::Logs::LogGroup") {
                let id = &resource.logical_id;
                match resource.property(&["RetentionInDays"]) {
                    None => {
                        sink.violation(
                            &META,
                            file,
                            resource.id_span,
                            id.clone(),
                            format!("log group `{id}` keeps logs forever"),
                            "no `RetentionInDays`",
                        )
                        .help = Some("set `RetentionInDays`, for example `30`".into());
                    }
                    Some(value) => match cloudformation::value(template.resolve(value).0) {
                        CfnValue::Literal(_) => sink.holds(&META, file, id.clone()),
                        // Every branch of a condition or mapping sets one.
                        CfnValue::Intrinsic(..) if template.possible_literals(value).is_some() => {
                            sink.holds(&META, file, id.clone());
                        }
                        CfnValue::Intrinsic(function, node) => sink.unclear(
                            &META,
                            file,
                            value.span,
                            id.clone(),
                            format!("How long does `{id}` keep its logs in each environment?"),
                            format!(
                                "`RetentionInDays` is set by `{function}`{}",
                                cfn_inputs(node)
                            ),
                        ),
                        CfnValue::Structure(_) => {
                            sink.violation(
                                &META,
                                file,
                                value.span,
                                id.clone(),
                                format!("log group `{id}` has no valid retention"),
                                "`RetentionInDays` is not a number of days",
                            )
                            .help = Some("set `RetentionInDays`, for example `30`".into());
                        }
                    },
                }
            }
        }
    }
}

fn check_terraform_retention(
    workspace: &Workspace,
    file: &SourceFile,
    address: &str,
    attribute: &Attribute,
    sink: &mut Sink,
) {
    for (value, site) in tf_evaluate_each(workspace, file, &attribute.expr, address) {
        let span = site.call_span.unwrap_or(attribute.expr.span);
        report_retention(value, site.file, &site.address, attribute, span, sink);
    }
}

/// Reports one evaluation of `retention_in_days`, at `span` of `file`.
fn report_retention(
    value: Evaluated,
    file: &SourceFile,
    address: &str,
    attribute: &Attribute,
    span: Span,
    sink: &mut Sink,
) {
    let (value, via) = match value {
        Evaluated::Known { expr, via } => (expr.value, via),
        Evaluated::Unknown { reason } => {
            let reason = reason.unwrap_or_else(|| {
                format!(
                    "`retention_in_days` is `{}`{}",
                    attribute.expr.text.trim(),
                    hcl_inputs(Some(&attribute.expr))
                )
            });
            sink.unclear(
                &META,
                file,
                span,
                address.to_string(),
                format!("How long does `{address}` keep its logs in each environment?"),
                reason,
            );
            return;
        }
    };
    let unless = unless_set(via.as_ref());
    let origin = via_origin(via.as_ref());
    let label = match &value {
        ExprValue::Number(days) if days == "0" => format!("`0` means never expire{origin}"),
        ExprValue::Null => format!("`null` means never expire{origin}"),
        _ => {
            sink.holds(&META, file, address.to_string());
            return;
        }
    };
    sink.violation(
        &META,
        file,
        span,
        address.to_string(),
        format!("log group `{address}` keeps logs forever{unless}"),
        label,
    )
    .help = Some("set a positive number of days".into());
}
