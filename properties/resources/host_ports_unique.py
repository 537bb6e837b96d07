"""CNV305 host-ports-unique."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.compose import ports


@register
class HostPortsUnique(Property):
    """
    ## What it proves
    No two containers bind the same host port: each published port of a Docker Compose service (short syntax
    `[ip:]host:container[/proto]` read as docker/go-connections parses it, or the long syntax with `published`,
    `host_ip`, `protocol`, `mode`), after the project's files are merged, is bound by one container only. Under
    `docker compose up` every container binds on the one host: a fixed port of a service with more than one
    replica is bound by each of them, and two bindings of one port and protocol conflict when their host IPs
    overlap (an empty, `0.0.0.0` or `::` IP overlaps every IP). A range published for one container port
    (`8000-8010:80`) is a pool the engine picks from: violated when the service's containers outnumber it, and
    `unknown` when it overlaps another binding (the port each takes depends on the start order). On Swarm (a
    project with `x-cnverify-swarm`), an `ingress` port is published once per service and shared by its
    replicas, and a second service publishing the same port and protocol is rejected; `host`-mode ports of
    different services coexist.

    ## Why it matters
    Compose does not compare published ports: the file loads, and the second container to start fails with
    "Bind for 0.0.0.0:8080 failed: port is already allocated" (a scaled service, an override that adds the same
    port to another service); `docker stack deploy` rejects the stack ("port '8080' is already in use by
    service … as an ingress port").

    ## Evidence
    Violated: the binding, the replica count or the other binding (both lines). Proved: the binding and the
    replica count.

    ## Example
    ```yaml
    services:
      web: {image: nginx, ports: ["8080:80"], deploy: {replicas: 2}}   # violated: 2 containers bind 8080
    ```

    ## Assumes
    - Without `x-cnverify-swarm` the project is deployed with `docker compose up` on one host (an `assumes:`
      step); ports published by other projects or processes on the host are not in the inputs.
    - A port or replica count from the environment (`${VAR}`) may take any value: such a verdict is `unknown`.
    """

    code = "CNV305"
    name = "host-ports-unique"
    title = "Published host ports are bound once"
    severity = "error"
    reads = ports.READS
    remediation = "Publish a different host port, a range as large as the replicas, or no host port (ephemeral)."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for c in ports.checks(ctx.snap):
            b = c.binding
            ob = self.obligation(b.service, at=b.at, path=f"ports[{b.index}]")
            if c.runtime == "compose":
                ob.assume("deployed with docker compose up on one host (a Swarm stack declares x-cnverify-swarm)")
            for says, at in c.steps:
                ob.note(says, at)
            if c.verdict == "unknown":
                ob.unknown(c.claim)
            else:
                ob.decide("proved" if c.verdict == "proved" else "violated", c.claim)
            ob.on(violated=c.claim, proved=c.claim)
            yield ob
