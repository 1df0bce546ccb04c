//! Emitters: the same diagnostics and questions written as rustc-style text,
//! JSON, SARIF 2.1.0, GitHub Actions workflow commands or a GitLab Code
//! Quality report.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
mod github;
mod gitlab;
mod json;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::sync::Arc;

use opslint_core::{Diagnostic, Question, RuleMeta, SourceFile};

pub use github::render as render_github;
pub use gitlab::render as render_gitlab;
pub use json::render as render_json;
pub use sarif::render as render_sarif;
pub use text::{TextOptions, render as render_text, write as write_text};

/// Everything an emitter needs about one run.
pub struct Report<'a> {
    pub diagnostics: &'a [Diagnostic],
    /// Findings hidden by a suppression; SARIF keeps them as dismissed
    /// results, text counts them, JSON lists them with `show_suppressed`.
    pub suppressed: &'a [Diagnostic],
    pub show_suppressed: bool,
    pub questions: &'a [Question],
    /// Every rule that ran, for SARIF's rule list.
    pub rules: &'a [&'static RuleMeta],
    /// Source files by display path, for excerpts.
    pub files: &'a BTreeMap<String, Arc<SourceFile>>,
    /// Number of files analysed.
    pub file_count: usize,
    /// Messages about the run itself (skipped files, for example).
    pub notices: &'a [String],
    /// Absolute path of the folder that relative paths start from.
    pub root: &'a std::path::Path,
}

/// Returns the working folder's path from the repository's root, ending in
/// `/`, and the repository's root folder, when the run's files show that
/// the working folder (`root`) lies below that root: a file's repository
/// path is then that prefix followed by its display path.
pub fn repository_root(
    files: &BTreeMap<String, Arc<SourceFile>>,
    root: &std::path::Path,
) -> Option<(String, std::path::PathBuf)> {
    let prefix = files.iter().find_map(|(path, file)| {
        let identity = file.repository_path.as_deref()?;
        identity
            .strip_suffix(path.as_str())
            .filter(|prefix| !path.starts_with("../") && prefix.ends_with('/'))
    })?;
    let levels = prefix.split('/').filter(|part| !part.is_empty()).count();
    let top = root.ancestors().nth(levels)?.to_path_buf();
    Some((prefix.to_string(), top))
}

impl Report<'_> {
    /// Returns how many suppressed findings `kind` hides.
    pub fn suppressed_by(&self, kind: opslint_core::SuppressionKind) -> usize {
        self.suppressed
            .iter()
            .filter(|d| d.suppression.as_ref().is_some_and(|s| s.kind == kind))
            .count()
    }

    pub fn count(&self, severity: opslint_core::Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}
