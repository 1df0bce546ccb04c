//! Rules of the principle "Make frequent, small, reversible changes".

pub mod codedeploy_auto_rollback_disabled;
pub mod ecs_deployment_rollback_disabled;
pub mod mutable_image_tag;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &codedeploy_auto_rollback_disabled::CodedeployAutoRollbackDisabled,
        &ecs_deployment_rollback_disabled::EcsDeploymentRollbackDisabled,
        &mutable_image_tag::MutableImageTag,
    ]
}
