//! Rules of the principle "Anticipate failure".

pub mod compose_service_missing_healthcheck;
pub mod database_backups_disabled;
pub mod database_deletion_protection_disabled;
pub mod dockerfile_missing_healthcheck;
pub mod ecs_container_missing_healthcheck;
pub mod http_client_without_timeout;
pub mod k8s_missing_liveness_probe;
pub mod k8s_missing_readiness_probe;
pub mod lb_target_group_default_health_check;
pub mod probe_path_not_served;
mod probes;
pub mod service_missing_health_endpoint;
pub mod single_replica_workload;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &http_client_without_timeout::HttpClientWithoutTimeout,
        &probe_path_not_served::ProbePathNotServed,
        &service_missing_health_endpoint::ServiceMissingHealthEndpoint,
        &ecs_container_missing_healthcheck::EcsContainerMissingHealthcheck,
        &lb_target_group_default_health_check::LbTargetGroupDefaultHealthCheck,
        &database_backups_disabled::DatabaseBackupsDisabled,
        &database_deletion_protection_disabled::DatabaseDeletionProtectionDisabled,
        &k8s_missing_readiness_probe::K8sMissingReadinessProbe,
        &k8s_missing_liveness_probe::K8sMissingLivenessProbe,
        &compose_service_missing_healthcheck::ComposeServiceMissingHealthcheck,
        &dockerfile_missing_healthcheck::DockerfileMissingHealthcheck,
        &single_replica_workload::SingleReplicaWorkload,
    ]
}
