resource "aws_ecs_task_definition" "bad_json" {
  family                = "bad"
  container_definitions = <<EOT
[ { "name": "api", "image": ]
EOT
}

resource "aws_lambda_function" "looped" {
  count         = var.enabled ? 1 : 0
  function_name = "looped"
  tracing_config {
    mode = local.modes[count.index]
  }
}
