//! Rules of the principle "Safely automate where possible".

pub mod deploy_job_without_environment;
mod deploys;
pub mod terraform_auto_approve_without_gate;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &deploy_job_without_environment::DeployJobWithoutEnvironment,
        &terraform_auto_approve_without_gate::TerraformAutoApproveWithoutGate,
    ]
}
