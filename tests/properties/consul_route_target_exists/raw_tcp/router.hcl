Kind = "service-router"
Name = "db"
Routes = [
  {
    Match { HTTP { PathPrefix = "/" } }
  },
]
