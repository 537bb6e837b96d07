job "api" {
  group "api" {
    network {
      port "http" {
        to = 8080
      }
    }
    service {
      name = "api"
      port = "http"
    }
    service {
      name = "admin"
      port = "admin"
    }
    service {
      name = "direct"
      port = "9090"
    }
  }
}
