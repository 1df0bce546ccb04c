use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_records::figures;
use opslint_records::incidents::Incident;

use crate::Rule;
use crate::records::distinct_incidents;

pub struct RecurringIncidentCause;

pub static META: RuleMeta = RuleMeta {
    id: "recurring-incident-cause",
    principle: Some(Principle::LearnFromEvents),
    waf: &["OPS11-BP03", "OPS10-BP01", "OPS08-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::IncidentExport],
    summary: "the same incident recurs on one service",
    what_it_checks: "Two or more incidents of the same service whose titles are equal once \
        numbers are masked and a trailing repeat mark such as \"again\" or \"(recurrence)\" \
        is left out (`billing-db-1: disk above 90%` and `billing-db-2: disk above 90% \
        again`). The latest occurrence is reported. When every occurrence resolved on its \
        own, the message calls it a noisy alert.",
    why_it_matters: "A repeat means the earlier response fixed the symptom and not the \
        cause, or that an alert pages people for something that needs no action.",
    how_to_fix: "Review the occurrences together, fix the shared cause and close the loop in \
        a post-incident analysis; tune or remove an alert that resolves by itself.",
    known_limits: "Incidents with different titles but the same cause are not grouped, and \
        equal titles with different causes are.",
};

impl Rule for RecurringIncidentCause {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let incidents = distinct_incidents(workspace);
        let only: Vec<&Incident> = incidents.iter().map(|(_, i)| *i).collect();
        for recurrence in figures::recurring(&only) {
            let Some((artifact, latest)) = incidents.iter().find(|(_, i)| {
                i.service == recurrence.service
                    && recurrence
                        .numbers
                        .last()
                        .is_some_and(|number| i.has_reference(number))
            }) else {
                continue;
            };
            // The message quotes the title of the row it points at, which can
            // differ from the first occurrence's in its numbers.
            let count = recurrence.numbers.len();
            let numbers = recurrence.numbers.join(", ");
            let service = if recurrence.service.is_empty() {
                " with no service".to_string()
            } else {
                format!(" on `{}`", recurrence.service)
            };
            let message = if recurrence.all_auto_resolved {
                format!(
                    "alert \"{}\"{service} fired {count} times ({numbers}) and resolved on its own each time",
                    latest.title
                )
            } else {
                format!(
                    "\"{}\"{service} happened {count} times ({numbers})",
                    latest.title
                )
            };
            sink.violation(
                &META,
                &artifact.file,
                latest.span,
                format!("{}/{}", recurrence.service, recurrence.title),
                message,
                "recurring",
            )
            .help = Some(if recurrence.all_auto_resolved {
                "tune the alert's threshold or duration, or remove it if nobody needs to act".into()
            } else {
                "analyse the occurrences together and fix the shared cause".into()
            });
        }
    }
}
