module "api" {
  source             = "../../modules/service"
  name               = "api"
  enable_rollback    = var.enable_rollback
  log_retention_days = 30
}
