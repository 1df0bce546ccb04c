enable_rollback = false
