use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::cloudformation_rollback_disabled_cli::check_cli;
use crate::Rule;

pub struct CloudformationRollbackDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "cloudformation-rollback-disabled",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP01", "OPS06-BP04"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
    ],
    summary: "CloudFormation stack operation with rollback turned off",
    what_it_checks: "Stack operations in shell scripts and run by GitHub Actions and GitLab \
        CI jobs, directly or through scripts, Makefile targets and composite actions of the \
        repository: `aws cloudformation deploy`, `create-stack`, \
        `update-stack` and `execute-change-set` and `sam deploy` with `--disable-rollback` \
        or `--on-failure DO_NOTHING`, and `cdk deploy --no-rollback`.",
    why_it_matters: "With rollback disabled, a failed stack update stays half-applied: some \
        resources are new, some are old, and the stack sits in a failed state until someone \
        repairs it by hand. The automatic rollback is what makes a CloudFormation deploy \
        reversible.",
    how_to_fix: "Remove the flag, and debug failed stacks in a development account instead:\n\n\
        ```sh\naws cloudformation deploy --stack-name api --template-file packaged.yaml\n```",
    known_limits: "Rollback settings in templates and in Terraform's \
        `aws_cloudformation_stack` are not checked yet.",
};

impl Rule for CloudformationRollbackDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        check_cli(workspace, sink);
        check_templates(workspace, sink);
    }
}

/// Checks the template side: `DisableRollback` and Terraform's
/// `aws_cloudformation_stack` with `disable_rollback` or
/// `on_failure = "DO_NOTHING"`.
fn check_templates(_workspace: &Workspace, _sink: &mut Sink) {
    // TODO: check templates and Terraform stacks; this rule reports only the CLI side so far.
}
