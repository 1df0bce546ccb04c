//! Rules of the principle "Refine operations procedures frequently".

pub mod adr_decision_not_evident;
pub mod adr_duplicate_number;
pub mod adr_missing_status;
pub mod adr_superseded_link_broken;
pub mod alert_without_runbook;
mod alert_without_runbook_prometheus;
pub mod runbooks_missing;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &alert_without_runbook::AlertWithoutRunbook,
        &adr_decision_not_evident::AdrDecisionNotEvident,
        &adr_duplicate_number::AdrDuplicateNumber,
        &adr_missing_status::AdrMissingStatus,
        &adr_superseded_link_broken::AdrSupersededLinkBroken,
        &runbooks_missing::RunbooksMissing,
    ]
}
