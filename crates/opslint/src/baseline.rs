//! Baseline files: the fingerprints of the findings a team accepted when it
//! adopted opslint, so `check --baseline FILE` reports only new findings.
//!
//! Fingerprints are built from the rule id, the path and the logical
//! location (resource address, workload and container name), never from
//! line numbers, so a baseline survives edits elsewhere in the file.

use std::collections::BTreeSet;
use std::path::Path;

use opslint_core::{Diagnostic, Suppression, SuppressionKind};
use serde::{Deserialize, Serialize};

use crate::Outcome;

/// Version of the baseline file format.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
    /// Ids of the questions open when the baseline was recorded, which
    /// `check --baseline` leaves out. Files written before questions
    /// were recorded have none.
    #[serde(default)]
    pub questions: Vec<String>,
}

/// One accepted finding. Only `fingerprint` is matched; the other fields
/// make the file reviewable.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    pub message: String,
}

/// Builds the baseline of every reported finding except the tool's own
/// failures, which must never be accepted, faulty suppression comments,
/// which are to be fixed, and findings whose suppression has expired, which
/// the team meant to see again.
pub fn from_outcome(outcome: &Outcome) -> BaselineFile {
    let findings = outcome
        .sink
        .diagnostics
        .iter()
        .filter(|d| {
            !matches!(
                d.rule.id,
                "io-error" | "internal-error" | "invalid-suppression" | "unused-suppression"
            )
        })
        .filter(|d| !outcome.expired_suppressions.contains(&d.fingerprint))
        .map(|d| BaselineEntry {
            fingerprint: d.fingerprint.clone(),
            rule: d.rule.id.to_string(),
            path: d.path.clone(),
            message: d.message.clone(),
        })
        .collect();
    let mut questions: Vec<String> = outcome
        .sink
        .questions
        .iter()
        .map(|q| q.id.clone())
        .collect();
    questions.dedup();
    BaselineFile {
        version: VERSION,
        findings,
        questions,
    }
}

pub fn to_json(baseline: &BaselineFile) -> String {
    let mut text = serde_json::to_string_pretty(baseline).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a baseline file; the error names the file and what is wrong.
pub fn load(path: &Path) -> Result<BaselineFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the baseline {}: {error}", path.display()))?;
    let baseline: BaselineFile = serde_json::from_str(&text)
        .map_err(|error| format!("invalid baseline {}: {error}", path.display()))?;
    if baseline.version != VERSION {
        return Err(format!(
            "invalid baseline {}: version {} is not supported; expected {VERSION}",
            path.display(),
            baseline.version
        ));
    }
    Ok(baseline)
}

/// Moves findings whose fingerprint is in `baseline` to the suppressed
/// list. Returns how many baseline entries matched nothing, so the caller can
/// suggest regenerating the file.
pub fn apply(outcome: &mut Outcome, baseline: &BaselineFile, source: &str) -> usize {
    let fingerprints: BTreeSet<&str> = baseline
        .findings
        .iter()
        .map(|entry| entry.fingerprint.as_str())
        .collect();
    let mut matched = BTreeSet::new();
    let mut remaining: Vec<Diagnostic> = Vec::new();
    for mut diagnostic in std::mem::take(&mut outcome.sink.diagnostics) {
        let accepted = !matches!(diagnostic.rule.id, "io-error" | "internal-error")
            && fingerprints.contains(diagnostic.fingerprint.as_str());
        if accepted {
            matched.insert(diagnostic.fingerprint.clone());
            diagnostic.suppression = Some(Box::new(Suppression {
                kind: SuppressionKind::Baseline,
                reason: format!("recorded in the baseline `{source}`"),
                until: None,
                source: source.to_string(),
            }));
            outcome.suppressed.push(diagnostic);
        } else {
            remaining.push(diagnostic);
        }
    }
    outcome.sink.diagnostics = remaining;
    // Questions asked when the baseline was recorded are not asked again,
    // so a pull request shows only the questions its changes raise.
    let known_questions: BTreeSet<&str> = baseline.questions.iter().map(String::as_str).collect();
    outcome
        .sink
        .questions
        .retain(|question| !known_questions.contains(question.id.as_str()));
    fingerprints.len() - matched.len()
}
