name = "corequota"

limit {
  region = "global"
  region_limit {
    cpu = 1000
  }
}
