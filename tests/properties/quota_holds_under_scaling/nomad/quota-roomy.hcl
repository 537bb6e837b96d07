name = "roomy"

limit {
  region = "global"
  region_limit {
    cpu    = 10000
    memory = 10000
  }
}
