//! Rules of the principle "Safely automate where possible".

pub mod action_not_pinned;
pub mod ci_job_without_timeout;
pub mod deploy_job_without_environment;
pub mod deploy_step_continue_on_error;
pub mod deploy_without_concurrency_guard;
pub(crate) mod deploys;
pub mod terraform_auto_approve_without_gate;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &action_not_pinned::ActionNotPinned,
        &ci_job_without_timeout::CiJobWithoutTimeout,
        &deploy_job_without_environment::DeployJobWithoutEnvironment,
        &deploy_step_continue_on_error::DeployStepContinueOnError,
        &deploy_without_concurrency_guard::DeployWithoutConcurrencyGuard,
        &terraform_auto_approve_without_gate::TerraformAutoApproveWithoutGate,
    ]
}
