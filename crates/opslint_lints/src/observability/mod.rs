//! Rules of the principle "Implement observability for actionable insights".

pub mod alarm_without_actions;
pub mod api_gateway_access_logs_disabled;
pub mod api_gateway_tracing_disabled;
pub mod ecs_container_insights_disabled;
pub mod incident_detected_by_customer;
pub mod lambda_tracing_disabled;
pub mod log_retention_unset;
pub mod resource_without_alarm;
pub mod service_without_metrics;
pub mod service_without_tracing;
mod telemetry;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &service_without_metrics::ServiceWithoutMetrics,
        &service_without_tracing::ServiceWithoutTracing,
        &ecs_container_insights_disabled::EcsContainerInsightsDisabled,
        &resource_without_alarm::ResourceWithoutAlarm,
        &alarm_without_actions::AlarmWithoutActions,
        &api_gateway_access_logs_disabled::ApiGatewayAccessLogsDisabled,
        &api_gateway_tracing_disabled::ApiGatewayTracingDisabled,
        &incident_detected_by_customer::IncidentDetectedByCustomer,
        &lambda_tracing_disabled::LambdaTracingDisabled,
        &log_retention_unset::LogRetentionUnset,
    ]
}
