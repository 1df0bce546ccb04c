use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_records::postmortem::ItemState;

use crate::Rule;
use crate::records::postmortems;

pub struct PostmortemOpenActionItems;

pub static META: RuleMeta = RuleMeta {
    id: "postmortem-open-action-items",
    principle: Some(Principle::LearnFromEvents),
    waf: &["OPS11-BP03", "OPS11-BP09"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "open action item in a post-incident analysis",
    what_it_checks: "Action items of post-incident analyses that are open: unchecked task \
        list items (`- [ ]`), items or table rows with the status open, in progress, todo, \
        planned or blocked, and items starting with `**Open**`. Items without any status \
        become a question.",
    why_it_matters: "An analysis only prevents the next incident when its actions are \
        carried out. Open items are known, unmitigated risks.",
    how_to_fix: "Finish the item and mark it done (`- [x]`, `Status: done`), or record the \
        decision not to do it (`Won't do` with a reason).",
    known_limits: "The status is read from the analysis, not from the linked ticket.",
};

impl Rule for PostmortemOpenActionItems {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, postmortem) in postmortems(workspace) {
            let mut unknown = 0;
            for item in &postmortem.action_items {
                let location = format!("{}/{}", postmortem.title, item.text);
                match item.state {
                    ItemState::Open => {
                        sink.violation(
                            &META,
                            &artifact.file,
                            item.span,
                            location,
                            format!(
                                "action item is still open: \"{}\"",
                                shorten(item.text.trim_end_matches('.'))
                            ),
                            "open",
                        )
                        .help = Some(
                            "finish it and mark it done, or record why it will not be done".into(),
                        );
                    }
                    ItemState::Unknown => unknown += 1,
                    ItemState::Done | ItemState::Dropped => {
                        sink.holds(&META, &artifact.file, location);
                    }
                }
            }
            if unknown > 0 {
                sink.unclear(
                    &META,
                    &artifact.file,
                    postmortem.title_span,
                    format!("{}/status", postmortem.title),
                    if unknown == 1 {
                        format!("Is the action item of \"{}\" done?", postmortem.title)
                    } else {
                        format!(
                            "Are the {unknown} action items of \"{}\" done?",
                            postmortem.title
                        )
                    },
                    "no item has a checkbox, status column or status word",
                );
            }
        }
    }
}

/// The first 100 characters of an item, for messages.
pub fn shorten(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= 100 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(100).collect::<String>().trim_end())
    }
}
