//! Rules of the principle "Make frequent, small, reversible changes".

pub mod ecs_deployment_rollback_disabled;
pub mod k8s_revision_history_disabled;
pub mod mutable_image_tag;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &ecs_deployment_rollback_disabled::EcsDeploymentRollbackDisabled,
        &mutable_image_tag::MutableImageTag,
        &k8s_revision_history_disabled::K8sRevisionHistoryDisabled,
    ]
}
