//! Rules of the principle "Implement observability for actionable insights".

pub mod lambda_tracing_disabled;
pub mod log_retention_unset;
pub mod service_without_metrics;
pub mod service_without_tracing;
mod telemetry;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &service_without_metrics::ServiceWithoutMetrics,
        &service_without_tracing::ServiceWithoutTracing,
        &lambda_tracing_disabled::LambdaTracingDisabled,
        &log_retention_unset::LogRetentionUnset,
    ]
}
