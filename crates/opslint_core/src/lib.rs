//! Shared vocabulary of opslint: source files and spans, severities, the eight
//! Operational Excellence principles, rule metadata and the diagnostics and
//! follow-up questions that rules produce.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod artifact;
pub mod config;
mod diagnostic;
mod fingerprint;
mod principle;
mod rule;
mod source;
pub mod tool_rules;
pub mod waf;

pub use artifact::ArtifactKind;
pub use diagnostic::{
    Certainty, Diagnostic, Evidence, Question, Sink, Suppression, SuppressionKind,
};
pub use fingerprint::fingerprint;
pub use principle::Principle;
pub use rule::{RuleMeta, Severity};
pub use source::{Position, SourceFile, Span, normalize_path};
