name  = "free"
quota = "free"
