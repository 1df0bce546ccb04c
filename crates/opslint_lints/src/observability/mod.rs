pub mod lambda_tracing_disabled;
pub mod log_retention_unset;
