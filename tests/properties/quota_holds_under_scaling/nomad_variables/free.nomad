variable "n" {
  type = number
}

job "free" {
  namespace = "free"
  group "g" {
    count = var.n
    task "t" {
      driver = "docker"
    }
  }
}
