use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile};
use opslint_model::Workspace;
use opslint_model::cloudformation::Template;
use opslint_syntax::hcl::ExprValue;
use opslint_syntax::value::{Node, Value};

use super::cloudformation_rollback_disabled_cli::check_cli;
use crate::Rule;
use crate::aws::{CfnSetting, TfSetting, cfn_value, tf_attribute, tf_not_created};
use crate::support::{parameter_origin, unless_parameter_set, unless_set, via_origin};

pub struct CloudformationRollbackDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "cloudformation-rollback-disabled",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP01", "OPS06-BP04"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::Terraform,
        ArtifactKind::CloudFormation,
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
    ],
    summary: "CloudFormation stack that is not rolled back when a deploy fails",
    what_it_checks: "Terraform `aws_cloudformation_stack` resources with \
        `disable_rollback = true` or `on_failure = \"DO_NOTHING\"`; CloudFormation \
        templates that set `DisableRollback: true` or `OnFailure: DO_NOTHING` on a resource \
        that creates stacks (a custom resource, a pipeline action's configuration); and stack \
        operations in shell scripts and CI jobs, directly or through scripts, Makefile targets \
        and composite actions: `aws cloudformation deploy`, `create-stack`, `update-stack`, \
        `execute-change-set` and `sam deploy` with `--disable-rollback` or \
        `--on-failure DO_NOTHING`, and `cdk deploy --no-rollback`.",
    why_it_matters: "With rollback off a failed create or update leaves the stack half \
        applied: some resources on the new version, some on the old, and the stack in a \
        failed state that blocks the next deployment until someone cleans up by hand. The \
        automatic rollback is what makes a CloudFormation deploy reversible.",
    how_to_fix: "Remove `disable_rollback` and `on_failure = \"DO_NOTHING\"`, or set \
        `on_failure = \"ROLLBACK\"`:\n\n\
        ```hcl\nresource \"aws_cloudformation_stack\" \"network\" {\n  name          = \"network\"\n  template_body = file(\"network.yaml\")\n  on_failure    = \"ROLLBACK\"\n}\n```\n\n\
        On the command line, drop the flag and debug failed stacks in a development account:\n\n\
        ```sh\naws cloudformation deploy --stack-name api --template-file packaged.yaml\n```",
    known_limits: "A value from a variable or parameter without a default is reported as a \
        question. `samconfig.toml` settings are not read.",
};

impl Rule for CloudformationRollbackDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        check_terraform_stacks(workspace, sink);
        check_templates(workspace, sink);
        check_cli(workspace, sink);
    }
}

/// Checks `aws_cloudformation_stack` resources in Terraform.
fn check_terraform_stacks(workspace: &Workspace, sink: &mut Sink) {
    for (artifact, terraform) in workspace.terraform() {
        let file = &artifact.file;
        for resource in terraform.resources_of_type("aws_cloudformation_stack") {
            if tf_not_created(workspace, file, resource.block) {
                continue;
            }
            let address = resource.address();
            let body = &resource.block.body;
            let question = format!("Does `{address}` roll back a failed create or update?");
            let mut decided = false;
            for (name, disabling) in [("disable_rollback", "true"), ("on_failure", "DO_NOTHING")] {
                match tf_attribute(workspace, file, body, name) {
                    TfSetting::Known { value, via, span } => {
                        let is_disabling = match &value {
                            ExprValue::Bool(flag) => flag.to_string() == disabling,
                            ExprValue::String(text) => text == disabling,
                            _ => false,
                        };
                        if is_disabling {
                            sink.violation(
                                &META,
                                file,
                                span,
                                address.clone(),
                                format!(
                                    "stack `{address}` is not rolled back on failure{}",
                                    unless_set(via.as_ref())
                                ),
                                format!("`{name}` is `{disabling}`{}", via_origin(via.as_ref())),
                            )
                            .help = Some(format!("remove `{name}` or set it to roll back"));
                            decided = true;
                            break;
                        }
                    }
                    TfSetting::Unknown { reason, span } => {
                        sink.unclear(&META, file, span, address.clone(), question.clone(), reason);
                        decided = true;
                        break;
                    }
                    TfSetting::Missing => {}
                }
            }
            if !decided {
                sink.holds(&META, file, address);
            }
        }
    }
}

/// Checks templates for `DisableRollback: true` and `OnFailure: DO_NOTHING`
/// anywhere in a resource's properties.
fn check_templates(workspace: &Workspace, sink: &mut Sink) {
    for (artifact, template) in workspace.cloudformation() {
        if !may_name_rollback_keys(&artifact.file.text) {
            continue;
        }
        for resource in &template.resources {
            if let Some(properties) = resource.properties() {
                find_disabled_rollback(
                    &artifact.file,
                    template,
                    &resource.logical_id,
                    properties,
                    sink,
                );
            }
        }
    }
}

/// Returns whether a template's text may hold a `DisableRollback` or
/// `OnFailure` key, so that most templates' properties are not walked to
/// the last value. A key spelled with escapes (`"\u0044isableRollback"` in
/// JSON, `"\x44isableRollback"` in YAML) hides the words, so a backslash
/// anywhere also counts.
fn may_name_rollback_keys(text: &str) -> bool {
    text.contains("DisableRollback") || text.contains("OnFailure") || text.contains('\\')
}

fn find_disabled_rollback(
    file: &SourceFile,
    template: &Template,
    id: &str,
    node: &Node,
    sink: &mut Sink,
) {
    match &node.value {
        Value::Map(map) => {
            for entry in &map.entries {
                let disabling = match entry.key.as_str() {
                    "DisableRollback" => &["true", "True", "TRUE"][..],
                    "OnFailure" => &["DO_NOTHING"][..],
                    _ => {
                        find_disabled_rollback(file, template, id, &entry.value, sink);
                        continue;
                    }
                };
                let question = format!("Does the stack that `{id}` creates roll back on failure?");
                match cfn_value(template, &entry.value, &entry.key) {
                    CfnSetting::Literal {
                        text,
                        parameter,
                        span,
                    } if disabling.contains(&text) => {
                        sink.violation(
                            &META,
                            file,
                            span,
                            id.to_string(),
                            format!(
                                "`{id}` creates a stack that is not rolled back on failure{}",
                                unless_parameter_set(parameter)
                            ),
                            format!("`{}` is `{text}`{}", entry.key, parameter_origin(parameter)),
                        )
                        .help = Some(format!("remove `{}`", entry.key));
                    }
                    CfnSetting::Unknown { reason, span } => {
                        sink.unclear(&META, file, span, id.to_string(), question, reason);
                    }
                    _ => {}
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                find_disabled_rollback(file, template, id, item, sink);
            }
        }
        _ => {}
    }
}
