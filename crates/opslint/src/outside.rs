//! Finds the repository records that lie outside the walked folders, for
//! the rules about the whole repository (see [`OutsideRecords`]).

use std::path::{Path, PathBuf};

use opslint_model::OutsideRecords;
use opslint_syntax::discover::display_path;

/// The paths, relative to a repository's root, at which GitHub and GitLab
/// read its CODEOWNERS file.
const CODEOWNERS_PLACES: [&str; 4] = [
    "CODEOWNERS",
    ".github/CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

/// Looks, for each walked folder inside a git work tree whose root lies
/// above it, at that root for a CODEOWNERS file and for runbooks: entries
/// of the root and of its `docs/` folder whose names contain `runbook` or
/// `playbook`. Only those few places are read, so a run on one service of
/// a large repository stays cheap. Runbooks deeper in the repository are
/// not found.
pub fn find(paths: &[PathBuf], working_folder: &Path) -> OutsideRecords {
    let mut records = OutsideRecords::default();
    for path in paths.iter().filter(|path| path.is_dir()) {
        let Ok(folder) = path.canonicalize() else {
            continue;
        };
        let Some(top) = folder.ancestors().find(|dir| dir.join(".git").exists()) else {
            continue;
        };
        if top == folder {
            continue;
        }
        let walked = display_path(path, working_folder);
        if let Some(owners) = CODEOWNERS_PLACES
            .iter()
            .map(|place| top.join(place))
            .find(|candidate| candidate.is_file())
        {
            records
                .codeowners
                .push((walked.clone(), display_path(&owners, working_folder)));
        }
        if let Some(runbook) = [top.to_path_buf(), top.join("docs")]
            .iter()
            .find_map(|dir| runbook_entry(dir))
        {
            records
                .runbooks
                .push((walked, display_path(&runbook, working_folder)));
        }
    }
    records
}

/// Returns the first entry of `dir`, in name order, that names a runbook
/// or playbook and is a folder or a Markdown file.
fn runbook_entry(dir: &Path) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            (name.contains("runbook") || name.contains("playbook"))
                && (path.is_dir() || name.ends_with(".md") || name.ends_with(".markdown"))
        })
        .collect();
    entries.sort();
    entries.into_iter().next()
}
