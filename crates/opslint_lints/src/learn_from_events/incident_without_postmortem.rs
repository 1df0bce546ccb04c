use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::records::{distinct_incidents, postmortems};

pub struct IncidentWithoutPostmortem;

pub static META: RuleMeta = RuleMeta {
    id: "incident-without-postmortem",
    principle: Some(Principle::LearnFromEvents),
    waf: &["OPS11-BP02", "OPS11-BP08"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::IncidentExport],
    summary: "high-severity incident with no post-incident analysis",
    what_it_checks: "Resolved incidents of priority P1 or P2 (also SEV1/SEV2, critical, \
        high) in an incident export that no post-incident analysis of the run names in its \
        `incident_ids`/`incidents` front matter or its `Incidents:` line. An analysis names an \
        incident with any identifier the export gives it, ignoring case: its id (PagerDuty's \
        `Q2INGEST5X`) or its number (`530`, `INC-530`). A number also matches with a prefix \
        (`PD-530`, `PagerDuty 530`). An incident that names its twin in another export \
        (Opsgenie's `pagerduty_incident`) counts once.",
    why_it_matters: "Severe incidents are the most expensive lessons a team gets. Without an \
        analysis the causes stay unknown and the same failure is likely to return.",
    how_to_fix: "Write a post-incident analysis and name the incident in it:\n\n\
        ```markdown\n---\nincident_ids: [2101]\n---\n# Billing database disk full\n```",
    known_limits: "Analyses kept outside the repository (a wiki, the incident tool) are \
        not seen. Open incidents are not reported until they are resolved.",
};

impl Rule for IncidentWithoutPostmortem {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let analyses = postmortems(workspace);
        for (artifact, incident) in distinct_incidents(workspace) {
            if incident.severity_rank().is_none_or(|rank| rank > 2) || incident.is_open() {
                continue;
            }
            let covered = analyses.iter().any(|(_, pm)| pm.covers(incident));
            if covered {
                sink.holds(&META, &artifact.file, incident.label());
                continue;
            }
            sink.violation(
                &META,
                &artifact.file,
                incident.span,
                incident.label(),
                format!(
                    "{} ({}, {}) has no post-incident analysis: \"{}\"",
                    incident.label(),
                    incident.severity,
                    if incident.service.is_empty() {
                        "no service"
                    } else {
                        &incident.service
                    },
                    incident.title
                ),
                "no analysis names this incident",
            )
            .help = Some(
                "write a post-incident analysis that lists this incident's number or id in \
                 `incident_ids`"
                    .into(),
            );
        }
    }
}
