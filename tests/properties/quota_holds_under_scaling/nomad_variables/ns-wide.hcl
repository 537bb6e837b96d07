name  = "wide"
quota = "wide"
