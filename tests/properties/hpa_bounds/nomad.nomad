variable "n" {
  default = 3
}

job "web" {
  group "ok" {
    scaling {
      min = 2
      max = 3
    }
  }
  group "over" {
    count = 4
    scaling {
      min = 2
      max = 3
    }
  }
  group "under" {
    count = 4
    scaling {
      min = 5
      max = 6
    }
  }
  group "inverted" {
    scaling {
      min = 5
      max = 3
    }
  }
  group "expr" {
    count = var.n
    scaling {
      max = 10
    }
  }
  group "fixed" {
    count = 2
  }
}
