name  = "vars"
quota = "vars"
