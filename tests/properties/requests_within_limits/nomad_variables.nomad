variable "mem" {
  type = number
  validation {
    condition     = var.mem >= 128 && var.mem <= 512
    error_message = "Between 128 and 512 MB."
  }
}

variable "free" {
  type = number
}

job "vars" {
  group "g" {
    task "headroom" {
      driver = "docker"
      resources {
        memory     = var.mem
        memory_max = var.mem * 2
      }
    }
    task "fixed_cap" {
      driver = "docker"
      resources {
        memory     = var.mem
        memory_max = 256
      }
    }
    task "unbounded" {
      driver = "docker"
      resources {
        memory     = 64
        memory_max = var.free
      }
    }
  }
}
