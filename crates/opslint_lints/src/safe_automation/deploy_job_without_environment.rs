use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile};
use opslint_model::Workspace;

use super::deploys::{DeployStep, Gate, deploy_steps, github_jobs, gitlab_jobs, representative};
use crate::Rule;

pub struct DeployJobWithoutEnvironment;

pub static META: RuleMeta = RuleMeta {
    id: "deploy-job-without-environment",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS07-BP05", "OPS06-BP02"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
    ],
    summary: "CI job that deploys without a protected environment",
    what_it_checks: "GitHub Actions jobs that run a deploy command (`terraform apply`, \
        `kubectl apply`, `helm upgrade`, `aws cloudformation deploy`, `sam deploy`, \
        `cdk deploy`, `serverless deploy` and similar) or a deploy action, and declare no \
        `environment:`. Docker releases count: `docker stack deploy`, `docker service \
        update`, and `docker compose up` on another host (`--context`, `-H`, `DOCKER_HOST`, \
        over `ssh`) or with a production or staging compose file; a compose stack for \
        tests does not. Deploys in composite actions of the repository count for the job \
        that uses them. Workflows that only run on `workflow_dispatch`, jobs whose `if:` \
        requires `github.event_name == 'workflow_dispatch'`, and reusable workflows whose \
        in-repository callers are all manual count as manually gated. GitLab CI jobs are \
        checked the same way, with `extends:` applied; `when: manual` (on the job or on \
        every `rules:` entry that runs it) counts as a gate.",
    why_it_matters: "An environment is where GitHub enforces required reviewers, wait \
        timers, branch restrictions and environment-scoped secrets. A deploy job without \
        one changes production on every matching trigger with no gate, and its \
        deployments do not appear in the environment's history.",
    how_to_fix: "Declare the environment the job deploys to, and protect it in the \
        repository settings:\n\n\
        ```yaml\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: terraform apply -auto-approve tfplan\n```",
    known_limits: "A command in a script, Makefile or composite action that the job calls \
        is reported at the job's step that calls it, so each job that shares the script \
        gets its own finding and suppression. \
        A command whose text names the pull or merge request (`github.event.number`, \
        `github.head_ref`, `$CI_MERGE_REQUEST_IID` and the like) deploys or removes a preview \
        and is skipped, by this rule and the other CI deploy rules. Deploys to other \
        short-lived test clusters are reported like any other. A job \
        limited to tag pushes by `if:` or by its trigger becomes a question, because tag \
        protection is repository configuration.",
};

impl Rule for DeployJobWithoutEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for context in github_jobs(workspace) {
            if context.job.calls_workflow().is_some() {
                continue;
            }
            let deploys = deploy_steps(workspace, context.artifact, context.job);
            let job = JobFacts {
                file: &context.artifact.file,
                name: &context.job.id,
                location: context.location(),
                gate: context.gate(),
                tag_protection: "tag rulesets",
                fix: "add `environment: <name>` to job `{job}` and require reviewers on that environment",
            };
            check_job(&job, &deploys, sink);
        }
        for context in gitlab_jobs(workspace) {
            let deploys = context.deploys(workspace);
            if let Some(first) = representative(&deploys)
                && context.gate() == Gate::None
                && context.ask_missing_templates(
                    &META,
                    first.span,
                    first.file,
                    "`environment:` or `when: manual`",
                    sink,
                )
            {
                continue;
            }
            let job = JobFacts {
                file: &context.artifact.file,
                name: &context.job.name,
                location: context.location(),
                gate: context.gate(),
                tag_protection: "protected tags",
                fix: "add `environment: <name>` to job `{job}` and protect that environment, or set `when: manual`",
            };
            check_job(&job, &deploys, sink);
        }
    }
}

/// The facts about a job of either CI system that the rule uses.
struct JobFacts<'a> {
    file: &'a SourceFile,
    name: &'a str,
    location: String,
    gate: Gate,
    /// The platform's name for its tag protection.
    tag_protection: &'static str,
    /// Help text, with `{job}` standing for the job name.
    fix: &'static str,
}

fn check_job(job: &JobFacts, deploys: &[DeployStep], sink: &mut Sink) {
    let Some(first) = representative(deploys.iter()) else {
        return;
    };
    let (site_file, site_span) = first.job_site();
    match job.gate {
        Gate::Environment | Gate::Manual => {
            sink.holds(&META, job.file, job.location.clone());
            return;
        }
        Gate::Tags => {
            sink.unclear(
                &META,
                site_file,
                site_span,
                job.location.clone(),
                format!(
                    "do {} limit who may push the tags that start deploy job `{}`?",
                    job.tag_protection, job.name
                ),
                format!(
                    "job `{}` deploys only for tag pushes and declares no environment",
                    job.name
                ),
            );
            return;
        }
        Gate::None => {}
    }
    let also = match deploys.len() {
        0 | 1 => String::new(),
        2 => " and 1 more deploy step".to_string(),
        n => format!(" and {} more deploy steps", n - 1),
    };
    sink.violation(
        &META,
        site_file,
        site_span,
        job.location.clone(),
        format!(
            "job `{}` runs `{}`{}{also} without a protected environment",
            job.name,
            first.name,
            first.via_clause()
        ),
        "deploys with no environment gate",
    )
    .help = Some(job.fix.replace("{job}", job.name));
}
