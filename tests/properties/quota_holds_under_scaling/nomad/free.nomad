job "free" {
  group "g" {
    count = 2
    task "t" {
      driver = "docker"
    }
  }
}
