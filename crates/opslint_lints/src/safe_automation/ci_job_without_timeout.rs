use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use std::collections::BTreeMap;

use super::deploys::{GitlabJobContext, github_jobs, gitlab_jobs};
use crate::Rule;

pub struct CiJobWithoutTimeout;

pub static META: RuleMeta = RuleMeta {
    id: "ci-job-without-timeout",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS05-BP04", "OPS06-BP01"],
    severity: Severity::Note,
    artifacts: &[ArtifactKind::GithubWorkflow, ArtifactKind::GitlabCi],
    summary: "CI job that relies on the platform's maximum run time",
    what_it_checks: "GitHub Actions jobs with steps and no `timeout-minutes:`. Jobs that call \
        a reusable workflow are skipped, because the called workflow's jobs carry their own \
        timeouts. GitLab CI jobs always have a limit, the project's job timeout (60 minutes \
        unless changed in the project settings), so a GitLab file whose jobs set no \
        `timeout:` (directly, through `extends:` or in `default:`) gets one question about \
        that setting instead of a finding.",
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
        check_gitlab(workspace, sink);
    }
}

/// Asks once per GitLab project about the project timeout that bounds the
/// jobs that set no `timeout:` of their own.
fn check_gitlab(workspace: &Workspace, sink: &mut Sink) {
    let mut unbounded: BTreeMap<String, Vec<GitlabJobContext>> = BTreeMap::new();
    for context in gitlab_jobs(workspace) {
        if context.key("script").is_none() && context.key("trigger").is_some() {
            continue;
        }
        let default_timeout = context.default.and_then(|(node, _)| node.get("timeout"));
        if context.key("timeout").is_some() || default_timeout.is_some() {
            sink.holds(&META, &context.artifact.file, context.location());
            continue;
        }
        unbounded
            .entry(project_of(workspace, &context.artifact.file.path))
            .or_default()
            .push(context);
    }
    for jobs in unbounded.values() {
        let first = &jobs[0];
        let names: Vec<String> = jobs.iter().map(|c| format!("`{}`", c.job.name)).collect();
        let reason = if names.len() == 1 {
            format!(
                "job {} sets no `timeout:`, so the project setting bounds it",
                names[0]
            )
        } else {
            format!(
                "jobs {} set no `timeout:`, so the project setting bounds them",
                names.join(", ")
            )
        };
        sink.unclear(
            &META,
            &first.artifact.file,
            first.job.name_span,
            first.location(),
            "Which job timeout does the GitLab project set, and is it close to the jobs' usual run time?",
            reason,
        );
    }
}

/// Returns the folder of the `.gitlab-ci.yml` at or above `path`, which
/// names the project whose settings the file's jobs share, so included files
/// in subfolders belong to it. Without one, the file is its own project.
fn project_of(workspace: &Workspace, path: &str) -> String {
    let mut folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
    loop {
        let candidate = if folder.is_empty() {
            ".gitlab-ci.yml".to_string()
        } else {
            format!("{folder}/.gitlab-ci.yml")
        };
        if workspace.artifact(&candidate).is_some() {
            return folder.to_string();
        }
        match folder.rsplit_once('/') {
            Some((parent, _)) => folder = parent,
            None if !folder.is_empty() => folder = "",
            None => return path.to_string(),
        }
    }
}
