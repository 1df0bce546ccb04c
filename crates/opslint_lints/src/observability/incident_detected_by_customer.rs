use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_records::figures::detection_source;

use crate::Rule;
use crate::records::{distinct_incidents, postmortems};

pub struct IncidentDetectedByCustomer;

pub static META: RuleMeta = RuleMeta {
    id: "incident-detected-by-customer",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP03", "OPS08-BP04", "OPS04-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown, ArtifactKind::IncidentExport],
    summary: "incident that customers detected before any alert",
    what_it_checks: "Post-incident analyses whose Detection section, or a header field such \
        as `Detected by:`, says customers or support reported the problem, and incident \
        exports whose detection column says so.",
    why_it_matters: "When customers are the monitoring, the team learns about failures late \
        and from the people it serves: an observability gap in user-experience or \
        dependency telemetry.",
    how_to_fix: "Add the signal that would have caught it: a synthetic check or RUM metric \
        on the affected journey, or an alarm on the symptom customers saw, and name it in \
        the analysis's action items.",
    known_limits: "Detection is read from three signals. The first is phrases such as \
        customer report, support ticket and user report. The second is a detection \
        column whose whole value is a source such as `customer`, `support` or `users`. \
        The third is a customer, user or client followed closely by a verb such as \
        emailed, called or reported. Other phrasings are not recognised.",
};

impl Rule for IncidentDetectedByCustomer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let distinct = distinct_incidents(workspace);
        for (artifact, postmortem) in postmortems(workspace) {
            let Some((text, span)) = &postmortem.detection else {
                continue;
            };
            // An incident whose export row names customers as the source is
            // reported on that row, once.
            let reported_on_row = distinct.iter().any(|(_, incident)| {
                detection_source(&incident.detection) == "customer report"
                    && (postmortem.covers(incident))
            });
            if detection_source(text) == "customer report" && !reported_on_row {
                sink.violation(
                    &META,
                    &artifact.file,
                    *span,
                    postmortem.title.clone(),
                    format!(
                        "customers detected \"{}\" before any alert",
                        postmortem.title
                    ),
                    "detected by customers",
                )
                .help = Some(
                    "add an alarm or synthetic check on the symptom customers reported".into(),
                );
            } else if !reported_on_row {
                sink.holds(&META, &artifact.file, postmortem.title.clone());
            }
        }
        for (artifact, incident) in distinct {
            if !incident.detection.is_empty()
                && detection_source(&incident.detection) == "customer report"
            {
                sink.violation(
                    &META,
                    &artifact.file,
                    incident.span,
                    incident.label(),
                    format!(
                        "customers detected {} before any alert: \"{}\"",
                        incident.label(),
                        incident.title
                    ),
                    "detected by customers",
                )
                .help = Some(
                    "add an alarm or synthetic check on the symptom customers reported".into(),
                );
            }
        }
    }
}
