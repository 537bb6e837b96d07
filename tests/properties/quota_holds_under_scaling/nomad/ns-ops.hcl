name  = "ops"
quota = "roomy"
