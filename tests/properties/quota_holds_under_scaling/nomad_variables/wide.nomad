variable "wide" {
  type = number
  validation {
    condition     = var.wide >= 1
    error_message = "At least one."
  }
}

job "wide" {
  namespace = "wide"
  group "g" {
    count = var.wide
    update {
      canary = 1
    }
    task "t" {
      driver = "docker"
      resources {
        memory = 200
      }
    }
  }
}
