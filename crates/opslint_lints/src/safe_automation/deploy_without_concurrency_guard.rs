use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::deploys::{deploy_steps, github_jobs, gitlab_jobs, names_pull_request, representative};
use crate::Rule;

pub struct DeployWithoutConcurrencyGuard;

pub static META: RuleMeta = RuleMeta {
    id: "deploy-without-concurrency-guard",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS06-BP01", "OPS05-BP10"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
    ],
    summary: "deploying CI job that two runs can execute at the same time",
    what_it_checks: "GitHub Actions jobs that run a deploy command or deploy action, directly \
        or through a composite action or script of the repository, with no `concurrency:` on \
        the job or its workflow. A reusable workflow is covered when every in-repository \
        caller sets a concurrency group. A group with `cancel-in-progress: true` is reported \
        too, because it cancels a deploy halfway. GitLab CI deploy jobs need a \
        `resource_group` and must not be `interruptible: true`.",
    why_it_matters: "Two pushes in quick succession start two deploys that apply in parallel. \
        They race on the Terraform state lock, roll out two versions at once, or leave an \
        older build deployed after a newer one. A concurrency group queues or cancels the \
        older run.",
    how_to_fix: "Put deploys to the same target in one concurrency group, and do not cancel a \
        deploy that is running:\n\n\
        ```yaml\njobs:\n  deploy:\n    concurrency:\n      group: deploy-production\n      cancel-in-progress: false\n```",
    known_limits: "A command in a script, Makefile or composite action that the job calls \
        is reported at the job's step that calls it, so each job that shares the script \
        gets its own finding and suppression. \
        Locks taken outside GitHub (a Terraform backend lock, a deploy tool's own \
        queue) are not recognised. Any concurrency group counts, whatever its key. A group \
        that cancels older runs is accepted when its key names the pull request (its number \
        or `github.head_ref`), as preview deploys do; a per-branch key is reported like a \
        production deploy.",
};

impl Rule for DeployWithoutConcurrencyGuard {
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
            let Some(first) = representative(&deploys) else {
                continue;
            };
            if context.has_concurrency() {
                let group = job.concurrency().or(context.workflow.concurrency.as_ref());
                let cancel = group.and_then(|group| group.get("cancel-in-progress"));
                let per_pull_request = group
                    .and_then(|group| group.get("group"))
                    .and_then(|key| key.as_str())
                    .is_some_and(names_pull_request);
                match cancel.map(|node| (node, node.as_bool())) {
                    // A preview deploy of one pull request: cancelling the
                    // older run of the same pull request is what teams want.
                    Some((_, Some(true))) if per_pull_request => {
                        sink.holds(&META, &context.artifact.file, context.location());
                    }
                    Some((node, Some(true))) => {
                        sink.violation(
                            &META,
                            &context.artifact.file,
                            node.span,
                            context.location(),
                            format!(
                                "job `{}` runs `{}` in a concurrency group that cancels it when a newer run starts",
                                job.id, first.name
                            ),
                            "a newer run stops the deploy halfway",
                        )
                        .help = Some(
                            "set `cancel-in-progress: false` so a newer deploy waits for the running one"
                                .into(),
                        );
                    }
                    Some((node, None)) => sink.unclear(
                        &META,
                        &context.artifact.file,
                        node.span,
                        context.location(),
                        format!(
                            "can `cancel-in-progress` be true when deploy job `{}` runs?",
                            job.id
                        ),
                        "the value is an expression evaluated at run time",
                    ),
                    _ => sink.holds(&META, &context.artifact.file, context.location()),
                }
                continue;
            }
            sink.violation(
                &META,
                first.job_site().0,
                first.job_site().1,
                context.location(),
                format!(
                    "job `{}` runs `{}`{} with no `concurrency` group",
                    job.id,
                    first.name,
                    first.via_clause()
                ),
                "overlapping runs deploy at the same time",
            )
            .help = Some(format!(
                "add `concurrency: {{ group: <target>, cancel-in-progress: false }}` to job `{}` or its workflow",
                job.id
            ));
        }
        for context in gitlab_jobs(workspace) {
            let deploys = context.deploys(workspace);
            let Some(first) = representative(&deploys) else {
                continue;
            };
            let interruptible = context.key("interruptible").or_else(|| {
                context
                    .default
                    .and_then(|(node, _)| node.get("interruptible"))
            });
            if interruptible.and_then(|node| node.as_bool()) == Some(true) {
                // A value inherited through `extends:` or `default:` may sit in
                // another file, so the job name is reported then.
                let span = match context.job.node.get("interruptible") {
                    Some(node) => node.span,
                    None => context.job.name_span,
                };
                sink.violation(
                    &META,
                    &context.artifact.file,
                    span,
                    context.location(),
                    format!(
                        "job `{}` runs `{}` and is `interruptible`, so a newer pipeline can cancel it",
                        context.job.name, first.name
                    ),
                    "a newer pipeline stops the deploy halfway",
                )
                .help = Some(format!(
                    "set `interruptible: false` on job `{}`",
                    context.job.name
                ));
            }
            if context.key("resource_group").is_some() {
                sink.holds(&META, &context.artifact.file, context.location());
                continue;
            }
            if context.ask_missing_templates(
                &META,
                first.job_site().1,
                first.job_site().0,
                "`resource_group:`",
                sink,
            ) {
                continue;
            }
            sink.violation(
                &META,
                first.job_site().0,
                first.job_site().1,
                context.location(),
                format!(
                    "job `{}` runs `{}`{} with no `resource_group`",
                    context.job.name,
                    first.name,
                    first.via_clause()
                ),
                "overlapping pipelines deploy at the same time",
            )
            .help = Some(format!(
                "add `resource_group: <target>` to job `{}`",
                context.job.name
            ));
        }
    }
}
