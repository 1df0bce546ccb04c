//! Rules of the principle "Implement observability for actionable insights".

pub mod incident_detected_by_customer;
pub mod lambda_tracing_disabled;
pub mod log_retention_unset;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &incident_detected_by_customer::IncidentDetectedByCustomer,
        &lambda_tracing_disabled::LambdaTracingDisabled,
        &log_retention_unset::LogRetentionUnset,
    ]
}
