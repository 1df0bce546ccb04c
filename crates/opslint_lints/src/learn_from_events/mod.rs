//! Rules of the principle "Learn from all operational events and metrics".

pub mod incident_lesson_not_applied;
pub mod incident_without_postmortem;
mod lesson_evidence;
pub mod postmortem_missing_root_cause;
pub mod postmortem_open_action_items;
pub mod recurring_incident_cause;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &incident_lesson_not_applied::IncidentLessonNotApplied,
        &incident_without_postmortem::IncidentWithoutPostmortem,
        &postmortem_missing_root_cause::PostmortemMissingRootCause,
        &postmortem_open_action_items::PostmortemOpenActionItems,
        &recurring_incident_cause::RecurringIncidentCause,
    ]
}
