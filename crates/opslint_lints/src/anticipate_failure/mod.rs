pub mod k8s_missing_liveness_probe;
pub mod k8s_missing_readiness_probe;
mod probes;
