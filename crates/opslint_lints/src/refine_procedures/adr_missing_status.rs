use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::records::{adrs, superseded_by_others};

pub struct AdrMissingStatus;

pub static META: RuleMeta = RuleMeta {
    id: "adr-missing-status",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS11-BP04", "OPS05-BP06"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "architecture decision record without a status",
    what_it_checks: "ADRs (Markdown in `doc/adr`, `docs/adr`, `docs/decisions`, \
        `docs/architecture/decisions`, `adr/` or a configured folder) that state no status: \
        no `status` front matter key, no `Status:` line and no `## Status` section. An ADR \
        that a newer ADR of the run supersedes through a `Supersedes` link has a known status \
        and is not reported.",
    why_it_matters: "Without a status a reader cannot tell whether the decision is in force, \
        still proposed or replaced, so the record cannot guide changes or reviews.",
    how_to_fix: "Add the status in the form the ADR already uses:\n\n\
        ```markdown\n## Status\n\nAccepted\n```\n\n\
        or `status: accepted` in MADR front matter.",
    known_limits: "Any non-empty status counts; the rule does not check the word against a \
        list of states.",
};

impl Rule for AdrMissingStatus {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let superseded = superseded_by_others(workspace);
        for (artifact, adr) in adrs(workspace) {
            // A newer ADR that supersedes this one settles its status.
            if adr.status.is_some() || superseded.contains(&adr.path) {
                sink.holds(&META, &artifact.file, adr.label());
                continue;
            }
            sink.violation(
                &META,
                &artifact.file,
                adr.title_span,
                adr.label(),
                format!("{} states no status", adr.quoted_label()),
                "no status",
            )
            .help = Some(
                "add a `## Status` section or a `status:` key: proposed, accepted, deprecated or superseded"
                    .into(),
            );
        }
    }
}
