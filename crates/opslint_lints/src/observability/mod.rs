//! Rules of the principle "Implement observability for actionable insights".

pub mod lambda_tracing_disabled;
pub mod log_retention_unset;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &lambda_tracing_disabled::LambdaTracingDisabled,
        &log_retention_unset::LogRetentionUnset,
    ]
}
