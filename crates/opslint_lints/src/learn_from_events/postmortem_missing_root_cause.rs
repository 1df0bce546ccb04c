use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::records::postmortems;

pub struct PostmortemMissingRootCause;

pub static META: RuleMeta = RuleMeta {
    id: "postmortem-missing-root-cause",
    principle: Some(Principle::LearnFromEvents),
    waf: &["OPS11-BP02", "OPS11-BP08"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "post-incident analysis without root cause or contributing factors",
    what_it_checks: "Post-incident analyses that have no section titled root cause(s), \
        causes or contributing factors, or whose section is empty.",
    why_it_matters: "Action items that are not tied to causes treat symptoms. Without the \
        causes written down, later readers cannot tell whether a new incident is a repeat.",
    how_to_fix: "Add a `## Root causes` or `## Contributing factors` section that explains \
        why the failure happened and why it was not caught earlier.",
    known_limits: "Causes described only in the summary are not recognised.",
};

impl Rule for PostmortemMissingRootCause {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, postmortem) in postmortems(workspace) {
            if postmortem
                .root_cause
                .as_ref()
                .is_some_and(|text| !text.trim().is_empty())
            {
                sink.holds(&META, &artifact.file, postmortem.title.clone());
                continue;
            }
            sink.violation(
                &META,
                &artifact.file,
                postmortem.title_span,
                postmortem.title.clone(),
                format!(
                    "post-incident analysis \"{}\" states no root cause or contributing factors",
                    postmortem.title
                ),
                "no causes",
            )
            .help = Some("add a `## Root causes` or `## Contributing factors` section".into());
        }
    }
}
