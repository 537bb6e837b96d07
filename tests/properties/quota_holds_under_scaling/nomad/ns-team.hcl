name  = "team"
quota = "small"
