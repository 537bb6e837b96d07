name = "orphan"

limit {
  region = "global"
  region_limit {
    memory = 100
  }
}
