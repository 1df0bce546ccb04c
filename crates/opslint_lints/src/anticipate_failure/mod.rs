//! Rules of the principle "Anticipate failure".

pub mod database_backups_disabled;
pub mod database_deletion_protection_disabled;
pub mod ecs_container_missing_healthcheck;
pub mod k8s_missing_liveness_probe;
pub mod k8s_missing_readiness_probe;
pub mod lb_target_group_default_health_check;
mod probes;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &ecs_container_missing_healthcheck::EcsContainerMissingHealthcheck,
        &lb_target_group_default_health_check::LbTargetGroupDefaultHealthCheck,
        &database_backups_disabled::DatabaseBackupsDisabled,
        &database_deletion_protection_disabled::DatabaseDeletionProtectionDisabled,
        &k8s_missing_readiness_probe::K8sMissingReadinessProbe,
        &k8s_missing_liveness_probe::K8sMissingLivenessProbe,
    ]
}
