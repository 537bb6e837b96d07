name = "small"

limit {
  region = "global"
  region_limit {
    cpu    = 4000
    memory = 900
  }
}
