//! Rules of the principle "Safely automate where possible".

pub mod action_not_pinned;
pub mod ci_job_without_timeout;
pub mod deploy_job_without_environment;
pub mod deploy_step_continue_on_error;
pub mod deploy_without_concurrency_guard;
pub(crate) mod deploys;
pub mod shell_script_without_errexit;
pub mod terraform_auto_approve_without_gate;
pub mod unguarded_destructive_command;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &action_not_pinned::ActionNotPinned,
        &ci_job_without_timeout::CiJobWithoutTimeout,
        &deploy_job_without_environment::DeployJobWithoutEnvironment,
        &deploy_step_continue_on_error::DeployStepContinueOnError,
        &deploy_without_concurrency_guard::DeployWithoutConcurrencyGuard,
        &shell_script_without_errexit::ShellScriptWithoutErrexit,
        &terraform_auto_approve_without_gate::TerraformAutoApproveWithoutGate,
        &unguarded_destructive_command::UnguardedDestructiveCommand,
    ]
}
