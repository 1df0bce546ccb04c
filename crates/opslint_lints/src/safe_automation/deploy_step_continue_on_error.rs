use std::collections::HashSet;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, Span};
use opslint_model::Workspace;
use opslint_syntax::value::Node;

use super::deploys::{
    DeployStep, deploy_steps, github_jobs, gitlab_jobs, representative, step_label, step_location,
};
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
        the whole job, GitLab CI deploy jobs with `allow_failure: true`, and deploy commands \
        followed by `|| true`, `|| :` or `|| echo ...` in workflows, pipelines and the \
        scripts they call.",
    why_it_matters: "A failed deploy that the pipeline reports as green hides a half-applied \
        change: later jobs promote it, smoke tests run against the old version, and nobody \
        is told to roll back.",
    how_to_fix: "Let the deploy fail the job, and handle the failure in a step that runs \
        `if: failure()`:\n\n\
        ```yaml\n      - run: helm upgrade --atomic api ./chart\n      - if: failure()\n        run: ./scripts/notify-failed-deploy.sh\n```",
    known_limits: "`set +e` inside a script is not recognised, and `|| true` only when it \
        follows the deploy command on the same line.",
};

/// Reads a `continue-on-error:` value, or `None` for an expression.
fn read_flag(node: &Node) -> Option<bool> {
    node.as_bool()
}

/// Reports a deploy command followed on its line by `|| true`, `|| :` or
/// `|| echo ...`, which turn its failure into success.
/// A command reached from several jobs is reported once, for the first job.
fn check_ignored_status(
    deploy: &DeployStep,
    job: &str,
    location: String,
    seen: &mut HashSet<(String, Span)>,
    sink: &mut Sink,
) {
    let after = &deploy.file.text[deploy.span.end.min(deploy.file.text.len())..];
    let rest_of_line = after.lines().next().unwrap_or("").trim_start();
    let Some(fallback) = rest_of_line.strip_prefix("||") else {
        return;
    };
    let fallback = fallback.trim_start();
    let ignores = fallback.starts_with("true")
        || fallback.starts_with(':')
        || fallback.starts_with("echo")
        || fallback.starts_with("exit 0");
    if !ignores || !seen.insert((deploy.file.path.clone(), deploy.span)) {
        return;
    }
    let fallback_text: String = fallback
        .split(['#', ';', '&', '|'])
        .next()
        .unwrap_or("")
        .trim_end()
        .chars()
        .take(30)
        .collect();
    sink.violation(
        &META,
        deploy.file,
        deploy.span,
        location,
        format!(
            "job `{job}` runs `{}`{} and ignores its failure with `|| {fallback_text}`",
            deploy.name,
            deploy.via_clause()
        ),
        "a failed deploy counts as success",
    )
    .help = Some(format!(
        "remove `|| {fallback_text}`, or handle the failure and exit non-zero"
    ));
}

impl Rule for DeployStepContinueOnError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let mut seen = HashSet::new();
        for context in github_jobs(workspace) {
            let job = context.job;
            let file = &context.artifact.file;
            let deploys = deploy_steps(workspace, context.artifact, job);
            let Some(first) = representative(&deploys) else {
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
                                "job `{}` runs `{}`{} with `continue-on-error: true`",
                                job.id,
                                first.name,
                                first.via_clause()
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
            for deploy in &deploys {
                let location = step_location(context.artifact, job, deploy.step_index);
                check_ignored_status(deploy, &job.id, location, &mut seen, sink);
            }
            let mut reported = HashSet::new();
            for deploy in &deploys {
                if !reported.insert(deploy.step_index) {
                    continue;
                }
                let deploy = representative(
                    deploys
                        .iter()
                        .filter(|other| other.step_index == deploy.step_index),
                )
                .unwrap_or(deploy);
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
                                "{} of job `{}` runs `{}`{} with `continue-on-error: true`",
                                step_label(job, deploy.step_index),
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
            for deploy in &deploys {
                check_ignored_status(
                    deploy,
                    &context.job.name,
                    context.location(),
                    &mut seen,
                    sink,
                );
            }
            let Some(first) = representative(&deploys) else {
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
                        "job `{}` runs `{}`{} with `allow_failure: true`",
                        context.job.name,
                        first.name,
                        first.via_clause()
                    ),
                    "a failed deploy leaves the pipeline green",
                )
                .help = Some("remove `allow_failure` from the deploying job".into());
            }
        }
    }
}
