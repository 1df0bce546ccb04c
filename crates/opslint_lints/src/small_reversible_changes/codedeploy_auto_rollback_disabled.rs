use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::aws::{
    CfnSetting, FlagCheck, TfBlock, cfn_property, created_resources, tf_attribute, tf_block,
};
use crate::support::{unless_set, via_origin};

pub struct CodedeployAutoRollbackDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "codedeploy-auto-rollback-disabled",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP04", "OPS06-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "CodeDeploy deployment group without automatic rollback",
    what_it_checks: "Terraform `aws_codedeploy_deployment_group` resources without an \
        `auto_rollback_configuration` block that has `enabled = true`, and CloudFormation \
        `AWS::CodeDeploy::DeploymentGroup` resources without \
        `AutoRollbackConfiguration.Enabled: true`.",
    why_it_matters: "Without automatic rollback a failed deployment, or one that trips an \
        alarm, stays in place until someone notices and redeploys the previous revision by \
        hand. Rollback on failure is what makes a canary or linear deployment reversible \
        without a person in the loop.",
    how_to_fix: "```hcl\nresource \"aws_codedeploy_deployment_group\" \"api\" {\n  # ...\n  auto_rollback_configuration {\n    enabled = true\n    events  = [\"DEPLOYMENT_FAILURE\", \"DEPLOYMENT_STOP_ON_ALARM\"]\n  }\n}\n```",
    known_limits: "SAM functions with a `DeploymentPreference` get a deployment group with \
        rollback from the SAM transform and are not checked here. A value from a variable \
        or parameter without a default is reported as a question.",
};

impl Rule for CodedeployAutoRollbackDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (file, resource) in created_resources(workspace, &["aws_codedeploy_deployment_group"]) {
            let address = resource.address();
            let check = FlagCheck {
                meta: &META,
                file,
                location: &address,
                message: format!(
                    "deployment group `{address}` does not roll back failed deployments"
                ),
                question: format!("Does `{address}` roll back a failed deployment?"),
                help: "add `auto_rollback_configuration { enabled = true, events = \
                   [\"DEPLOYMENT_FAILURE\"] }`"
                    .into(),
            };
            let body = &resource.block.body;
            match tf_block(workspace, file, body, "auto_rollback_configuration") {
                TfBlock::Present { body, span } => {
                    let setting = tf_attribute(workspace, file, body, "enabled");
                    check.terraform(setting, "enabled", span, sink);
                }
                TfBlock::Missing { via, span } => check.violation(
                    span.unwrap_or(resource.block.header_span),
                    via.as_ref().map(|v| unless_set(Some(v))),
                    format!(
                        "no `auto_rollback_configuration`{}",
                        via_origin(via.as_ref())
                    ),
                    sink,
                ),
                TfBlock::Unknown { reason, span } => check.unclear(span, reason, sink),
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in template.resources_of_type("AWS::CodeDeploy::DeploymentGroup") {
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!(
                        "deployment group `{id}` does not roll back failed deployments"
                    ),
                    question: format!("Does `{id}` roll back a failed deployment?"),
                    help: "set `AutoRollbackConfiguration` with `Enabled: true` and `Events`"
                        .into(),
                };
                if let CfnSetting::Missing =
                    cfn_property(template, resource, &["AutoRollbackConfiguration"], None)
                {
                    check.violation(
                        resource.id_span,
                        None,
                        "no `AutoRollbackConfiguration`".into(),
                        sink,
                    );
                    continue;
                }
                let setting = cfn_property(
                    template,
                    resource,
                    &["AutoRollbackConfiguration", "Enabled"],
                    None,
                );
                check.cloudformation(
                    setting,
                    "AutoRollbackConfiguration.Enabled",
                    resource.id_span,
                    sink,
                );
            }
        }
    }
}
