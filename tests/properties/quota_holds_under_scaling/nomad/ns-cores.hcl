name  = "cores"
quota = "corequota"
