pub mod ecs_deployment_rollback_disabled;
pub mod mutable_image_tag;
