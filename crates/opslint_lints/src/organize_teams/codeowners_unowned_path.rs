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
        matching line decides, so a later line without owners removes ownership. Unowned \
        files are reported once per folder: the highest folder that contains no owned file \
        checked in the run, with the number of files and the first of them.",
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
        type GroupKey<'a> = (&'a str, &'a str, Option<&'a str>);
        let mut owned_paths: Vec<&str> = Vec::new();
        let mut unowned: Vec<(GroupKey<'_>, Vec<(&opslint_model::Artifact, &str)>)> = Vec::new();
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
                owned_paths.push(path);
                continue;
            }
            let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
            let key = (
                folder,
                owners.path.as_str(),
                entry.map(|entry| entry.pattern.as_str()),
            );
            match unowned.iter_mut().find(|(other, _)| *other == key) {
                Some((_, group)) => group.push((artifact, path)),
                None => unowned.push((key, vec![(artifact, path)])),
            }
        }
        // Files that lack an owner for the same reason are grouped under the
        // highest folder that contains no owned file, and each group gets one
        // finding, since one CODEOWNERS line fixes them all.
        let mut merged: Vec<(GroupKey<'_>, Vec<(&opslint_model::Artifact, &str)>)> = Vec::new();
        let owned_folders = folders_of(&owned_paths);
        // A run from a subfolder does not see the owned files beside it, so
        // groups stop at the folder it checks.
        let run_folder = workspace
            .working_folder
            .repository_prefix
            .trim_end_matches('/');
        for ((folder, owners_path, pattern), group) in unowned {
            let folder = highest_unowned_folder(folder, &owned_folders, run_folder);
            let key = (folder, owners_path, pattern);
            match merged.iter_mut().find(|(other, _)| *other == key) {
                Some((_, files)) => files.extend(group),
                None => merged.push((key, group)),
            }
        }
        for ((folder, owners_path, pattern), group) in merged {
            // The example file is one with text, so its excerpt shows a line.
            let (first, first_path) = group
                .iter()
                .copied()
                .find(|(artifact, _)| !artifact.file.text.trim().is_empty())
                .unwrap_or(group[0]);
            let (message, location) = match group.as_slice() {
                [_] => {
                    let reason = match pattern {
                        Some(pattern) => {
                            format!("its last matching pattern `{pattern}` names no owner")
                        }
                        None => "no pattern matches it".to_string(),
                    };
                    (
                        format!("`{first_path}` has no owner in `{owners_path}`: {reason}"),
                        first_path.to_string(),
                    )
                }
                _ => {
                    let reason = match pattern {
                        Some(pattern) => {
                            format!("their last matching pattern `{pattern}` names no owner")
                        }
                        None => "no pattern matches them".to_string(),
                    };
                    let folder_label = if folder.is_empty() { "." } else { folder };
                    (
                        format!(
                            "{} files in `{folder_label}/`, such as `{first_path}`, have no owner in \
                             `{owners_path}`: {reason}",
                            group.len()
                        ),
                        format!("{folder_label}/"),
                    )
                }
            };
            let folder_location = format!("{}/", if folder.is_empty() { "." } else { folder });
            let diagnostic = sink.violation(
                &META,
                &first.file,
                first_line(first),
                location,
                message,
                "unowned",
            );
            diagnostic.help =
                Some("add a CODEOWNERS pattern with an owning team for this folder".into());
            // The fingerprint is the folder's, also for a single file, so
            // that a file added to the folder, which may become the example
            // or turn one file into a group, does not make the finding new
            // against a baseline.
            diagnostic.fingerprint =
                opslint_core::fingerprint(&[META.id, owners_path, &folder_location]);
        }
    }
}

/// Returns every folder that contains one of `paths`, at any depth, with the
/// root as the empty string.
fn folders_of<'a>(paths: &[&'a str]) -> std::collections::HashSet<&'a str> {
    let mut folders = std::collections::HashSet::new();
    for path in paths {
        folders.insert("");
        let mut rest = *path;
        while let Some((folder, _)) = rest.rsplit_once('/') {
            if !folders.insert(folder) {
                break;
            }
            rest = folder;
        }
    }
    folders
}

/// Returns the highest ancestor of `folder` (itself included) that contains
/// no owned file, given the folders that contain one, so that one CODEOWNERS
/// line for it covers the unowned files below without touching owned ones.
fn highest_unowned_folder<'a>(
    folder: &'a str,
    owned_folders: &std::collections::HashSet<&str>,
    run_folder: &str,
) -> &'a str {
    let mut highest = folder;
    while !highest.is_empty() && highest != run_folder {
        let parent = highest.rsplit_once('/').map_or("", |(parent, _)| parent);
        if owned_folders.contains(parent) {
            break;
        }
        highest = parent;
    }
    highest
}
