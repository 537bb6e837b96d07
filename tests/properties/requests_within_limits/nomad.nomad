job "app" {
  group "g" {
    task "oversold" {
      driver = "docker"
      resources {
        cpu        = 500
        memory     = 256
        memory_max = 128
      }
    }
    task "bursty" {
      driver = "docker"
      resources {
        memory     = 256
        memory_max = 512
      }
    }
    task "plain" {
      driver = "docker"
      resources {
        memory = 256
      }
    }
    task "defaulted" {
      driver = "docker"
      resources {
        memory_max = 128
      }
    }
  }
}
