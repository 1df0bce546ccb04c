resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_service" "this" {
  name          = var.name
  desired_count = 2

  deployment_circuit_breaker {
    enable   = true
    rollback = var.enable_rollback
  }
}
