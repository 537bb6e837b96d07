variable "replicas" {
  type = number
  validation {
    condition     = var.replicas >= 1 && var.replicas <= 4
    error_message = "Between 1 and 4 replicas."
  }
}

job "vars" {
  namespace = "vars"
  group "g" {
    count = var.replicas
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
