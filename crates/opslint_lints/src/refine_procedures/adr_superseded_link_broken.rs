use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::kubernetes::join_path;
use opslint_records::adr::LinkKind;

use crate::Rule;
use crate::records::adrs;

pub struct AdrSupersededLinkBroken;

pub static META: RuleMeta = RuleMeta {
    id: "adr-superseded-link-broken",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS11-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "supersession or amendment link of an ADR that points to no ADR",
    what_it_checks: "Relative links written as \"Superseded by\", \"Supersedes\", \"Amends\" or \
        \"Amended by\" (in the status or in a list item) whose target is not a Markdown file \
        of this run, and ADRs with the status superseded that link no successor.",
    why_it_matters: "A superseded decision is only useful when the reader can follow it to \
        the decision that replaced it; a broken link leaves them with outdated guidance.",
    how_to_fix: "Point the link to the successor's file name:\n\n\
        ```markdown\nSuperseded by [7. Use OpenTelemetry](0007-use-opentelemetry.md)\n```",
    known_limits: "Links to web pages (`https://...`) and anchors are not followed. A link \
        target outside the checked folders counts as broken, and when only single files are \
        checked (as pre-commit hooks do) links are not checked at all.",
};

impl Rule for AdrSupersededLinkBroken {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, adr) in adrs(workspace) {
            for link in &adr.links {
                let target = link.target.split('#').next().unwrap_or("");
                // A run on single files, as pre-commit hooks do, does not
                // contain the ADRs that links point to.
                if target.is_empty() || target.contains("://") || !workspace.folders_walked {
                    continue;
                }
                let resolved = join_path(&adr.path, target);
                if workspace.artifact(&resolved).is_some() {
                    sink.holds(&META, &artifact.file, format!("{}/{target}", adr.label()));
                    continue;
                }
                let relation = match link.kind {
                    LinkKind::SupersededBy => "superseded-by",
                    LinkKind::Supersedes => "supersedes",
                    LinkKind::Amends => "amends",
                    LinkKind::AmendedBy => "amended-by",
                };
                sink.violation(
                    &META,
                    &artifact.file,
                    link.span,
                    format!("{}/{target}", adr.label()),
                    format!(
                        "{relation} link of {} points to `{target}`, which does not exist",
                        adr.quoted_label()
                    ),
                    "no such ADR",
                )
                .help = Some("link the file name of the ADR that is meant".into());
            }
            let superseded_status = adr.status.as_ref().filter(|s| s.state == "superseded");
            let names_successor = adr.links.iter().any(|l| l.kind == LinkKind::SupersededBy)
                || adr
                    .status
                    .as_ref()
                    .is_some_and(|s| s.text.chars().any(|c| c.is_ascii_digit()));
            if let Some(status) = superseded_status
                && !names_successor
            {
                sink.violation(
                    &META,
                    &artifact.file,
                    status.span,
                    adr.label(),
                    format!(
                        "{} is superseded but names no successor",
                        adr.quoted_label()
                    ),
                    "which ADR replaces it?",
                )
                .help = Some("write `Superseded by [N. Title](NNNN-title.md)`".into());
            }
        }
    }
}
