use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, fingerprint};
use opslint_model::{OutsideRecords, Workspace};

use crate::Rule;
use crate::records::{codeowners, first_line, is_deployable};

pub struct CodeownersMissing;

pub static META: RuleMeta = RuleMeta {
    id: "codeowners-missing",
    principle: Some(Principle::OrganizeTeams),
    waf: &["OPS02-BP01", "OPS02-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Codeowners],
    summary: "deployable code or infrastructure but no CODEOWNERS file",
    what_it_checks: "Folders with something deployable (long-running Kubernetes \
        workloads, compose services, Lambda functions, ECS services) and no `CODEOWNERS` in a place GitHub \
        or GitLab reads it: the root, `.github/`, `docs/` or `.gitlab/`. The finding sits on \
        the first deployable file. Runs on single files, as pre-commit hooks do, are not \
        checked.",
    why_it_matters: "Without owners, changes to production code and infrastructure are \
        reviewed by whoever is around, and alerts and incidents have no obvious team to \
        go to.",
    how_to_fix: "Add `.github/CODEOWNERS` (or `CODEOWNERS` for GitLab):\n\n\
        ```text\n* @org/platform\n/k8s/ @org/orders-team\n/terraform/ @org/infra\n```",
    known_limits: "A CODEOWNERS file counts for the folder it belongs to (the parent of \
        `.github/`, `docs/` or `.gitlab/`, or its own folder). A run on a subfolder of a git \
        repository also looks for the CODEOWNERS file in the repository's root, and counts it \
        for the whole subfolder without matching its patterns. Ownership recorded elsewhere \
        (a service catalog, Backstage `catalog-info.yaml`, OWNERS files) is not read yet.",
};

impl Rule for CodeownersMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        if !workspace.folders_walked {
            return;
        }
        let files = codeowners(workspace);
        for (artifact, _) in &files {
            sink.holds(&META, &artifact.file, "CODEOWNERS");
        }
        // A run over several repositories needs a CODEOWNERS in each: the
        // first deployable file outside every CODEOWNERS file's folder is
        // reported.
        let Some(deployable) = workspace.all().find(|artifact| {
            is_deployable(artifact)
                && !files
                    .iter()
                    .any(|(_, owners)| owners.covers_path(&artifact.file.path))
                && OutsideRecords::for_path(&workspace.outside.codeowners, &artifact.file.path)
                    .is_none()
        }) else {
            return;
        };
        let finding = sink.violation(
            &META,
            &deployable.file,
            first_line(deployable),
            "CODEOWNERS",
            "the repository deploys services but has no CODEOWNERS file",
            "no owner for this file",
        );
        // A repository with GitLab pipelines and no GitHub workflows is most
        // likely hosted on GitLab, which reads `.gitlab/CODEOWNERS` too.
        let on_gitlab = workspace.gitlab_pipelines().next().is_some()
            && workspace.github_workflows().next().is_none();
        let place = if on_gitlab {
            ".gitlab/CODEOWNERS"
        } else {
            ".github/CODEOWNERS"
        };
        finding.help = Some(format!(
            "add `{place}` that assigns a team to each deployable folder"
        ));
        // The finding sits on the first deployable file, which changes as
        // files are added, so its fingerprint leaves the path out.
        finding.fingerprint = fingerprint(&[META.id, "CODEOWNERS"]);
    }
}
