Kind = "service-router"
Name = "web"
Routes = [
  {
    Match {
      HTTP {
        PathPrefix = "/a"
        Methods    = ["get", "POST"]
      }
    }
  },
  {
    Match {
      HTTP {
        PathPrefix = "/a"
        Methods    = ["GET"]
      }
    }
  },
  {
    Match {
      HTTP {
        PathPrefix      = "/A"
        CaseInsensitive = true
        Header = [
          { Name = "x-debug", Present = true, Invert = true },
        ]
      }
    }
  },
]
