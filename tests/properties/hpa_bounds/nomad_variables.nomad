variable "replicas" {
  type = number
  validation {
    condition     = var.replicas >= 1 && var.replicas <= 5
    error_message = "Between 1 and 5 replicas."
  }
}

variable "wide" {
  type = number
  validation {
    condition     = var.wide >= 1
    error_message = "At least one."
  }
}

variable "free" {
  type = number
}

locals {
  doubled = var.replicas * 2
}

job "vars" {
  group "bounded" {
    count = local.doubled
    scaling {
      min = 2
      max = 10
    }
  }
  group "breaks" {
    count = var.wide
    scaling {
      max = 8
    }
  }
  group "unbounded" {
    count = var.free
    scaling {
      max = 8
    }
  }
  group "attr" {
    count = "${attr.cpu.numcores}"
    scaling {
      max = 8
    }
  }
}
