name  = "roll"
quota = "tight"
