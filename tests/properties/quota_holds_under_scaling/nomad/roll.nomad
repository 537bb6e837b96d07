job "roll" {
  namespace = "roll"
  group "batch" {
    count = 2
    update {
      max_parallel = 1
    }
    task "work" {
      driver = "docker"
      resources {
        memory = 300
      }
    }
  }
}
