use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::deploys::github_jobs;
use crate::Rule;

pub struct CiJobWithoutTimeout;

pub static META: RuleMeta = RuleMeta {
    id: "ci-job-without-timeout",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS05-BP04", "OPS06-BP01"],
    severity: Severity::Note,
    artifacts: &[ArtifactKind::GithubWorkflow],
    summary: "CI job that relies on the platform's maximum run time",
    what_it_checks: "GitHub Actions jobs with steps and no `timeout-minutes:`. Jobs that call \
        a reusable workflow are skipped, because the called workflow's jobs carry their own \
        timeouts.",
    why_it_matters: "Without `timeout-minutes`, a hung job runs for GitHub's default of 360 \
        minutes. A stuck deploy holds its concurrency group and environment for six hours, \
        blocks the fix that would follow it, and burns runner minutes.",
    how_to_fix: "Set a timeout a little above the job's normal duration:\n\n\
        ```yaml\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n```",
    known_limits: "Step-level `timeout-minutes` values are not added up, and a timeout set by \
        an expression counts as set.",
};

impl Rule for CiJobWithoutTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for context in github_jobs(workspace) {
            let job = context.job;
            if job.calls_workflow().is_some() || job.steps.is_empty() {
                continue;
            }
            let file = &context.artifact.file;
            if job.timeout_minutes().is_some() {
                sink.holds(&META, file, context.location());
                continue;
            }
            sink.violation(
                &META,
                file,
                job.id_span,
                context.location(),
                format!("job `{}` has no `timeout-minutes`", job.id),
                "runs for up to 360 minutes when stuck",
            )
            .help =
                Some("add `timeout-minutes: <n>` a little above the job's usual run time".into());
        }
    }
}
