use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, fingerprint};
use opslint_model::{OutsideRecords, Workspace};

use crate::Rule;
use crate::records::{first_deployable, first_line, first_mentioning, runbooks};

pub struct RunbooksMissing;

pub static META: RuleMeta = RuleMeta {
    id: "runbooks-missing",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS07-BP03", "OPS07-BP04", "OPS10-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "deployable workloads but no runbooks or playbooks",
    what_it_checks: "Runs that contain something deployable (long-running Kubernetes \
        workloads, compose services, Lambda functions, ECS services, Dockerfiles) but no \
        Markdown runbook or playbook (a path containing `runbook` or `playbook`) and no \
        infrastructure file that links a runbook (`runbook_url`, an alarm description \
        such as `Runbook: <url>` or `Runbook <url>`). The finding sits on the first deployable file. Runs on single \
        files, as pre-commit hooks do, are not checked.",
    why_it_matters: "During an incident the on-call engineer needs written, tested steps. \
        Procedures that live only in people's heads are slow, vary between people and \
        are lost when those people leave.",
    how_to_fix: "Add `runbooks/<service>.md` with how to deploy, roll back, scale and \
        diagnose the service, and link it from its alarms (`runbook_url` annotation or the \
        alarm description).",
    known_limits: "Runbooks kept in a wiki or an incident tool are not visible; the report \
        asks about them. A run on a subfolder of a git repository also looks in the \
        repository's root and its `docs/` folder for a runbook or playbook folder or Markdown \
        file, but not deeper.",
};

impl Rule for RunbooksMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        if !workspace.folders_walked {
            return;
        }
        let Some(deployable) = first_deployable(workspace) else {
            return;
        };
        if OutsideRecords::for_path(&workspace.outside.runbooks, &deployable.file.path).is_some() {
            return;
        }
        // TODO: a run over several repositories counts a runbook of any of
        // them; runbooks have no fixed location to scope them by repository.
        if let Some(runbook) = runbooks(workspace).first() {
            sink.holds(&META, &runbook.file, "runbooks");
            return;
        }
        if let Some(linked) = first_mentioning(
            workspace,
            &[
                "runbook_url",
                "runbook:",
                "runbook_link",
                "runbooks/",
                "/runbook",
                "runbook http",
                "runbook at http",
                "playbook_url",
                "playbook:",
                "playbook http",
            ],
        ) {
            sink.holds(&META, &linked.file, "runbook links");
            return;
        }
        let finding = sink.violation(
            &META,
            &deployable.file,
            first_line(deployable),
            "runbooks",
            "the workload deploys services but the repository has no runbooks or playbooks",
            "deployable workload",
        );
        finding.help = Some(
            "add `runbooks/<service>.md` with deploy, rollback and diagnosis steps and link it from the alarms"
                .into(),
        );
        // The finding sits on the first deployable file, which changes as
        // files are added, so its fingerprint leaves the path out.
        finding.fingerprint = fingerprint(&[META.id, "runbooks"]);
    }
}
