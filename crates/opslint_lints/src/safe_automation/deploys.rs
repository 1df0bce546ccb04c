//! Finds the deploying steps of GitHub Actions jobs.

use opslint_core::{SourceFile, Span};
use opslint_model::commands::deploy_commands;
use opslint_model::github::Job;

/// Actions whose only job is to deploy, by `owner/name` without the ref.
const DEPLOY_ACTIONS: [&str; 9] = [
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "aws-actions/aws-codebuild-run-build",
    "azure/k8s-deploy",
    "azure/webapps-deploy",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "hashicorp/tfc-workflows-github/actions/apply-run",
    "serverless/github-action",
];

/// One deploying command or action in a job.
#[derive(Debug)]
pub struct DeployStep {
    /// `terraform apply`, or the action's `owner/name`.
    pub name: String,
    /// The exact command in the file, or the step's `uses:` value.
    pub span: Span,
    pub auto_approve: bool,
}

pub fn deploy_steps(job: &Job, file: &SourceFile) -> Vec<DeployStep> {
    let mut found = Vec::new();
    for step in &job.steps {
        if let Some(run) = &step.run {
            for command in deploy_commands(&run.text) {
                found.push(DeployStep {
                    span: run.file_span(file, command.span),
                    name: command.name,
                    auto_approve: command.auto_approve,
                });
            }
        }
        if let Some(uses) = &step.uses {
            let action = uses.split('@').next().unwrap_or(uses);
            let action_lower = action.to_ascii_lowercase();
            if DEPLOY_ACTIONS.contains(&action_lower.as_str()) {
                let span = step.node.get("uses").map_or(step.node.span, |n| n.span);
                found.push(DeployStep {
                    name: action.to_string(),
                    span,
                    auto_approve: false,
                });
            }
        }
    }
    found
}
