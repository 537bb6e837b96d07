kind = "service-resolver"
name = "legacy"
redirect {
  service        = "other"
  service_subset = "v9"
}
