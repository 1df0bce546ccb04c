//! Rules of the principle "Make frequent, small, reversible changes".

pub mod ecs_deployment_rollback_disabled;
pub mod migration_without_down;
pub mod mutable_image_tag;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &migration_without_down::MigrationWithoutDown,
        &ecs_deployment_rollback_disabled::EcsDeploymentRollbackDisabled,
        &mutable_image_tag::MutableImageTag,
    ]
}
