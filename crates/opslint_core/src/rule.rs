use serde::{Deserialize, Serialize};

use crate::{ArtifactKind, Principle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "note" => Some(Self::Note),
            "warning" => Some(Self::Warning),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// Everything about a rule that is data rather than logic. The documentation
/// fields feed `opslint explain`, the SARIF rule help and the rules reference.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id: the SARIF `ruleId` and the suppression key.
    pub id: &'static str,
    /// `None` only for the tool's own diagnostics such as `parse-error`.
    pub principle: Option<Principle>,
    /// Well-Architected best-practice ids, for example `OPS06-BP04`.
    pub waf: &'static [&'static str],
    pub severity: Severity,
    pub artifacts: &'static [ArtifactKind],
    /// One line, lower case, no final period.
    pub summary: &'static str,
    pub what_it_checks: &'static str,
    pub why_it_matters: &'static str,
    /// Markdown, with a minimal before and after example.
    pub how_to_fix: &'static str,
    pub known_limits: &'static str,
}

impl RuleMeta {
    /// The rule documentation as one Markdown text, in the order every rule
    /// page uses.
    pub fn help_markdown(&self) -> String {
        let mut text = String::new();
        text.push_str("## What it checks\n\n");
        text.push_str(self.what_it_checks.trim());
        text.push_str("\n\n## Why it matters\n\n");
        text.push_str(self.why_it_matters.trim());
        text.push_str("\n\n## How to fix\n\n");
        text.push_str(self.how_to_fix.trim());
        text.push_str("\n\n## Known limits\n\n");
        text.push_str(self.known_limits.trim());
        text.push('\n');
        text
    }
}
