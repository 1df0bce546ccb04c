variable "name" {
  type = string
}

variable "enable_rollback" {
  type = bool
}

variable "log_retention_days" {
  type = number
}
