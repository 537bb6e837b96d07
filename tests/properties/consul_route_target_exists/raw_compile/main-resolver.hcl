Kind = "service-resolver"
Name = "main"
Failover = {
  "*" = {
    Service = "other"
  }
}
