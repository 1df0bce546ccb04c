//! The built-in rules, one file per rule, grouped in folders by principle.

mod anticipate_failure;
mod observability;
mod safe_automation;
mod small_reversible_changes;
mod support;

use opslint_core::{RuleMeta, Sink};
use opslint_model::Workspace;

/// A rule reads the workspace model and reports what holds, what is
/// violated and what is unclear.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, workspace: &Workspace, sink: &mut Sink);
}

/// Every built-in rule, sorted by id.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = vec![
        &anticipate_failure::k8s_missing_readiness_probe::K8sMissingReadinessProbe,
        &anticipate_failure::k8s_missing_liveness_probe::K8sMissingLivenessProbe,
        &observability::lambda_tracing_disabled::LambdaTracingDisabled,
        &observability::log_retention_unset::LogRetentionUnset,
        &small_reversible_changes::ecs_deployment_rollback_disabled::EcsDeploymentRollbackDisabled,
        &small_reversible_changes::mutable_image_tag::MutableImageTag,
        &safe_automation::deploy_job_without_environment::DeployJobWithoutEnvironment,
        &safe_automation::terraform_auto_approve_without_gate::TerraformAutoApproveWithoutGate,
    ];
    rules.sort_by_key(|rule| rule.meta().id);
    rules
}

/// Looks up a rule's metadata by id, the tool's own diagnostics included.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    all()
        .into_iter()
        .map(|rule| rule.meta())
        .chain(opslint_core::tool_rules::ALL)
        .find(|meta| meta.id == id)
}
