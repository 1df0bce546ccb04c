use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::deploys::{Gate, deploy_steps, github_jobs, gitlab_jobs};
use crate::Rule;

pub struct TerraformAutoApproveWithoutGate;

pub static META: RuleMeta = RuleMeta {
    id: "terraform-auto-approve-without-gate",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS07-BP05", "OPS06-BP01"],
    severity: Severity::Error,
    artifacts: &[
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
    ],
    summary: "`terraform apply -auto-approve` on push or pull request without a gate",
    what_it_checks: "GitHub Actions jobs in workflows triggered by `push`, `pull_request` or \
        `pull_request_target` that run `terraform apply` or `terraform destroy` (also \
        through OpenTofu and Terragrunt) with `-auto-approve`, in a job with no \
        `environment:`. Reusable workflows take the triggers of their in-repository \
        callers. Jobs limited to tag pushes become a question about tag protection. GitLab \
        CI jobs run on pushes and merge requests unless their `rules:` say otherwise, so \
        every GitLab job with no `environment:` and no `when: manual` is checked.",
    why_it_matters: "`-auto-approve` removes the last look at the plan. On a push or pull \
        request trigger with no environment gate, any merged change, including an \
        accidental resource replacement or deletion, is applied at once and without \
        review of what Terraform is about to do.",
    how_to_fix: "Plan in one job, and apply the saved plan in a job gated by a protected \
        environment:\n\n\
        ```yaml\njobs:\n  apply:\n    needs: plan\n    environment: production\n    steps:\n      - run: terraform apply tfplan\n```",
    known_limits: "A command in a script, Makefile or composite action that the job calls \
        is reported at the job's step that calls it, so each job that shares the script \
        gets its own finding and suppression. \
        A gate implemented outside GitHub (for example an approval step in a \
        called script) is not recognised.",
};

impl Rule for TerraformAutoApproveWithoutGate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for context in github_jobs(workspace) {
            let triggers: Vec<&str> = context
                .triggers()
                .into_iter()
                .filter(|t| matches!(*t, "push" | "pull_request" | "pull_request_target"))
                .collect();
            if triggers.is_empty() {
                continue;
            }
            let job = context.job;
            let location = context.location();
            for deploy in deploy_steps(workspace, context.artifact, job) {
                if !deploy.auto_approve || !deploy.name.starts_with("terraform ") {
                    continue;
                }
                // A step's own `if:` may turn away more events than the job's.
                let step = job
                    .steps
                    .iter()
                    .find(|step| step.index == deploy.step_index);
                let triggers: Vec<&str> = triggers
                    .iter()
                    .copied()
                    .filter(|event| step.is_none_or(|step| step.allows_event(event)))
                    .collect();
                if triggers.is_empty() {
                    continue;
                }
                match context.gate() {
                    Gate::Environment | Gate::Manual => {
                        sink.holds(&META, &context.artifact.file, location.clone());
                        continue;
                    }
                    Gate::Tags => {
                        sink.unclear(
                            &META,
                            deploy.job_site().0,
                            deploy.job_site().1,
                            location.clone(),
                            format!(
                                "do tag rulesets limit who may push the tags that start job `{}`?",
                                job.id
                            ),
                            format!(
                                "job `{}` applies with `-auto-approve` for tag pushes only",
                                job.id
                            ),
                        );
                        continue;
                    }
                    Gate::None => {}
                }
                sink.violation(
                    &META,
                    deploy.job_site().0,
                    deploy.job_site().1,
                    location.clone(),
                    format!(
                        "job `{}` runs `{} -auto-approve`{} on {} with no gate",
                        job.id,
                        deploy.name,
                        deploy.via_clause(),
                        triggers
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                    "applies without review",
                )
                .help = Some(format!(
                    "gate job `{}` with a protected `environment:`, or apply a reviewed plan",
                    job.id
                ));
            }
        }
        for context in gitlab_jobs(workspace) {
            let location = context.location();
            for deploy in context.deploys(workspace) {
                if !deploy.auto_approve || !deploy.name.starts_with("terraform ") {
                    continue;
                }
                match context.gate() {
                    Gate::Environment | Gate::Manual => {
                        sink.holds(&META, &context.artifact.file, location.clone());
                        continue;
                    }
                    Gate::Tags => {
                        sink.unclear(
                            &META,
                            deploy.job_site().0,
                            deploy.job_site().1,
                            location.clone(),
                            format!(
                                "are the tags that start job `{}` protected tags?",
                                context.job.name
                            ),
                            format!(
                                "job `{}` applies with `-auto-approve` for tag pipelines only",
                                context.job.name
                            ),
                        );
                        continue;
                    }
                    Gate::None => {}
                }
                if context.ask_missing_templates(
                    &META,
                    deploy.job_site().1,
                    deploy.job_site().0,
                    "`environment:` or `when: manual`",
                    sink,
                ) {
                    continue;
                }
                sink.violation(
                    &META,
                    deploy.job_site().0,
                    deploy.job_site().1,
                    location.clone(),
                    format!(
                        "job `{}` runs `{} -auto-approve`{} with no environment or manual gate",
                        context.job.name,
                        deploy.name,
                        deploy.via_clause()
                    ),
                    "applies without review",
                )
                .help = Some(format!(
                    "add a protected `environment:` or `when: manual` to job `{}`, or apply a reviewed plan",
                    context.job.name
                ));
            }
        }
    }
}
