use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::deploys::{Gate, deploy_steps, github_jobs};
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
        `environment:`. Deploys in composite actions of the repository count for the job \
        that uses them. Workflows that only run on `workflow_dispatch`, jobs whose `if:` \
        requires `github.event_name == 'workflow_dispatch'`, and reusable workflows whose \
        in-repository callers are all manual count as manually gated.",
    why_it_matters: "An environment is where GitHub enforces required reviewers, wait \
        timers, branch restrictions and environment-scoped secrets. A deploy job without \
        one changes production on every matching trigger with no gate, and its \
        deployments do not appear in the environment's history.",
    how_to_fix: "Declare the environment the job deploys to, and protect it in the \
        repository settings:\n\n\
        ```yaml\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: terraform apply -auto-approve tfplan\n```",
    known_limits: "Deploys to short-lived test clusters are reported like any other. A job \
        limited to tag pushes by `if:` or by its trigger becomes a question, because tag \
        protection is repository configuration.",
};

impl Rule for DeployJobWithoutEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for context in github_jobs(workspace) {
            let job = context.job;
            if job.calls_workflow().is_some() {
                continue;
            }
            let deploys = deploy_steps(workspace, context.artifact, job);
            let Some(first) = deploys.first() else {
                continue;
            };
            let location = context.location();
            match context.gate() {
                Gate::Environment | Gate::Manual => {
                    sink.holds(&META, &context.artifact.file, location);
                    continue;
                }
                Gate::Tags => {
                    sink.unclear(
                        &META,
                        first.file,
                        first.span,
                        location,
                        format!(
                            "do tag rulesets limit who may push the tags that start deploy job `{}`?",
                            job.id
                        ),
                        format!(
                            "job `{}` deploys only for tag pushes and declares no environment",
                            job.id
                        ),
                    );
                    continue;
                }
                Gate::None => {}
            }
            let also = if deploys.len() > 1 {
                format!(" and {} more deploy step(s)", deploys.len() - 1)
            } else {
                String::new()
            };
            sink.violation(
                &META,
                first.file,
                first.span,
                location,
                format!(
                    "job `{}` runs `{}`{}{also} without a protected environment",
                    job.id,
                    first.name,
                    first.via_clause()
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
