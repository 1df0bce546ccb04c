use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::records::{OWNED_KINDS, codeowners, first_line, runbooks};

pub struct CodeownersUnownedPath;

pub static META: RuleMeta = RuleMeta {
    id: "codeowners-unowned-path",
    principle: Some(Principle::OrganizeTeams),
    waf: &["OPS02-BP01", "OPS02-BP02", "OPS02-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Codeowners],
    summary: "deployable code, infrastructure or runbook that no CODEOWNERS line owns",
    what_it_checks: "Kubernetes manifests, Helm templates, Terraform, CloudFormation, \
        compose files, workflows, Dockerfiles, Rust and Python code and runbooks below a \
        CODEOWNERS file that no pattern assigns an owner. As on GitHub and GitLab the last \
        matching line decides, so a later line without owners removes ownership.",
    why_it_matters: "An unowned file is changed without the review of the team that runs \
        it, and nobody is asked when it breaks.",
    how_to_fix: "Add a pattern with an owner for the folder, after any broader pattern:\n\n\
        ```text\n/terraform/ @org/infra\n```",
    known_limits: "GitLab sections are judged as GitLab does: last match wins in each \
        section, a file is owned when any section gives it owners, and an entry without \
        owners takes its section's default owners. Optional sections and approval counts \
        count like other sections.",
};

impl Rule for CodeownersUnownedPath {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let files = codeowners(workspace);
        if files.is_empty() {
            return;
        }
        let runbook_paths: Vec<&str> = runbooks(workspace)
            .iter()
            .map(|a| a.file.path.as_str())
            .collect();
        for artifact in workspace.all() {
            let path = artifact.file.path.as_str();
            if !OWNED_KINDS.contains(&artifact.kind) && !runbook_paths.contains(&path) {
                continue;
            }
            // Patterns match paths from the repository's root.
            let path = artifact.file.identity_path();
            // The CODEOWNERS nearest to the file (longest base) applies.
            let Some((_, owners)) = files
                .iter()
                .filter(|(_, owners)| owners.covers_path(path))
                .max_by_key(|(_, owners)| owners.base.len())
            else {
                continue;
            };
            let entry = owners.owner_entry(path);
            let owned = entry.is_some_and(|e| !e.owners.is_empty());
            if owned {
                sink.holds(&META, &artifact.file, path);
                continue;
            }
            let reason = match entry {
                Some(entry) => format!(
                    "its last matching pattern `{}` names no owner",
                    entry.pattern
                ),
                None => "no pattern matches it".to_string(),
            };
            sink.violation(
                &META,
                &artifact.file,
                first_line(artifact),
                path,
                format!("`{path}` has no owner in `{}`: {reason}", owners.path),
                "unowned",
            )
            .help = Some("add a CODEOWNERS pattern with an owning team for this folder".into());
        }
    }
}
