variable "name" {
  type = string
}

variable "enable_rollback" {
  type    = bool
  default = false
}

variable "log_retention_days" {
  type = number
}
