resource "aws_lambda_function" "broken" {
  function_name = "broken"
  tracing_config {
    mode = 
  }
}

resource "aws_db_instance" "orders" {
  identifier          = "orders"
  deletion_protection = true
  backup_retention_period = lookup(var.retention, "prod"
}
