job "pinned" {
  namespace = "cores"
  group "g" {
    task "t" {
      driver = "docker"
      resources {
        cores  = 2
        memory = 128
      }
    }
  }
}
