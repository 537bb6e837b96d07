job "ops" {
  namespace = "ops"
  group "tools" {
    count = 3
    update {
      canary = 2
    }
    service {
      name = "tools"
      connect {
        sidecar_service {}
      }
    }
    task "tool" {
      driver = "docker"
      resources {
        memory = 256
      }
    }
  }
}
