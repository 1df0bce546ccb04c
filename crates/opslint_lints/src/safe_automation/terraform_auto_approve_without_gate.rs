use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::deploys::deploy_steps;
use crate::Rule;

pub struct TerraformAutoApproveWithoutGate;

pub static META: RuleMeta = RuleMeta {
    id: "terraform-auto-approve-without-gate",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS07-BP05", "OPS06-BP01"],
    severity: Severity::Error,
    artifacts: &[ArtifactKind::GithubWorkflow],
    summary: "`terraform apply -auto-approve` on push or pull request without a gate",
    what_it_checks: "GitHub Actions jobs in workflows triggered by `push`, `pull_request` or \
        `pull_request_target` that run `terraform apply` or `terraform destroy` (also \
        through OpenTofu and Terragrunt) with `-auto-approve`, in a job with no \
        `environment:`.",
    why_it_matters: "`-auto-approve` removes the last look at the plan. On a push or pull \
        request trigger with no environment gate, any merged change, including an \
        accidental resource replacement or deletion, is applied at once and without \
        review of what Terraform is about to do.",
    how_to_fix: "Plan in one job, and apply the saved plan in a job gated by a protected \
        environment:\n\n\
        ```yaml\njobs:\n  apply:\n    needs: plan\n    environment: production\n    steps:\n      - run: terraform apply tfplan\n```",
    known_limits: "A gate implemented outside GitHub (for example an approval step in a \
        called script) is not recognised. Applies reached through scripts are not \
        followed yet.",
};

impl Rule for TerraformAutoApproveWithoutGate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, workflow) in workspace.github_workflows() {
            if !workflow.runs_on_push_or_pull_request() {
                continue;
            }
            let file = &artifact.file;
            for job in &workflow.jobs {
                let location = format!("jobs/{}", job.id);
                for deploy in deploy_steps(job, file) {
                    if !deploy.auto_approve || !deploy.name.starts_with("terraform ") {
                        continue;
                    }
                    if job.environment().is_some() {
                        sink.holds(&META, file, location.clone());
                        continue;
                    }
                    sink.violation(
                        &META,
                        file,
                        deploy.span,
                        location.clone(),
                        format!(
                            "job `{}` runs `{} -auto-approve` on {} with no gate",
                            job.id,
                            deploy.name,
                            workflow
                                .triggers
                                .iter()
                                .filter(|t| matches!(
                                    t.as_str(),
                                    "push" | "pull_request" | "pull_request_target"
                                ))
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
        }
    }
}
