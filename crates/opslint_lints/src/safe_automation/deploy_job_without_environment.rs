use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::deploys::deploy_steps;
use crate::Rule;

pub struct DeployJobWithoutEnvironment;

pub static META: RuleMeta = RuleMeta {
    id: "deploy-job-without-environment",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS07-BP05", "OPS06-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::GithubWorkflow],
    summary: "CI job that deploys without a protected environment",
    what_it_checks: "GitHub Actions jobs that run a deploy command (`terraform apply`, \
        `kubectl apply`, `helm upgrade`, `aws cloudformation deploy`, `sam deploy`, \
        `cdk deploy`, `serverless deploy` and similar) or a deploy action, and declare no \
        `environment:`. Workflows that only run on `workflow_dispatch` count as manually \
        gated.",
    why_it_matters: "An environment is where GitHub enforces required reviewers, wait \
        timers, branch restrictions and environment-scoped secrets. A deploy job without \
        one changes production on every matching trigger with no gate, and its \
        deployments do not appear in the environment's history.",
    how_to_fix: "Declare the environment the job deploys to, and protect it in the \
        repository settings:\n\n\
        ```yaml\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: terraform apply -auto-approve tfplan\n```",
    known_limits: "Deploys reached through scripts and Makefiles, reusable workflows and \
        GitLab CI are not followed yet. Deploys to short-lived test clusters are reported \
        like any other.",
};

impl Rule for DeployJobWithoutEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, workflow) in workspace.github_workflows() {
            let file = &artifact.file;
            for job in &workflow.jobs {
                if job.calls_workflow().is_some() {
                    continue;
                }
                let deploys = deploy_steps(job, file);
                let Some(first) = deploys.first() else {
                    continue;
                };
                let location = format!("jobs/{}", job.id);
                if job.environment().is_some() || workflow.is_manual_only() {
                    sink.holds(&META, file, location);
                    continue;
                }
                let also = if deploys.len() > 1 {
                    format!(" and {} more deploy step(s)", deploys.len() - 1)
                } else {
                    String::new()
                };
                sink.violation(
                    &META,
                    file,
                    first.span,
                    location,
                    format!(
                        "job `{}` runs `{}`{also} without a protected environment",
                        job.id, first.name
                    ),
                    "deploys with no environment gate",
                )
                .help = Some(format!(
                    "add `environment: <name>` to job `{}` and require reviewers on that environment",
                    job.id
                ));
            }
        }
    }
}
