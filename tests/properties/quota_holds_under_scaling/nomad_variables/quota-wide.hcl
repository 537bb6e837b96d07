name = "wide"

limit {
  region = "global"
  region_limit {
    memory = 1000
  }
}
