job "web" {
  namespace = "team"
  update {
    canary = 1
  }
  group "api" {
    count = 2
    scaling {
      max = 4
    }
    task "server" {
      driver = "docker"
      resources {
        cpu    = 300
        memory = 200
      }
    }
  }
}
