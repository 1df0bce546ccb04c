use std::collections::BTreeMap;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::records::adrs;

pub struct AdrDuplicateNumber;

pub static META: RuleMeta = RuleMeta {
    id: "adr-duplicate-number",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS11-BP04", "OPS05-BP06"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "two architecture decision records in one folder share a number",
    what_it_checks: "ADRs in the same folder whose numbers, taken from the file name or the \
        title, are equal. Every ADR after the first with that number is reported.",
    why_it_matters: "Links such as \"superseded by ADR 7\" and references in code reviews \
        become ambiguous, and one of the two decisions is easily overlooked.",
    how_to_fix: "Renumber the later ADR to the next free number and update links to it.",
    known_limits: "ADRs named by date (log4brains) have no number and are not compared.",
};

impl Rule for AdrDuplicateNumber {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let mut seen: BTreeMap<(String, u32), String> = BTreeMap::new();
        for (artifact, adr) in adrs(workspace) {
            let Some(number) = adr.number else {
                continue;
            };
            let folder = adr.path.rsplit_once('/').map_or("", |(f, _)| f).to_string();
            match seen.get(&(folder.clone(), number)) {
                Some(first) => {
                    sink.violation(
                        &META,
                        &artifact.file,
                        adr.title_span,
                        adr.label(),
                        format!("ADR number {number} is also used by `{first}`"),
                        "duplicate number",
                    )
                    .help =
                        Some("give this ADR the next free number and update links to it".into());
                }
                None => {
                    seen.insert((folder, number), adr.path.clone());
                }
            }
        }
    }
}
