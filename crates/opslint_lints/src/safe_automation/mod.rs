pub mod deploy_job_without_environment;
mod deploys;
pub mod terraform_auto_approve_without_gate;
