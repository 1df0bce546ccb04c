//! Rules of the principle "Make frequent, small, reversible changes".

pub mod cloudformation_rollback_disabled;
pub mod codedeploy_auto_rollback_disabled;
pub mod ecs_deployment_rollback_disabled;
pub mod lambda_without_gradual_deployment;
pub mod mutable_image_tag;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &lambda_without_gradual_deployment::LambdaWithoutGradualDeployment,
        &cloudformation_rollback_disabled::CloudformationRollbackDisabled,
        &codedeploy_auto_rollback_disabled::CodedeployAutoRollbackDisabled,
        &ecs_deployment_rollback_disabled::EcsDeploymentRollbackDisabled,
        &mutable_image_tag::MutableImageTag,
    ]
}
