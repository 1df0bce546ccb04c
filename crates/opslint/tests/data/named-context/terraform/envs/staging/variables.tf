variable "enable_rollback" {
  type    = bool
  default = true
}
