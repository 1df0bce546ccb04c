//! Finds the repository records that lie outside the walked folders, for
//! the rules about the whole repository (see [`OutsideRecords`]).

use std::path::{Path, PathBuf};

use opslint_model::OutsideRecords;
use opslint_syntax::discover::display_path;

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
        let Some(top) = git_root(&folder) else {
            continue;
        };
        if top == folder {
            continue;
        }
        let walked = display_path(path, working_folder);
        if let Some(owners) = opslint_records::codeowners::LOCATIONS
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

/// Returns the root of the git work tree that holds `folder`, which has
/// been canonicalized: the nearest folder with a `.git` entry.
fn git_root(folder: &Path) -> Option<&Path> {
    folder.ancestors().find(|dir| dir.join(".git").exists())
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

/// The git repository around the working folder, for paths that do not
/// depend on the folder opslint runs in.
pub struct RepositoryRoot {
    /// The repository's root, with links resolved.
    top: PathBuf,
    /// The working folder relative to `top`, `/`-separated.
    prefix: String,
}

impl RepositoryRoot {
    /// Finds the repository around `working_folder`; `None` outside a git
    /// repository and at its root, where output paths are already relative
    /// to the root.
    pub fn find(working_folder: &Path) -> Option<Self> {
        let folder = working_folder.canonicalize().ok()?;
        let top = git_root(&folder)?;
        let relative = folder.strip_prefix(top).ok()?;
        if relative.as_os_str().is_empty() {
            return None;
        }
        let prefix = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        Some(Self {
            top: top.to_path_buf(),
            prefix,
        })
    }

    /// Returns the repository-relative form of a path as output shows it,
    /// which is relative to the working folder, or absolute when the file
    /// lies outside it.
    pub fn path_of(&self, display_path: &str) -> Option<String> {
        if Path::new(display_path).is_absolute() {
            let relative = Path::new(display_path).strip_prefix(&self.top).ok()?;
            return Some(relative.to_string_lossy().replace('\\', "/"));
        }
        Some(opslint_core::normalize_path(&format!(
            "{}/{display_path}",
            self.prefix
        )))
    }
}
