//! Walks the paths given on the command line with the `ignore` crate, so
//! `.gitignore`, `.ignore` and git's exclude files are honoured.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

/// Folders that are never part of a repository's own configuration.
const SKIPPED_FOLDERS: [&str; 3] = [".git", ".terraform", "node_modules"];

#[derive(Debug, Clone)]
pub struct FoundFile {
    pub disk_path: PathBuf,
    /// Path shown in output: relative to the working folder when the file is
    /// inside it, `/`-separated.
    pub display_path: String,
}

/// A file or folder that could not be read while walking.
#[derive(Debug, Clone)]
pub struct WalkError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<FoundFile>,
    pub errors: Vec<WalkError>,
}

/// Lists the files under `roots`, sorted by display path. A root that is a
/// file is listed even when an ignore file would exclude it. Folders are
/// walked on several threads; sorting afterwards keeps the result the same
/// whatever order the threads visit them in.
pub fn discover(roots: &[PathBuf], working_folder: &Path) -> Discovery {
    let mut discovery = Discovery::default();
    for root in roots {
        // `metadata` follows links, so a dangling link or a loop of links
        // fails here with the system's reason.
        if let Err(error) = std::fs::metadata(root) {
            let message = if error.kind() == std::io::ErrorKind::NotFound {
                "no such file or folder".to_string()
            } else {
                error.to_string()
            };
            discovery.errors.push(WalkError {
                path: display_path(root, working_folder),
                message,
            });
            continue;
        }
        if root.is_file() {
            discovery.files.push(FoundFile {
                disk_path: root.clone(),
                display_path: display_path(root, working_folder),
            });
            continue;
        }
        let found = Mutex::new(Discovery::default());
        WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir())
                    && entry
                        .file_name()
                        .to_str()
                        .is_some_and(|name| SKIPPED_FOLDERS.contains(&name)))
            })
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    let mut item = None;
                    let mut failure = None;
                    match entry {
                        Ok(entry) => {
                            if entry.file_type().is_some_and(|t| t.is_file()) {
                                let path = entry.into_path();
                                item = Some(FoundFile {
                                    display_path: display_path(&path, working_folder),
                                    disk_path: path,
                                });
                            }
                        }
                        Err(error) => failure = Some(walk_error(&error, working_folder)),
                    }
                    if let Ok(mut found) = found.lock() {
                        found.files.extend(item);
                        found.errors.extend(failure);
                    }
                    WalkState::Continue
                })
            });
        let found = found
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        discovery.files.extend(found.files);
        discovery.errors.extend(found.errors);
    }
    discovery
        .files
        .sort_by(|a, b| a.display_path.cmp(&b.display_path));
    discovery
        .files
        .dedup_by(|a, b| a.display_path == b.display_path);
    discovery
        .errors
        .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    discovery
}

fn walk_error(error: &ignore::Error, working_folder: &Path) -> WalkError {
    fn find_path(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                find_path(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    let path = find_path(error).map_or_else(String::new, |p| display_path(p, working_folder));
    let message = match error.io_error() {
        Some(io) => io.to_string(),
        None => error.to_string(),
    };
    WalkError { path, message }
}

/// The path as output shows it: relative to `working_folder` when inside it.
pub fn display_path(path: &Path, working_folder: &Path) -> String {
    let relative = if path.is_absolute() {
        path.strip_prefix(working_folder).unwrap_or(path)
    } else {
        path
    };
    let text = relative.to_string_lossy().replace('\\', "/");
    let trimmed = text.strip_prefix("./").unwrap_or(&text);
    if trimmed.is_empty() {
        ".".into()
    } else {
        trimmed.to_string()
    }
}
