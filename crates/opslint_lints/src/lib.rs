//! The built-in rules, one file per rule, grouped in folders by principle.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod anticipate_failure;
mod aws;
pub mod declarative;
mod learn_from_events;
mod managed_services;
mod observability;
mod organize_teams;
pub mod records;
mod refine_procedures;
mod safe_automation;
mod small_reversible_changes;
mod support;

use opslint_core::{ArtifactKind, RuleMeta, Sink, SourceFile};
use opslint_model::Workspace;
use opslint_model::service::QueryMatch;

/// A rule reads the workspace model and reports what holds, what is
/// violated and what is unclear.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, workspace: &Workspace, sink: &mut Sink);

    /// Returns whether files outside the ones a rule reports on usually
    /// settle its findings: the post-incident analysis of an incident, the
    /// routes in another module of a service. A run on named files, such as
    /// the pre-commit hook, does not see those files and skips the rule.
    fn needs_other_files(&self) -> bool {
        false
    }

    /// Runs the part of the rule that needs a code file's tree-sitter tree.
    /// It runs in the file phase, once per Rust or Python file, before the
    /// tree is dropped, and `check` later reads what it added to `matches`.
    /// Only declarative rules have one.
    fn match_tree(
        &self,
        _kind: ArtifactKind,
        _file: &SourceFile,
        _tree: &tree_sitter::Tree,
        _matches: &mut Vec<QueryMatch>,
    ) {
    }
}

/// Every built-in rule, sorted by id.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = Vec::new();
    rules.extend(organize_teams::rules());
    rules.extend(observability::rules());
    rules.extend(safe_automation::rules());
    rules.extend(small_reversible_changes::rules());
    rules.extend(refine_procedures::rules());
    rules.extend(anticipate_failure::rules());
    rules.extend(learn_from_events::rules());
    rules.extend(managed_services::rules());
    rules.extend(declarative::built_in());
    rules.sort_by_key(|rule| rule.meta().id);
    rules
}

/// Looks up a rule's metadata by id, the tool's own diagnostics included.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    all()
        .into_iter()
        .map(|rule| rule.meta())
        .chain(opslint_core::tool_rules::ALL)
        .find(|meta| meta.id == id)
}
