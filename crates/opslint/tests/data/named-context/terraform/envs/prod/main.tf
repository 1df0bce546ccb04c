module "api" {
  source             = "../../modules/service"
  name               = "api"
  enable_rollback    = true
  log_retention_days = 90
}
