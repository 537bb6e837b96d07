# Ported from Consul's compile tests (agent/consul/discoverychain/compile_test.go: FailoverCrossesProtocols,
# RedirectToMissingSubset), written anew as raw config entries.
Kind     = "service-defaults"
Name     = "main"
Protocol = "grpc"
