# 50 + 49.99 = 99.99: Consul rejects the write (the scaled weights total 9999).
kind = "service-splitter"
name = "api"
splits = [
  {
    weight         = 50
    service_subset = "v1"
  },
  {
    weight         = 49.99
    service_subset = "v2"
  },
]
