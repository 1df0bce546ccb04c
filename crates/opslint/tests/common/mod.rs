//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use opslint::{Options, Outcome};
use opslint_report::{Report, TextOptions};

/// The repository root, which fixture paths in output are relative to.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

pub fn run(paths: &[PathBuf], select: &[&str]) -> Outcome {
    run_in(&repo_root(), paths, select)
}

/// Runs opslint with `root` as the working folder that paths are shown
/// relative to.
pub fn run_in(root: &Path, paths: &[PathBuf], select: &[&str]) -> Outcome {
    let root = root.to_path_buf();
    opslint::run(&Options {
        paths: paths.to_vec(),
        select: select.iter().map(|s| s.to_string()).collect(),
        ignore: Vec::new(),
        root,
        config: None,
        changed: None,
        progress: None,
        rule_folders: Vec::new(),
        records: Default::default(),
        exits_after_run: false,
        collect_inventory: true,
    })
}

pub fn report<'a>(outcome: &'a Outcome, root: &'a Path) -> Report<'a> {
    Report {
        diagnostics: &outcome.sink.diagnostics,
        suppressed: &outcome.suppressed,
        show_suppressed: false,
        questions: &outcome.sink.questions,
        rules: &outcome.rules,
        files: &outcome.files,
        file_count: outcome.file_count,
        notices: &outcome.notices,
        root,
    }
}

pub fn text(outcome: &Outcome) -> String {
    let root = repo_root();
    opslint_report::render_text(&report(outcome, &root), &TextOptions { color: false })
}

/// A temporary folder for one test, deleted with its contents on drop so that
/// test runs leave nothing behind. It dereferences to its path.
pub struct TempFolder(tempfile::TempDir);

impl TempFolder {
    /// Creates an empty folder whose name starts with `opslint-{prefix}-`.
    pub fn new(prefix: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("opslint-{prefix}-"))
            .tempdir()
            .expect("temporary folder can be created");
        Self(dir)
    }
}

impl std::ops::Deref for TempFolder {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TempFolder {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for TempFolder {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}
