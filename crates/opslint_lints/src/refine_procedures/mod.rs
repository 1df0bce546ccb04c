//! Rules of the principle "Refine operations procedures frequently".

pub mod alert_without_runbook;
mod alert_without_runbook_prometheus;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&alert_without_runbook::AlertWithoutRunbook]
}
