name = "tight"

limit {
  region = "global"
  region_limit {
    memory = 700
  }
}
