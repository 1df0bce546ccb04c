//! Rules of the principle "Make frequent, small, reversible changes".

pub mod cloudformation_rollback_disabled;
mod cloudformation_rollback_disabled_cli;
pub mod codedeploy_auto_rollback_disabled;
pub mod ecs_deployment_rollback_disabled;
pub mod helm_upgrade_without_atomic;
pub mod k8s_revision_history_disabled;
pub mod lambda_without_gradual_deployment;
pub mod migration_without_down;
pub mod mutable_image_tag;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &migration_without_down::MigrationWithoutDown,
        &cloudformation_rollback_disabled::CloudformationRollbackDisabled,
        &lambda_without_gradual_deployment::LambdaWithoutGradualDeployment,
        &codedeploy_auto_rollback_disabled::CodedeployAutoRollbackDisabled,
        &ecs_deployment_rollback_disabled::EcsDeploymentRollbackDisabled,
        &helm_upgrade_without_atomic::HelmUpgradeWithoutAtomic,
        &mutable_image_tag::MutableImageTag,
        &k8s_revision_history_disabled::K8sRevisionHistoryDisabled,
    ]
}
