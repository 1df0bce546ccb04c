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
    let root = repo_root();
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
