use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_syntax::value::Node;

use super::deploys::{deploy_steps, github_jobs, gitlab_jobs, step_location};
use crate::Rule;

pub struct DeployStepContinueOnError;

pub static META: RuleMeta = RuleMeta {
    id: "deploy-step-continue-on-error",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS06-BP01", "OPS06-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::GithubWorkflow, ArtifactKind::GitlabCi],
    summary: "deploy whose failure the pipeline ignores",
    what_it_checks: "GitHub Actions steps that run a deploy command or deploy action with \
        `continue-on-error: true`, and deploying jobs that set `continue-on-error: true` for \
        the whole job, and GitLab CI deploy jobs with `allow_failure: true`.",
    why_it_matters: "A failed deploy that the pipeline reports as green hides a half-applied \
        change: later jobs promote it, smoke tests run against the old version, and nobody \
        is told to roll back.",
    how_to_fix: "Let the deploy fail the job, and handle the failure in a step that runs \
        `if: failure()`:\n\n\
        ```yaml\n      - run: helm upgrade --atomic api ./chart\n      - if: failure()\n        run: ./scripts/notify-failed-deploy.sh\n```",
    known_limits: "`|| true` and `set +e` inside the script are not recognised.",
};

/// Reads a `continue-on-error:` value, or `None` for an expression.
fn read_flag(node: &Node) -> Option<bool> {
    node.as_bool()
}

impl Rule for DeployStepContinueOnError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for context in github_jobs(workspace) {
            let job = context.job;
            let file = &context.artifact.file;
            let deploys = deploy_steps(workspace, context.artifact, job);
            let Some(first) = deploys.first() else {
                continue;
            };
            if let Some(flag) = job.continue_on_error() {
                match read_flag(flag) {
                    Some(true) => {
                        sink.violation(
                            &META,
                            file,
                            flag.span,
                            context.location(),
                            format!(
                                "job `{}` runs `{}` with `continue-on-error: true`",
                                job.id, first.name
                            ),
                            "a failed deploy leaves the run green",
                        )
                        .help = Some("remove `continue-on-error` from the deploying job".into());
                    }
                    Some(false) => {}
                    None => sink.unclear(
                        &META,
                        file,
                        flag.span,
                        context.location(),
                        format!(
                            "when does `continue-on-error` of deploying job `{}` become true?",
                            job.id
                        ),
                        "the value is an expression evaluated at run time",
                    ),
                }
            }
            let mut reported = std::collections::HashSet::new();
            for deploy in &deploys {
                if !reported.insert(deploy.step_index) {
                    continue;
                }
                let step = &job.steps[deploy.step_index];
                let location = step_location(context.artifact, job, deploy.step_index);
                let Some(flag) = step.continue_on_error() else {
                    continue;
                };
                match read_flag(flag) {
                    Some(true) => {
                        sink.violation(
                            &META,
                            file,
                            flag.span,
                            location,
                            format!(
                                "step {} of job `{}` runs `{}`{} with `continue-on-error: true`",
                                deploy.step_index + 1,
                                job.id,
                                deploy.name,
                                deploy.via_clause()
                            ),
                            "a failed deploy leaves the run green",
                        )
                        .help = Some("remove `continue-on-error` from the deploy step".into());
                    }
                    Some(false) => sink.holds(&META, file, location),
                    None => sink.unclear(
                        &META,
                        file,
                        flag.span,
                        location,
                        format!(
                            "when does `continue-on-error` of the `{}` step in job `{}` become true?",
                            deploy.name, job.id
                        ),
                        "the value is an expression evaluated at run time",
                    ),
                }
            }
        }
        for context in gitlab_jobs(workspace) {
            let deploys = context.deploys(workspace);
            let Some(first) = deploys.first() else {
                continue;
            };
            let Some(flag) = context.key("allow_failure") else {
                continue;
            };
            // `allow_failure: { exit_codes: [...] }` tolerates named exit codes only.
            if read_flag(flag) == Some(true) {
                // A value inherited through `extends:` may sit in another file.
                let span = if context.job.node.get("allow_failure").is_some() {
                    flag.span
                } else {
                    context.job.name_span
                };
                sink.violation(
                    &META,
                    &context.artifact.file,
                    span,
                    context.location(),
                    format!(
                        "job `{}` runs `{}` with `allow_failure: true`",
                        context.job.name, first.name
                    ),
                    "a failed deploy leaves the pipeline green",
                )
                .help = Some("remove `allow_failure` from the deploying job".into());
            }
        }
    }
}
