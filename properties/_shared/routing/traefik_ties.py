"""CNV106 on a Traefik table: routers of equal priority from one provider are tried in an order Traefik does not
fix (traefik fd5a576d ``mux.go`` ``routes.Less`` compares priority, then provider precedence; the routers come
from a Go map and ``sort.Sort`` is not stable). The request found is sent as Traefik's host matchers read it."""

from __future__ import annotations

from dataclasses import replace

from cnverify.encodings.http import Entry, Request, entry_matches
from cnverify.properties._shared.routing.ties import TieRules
from cnverify.systems.traefik.tables import UNSANITIZED


def tidy(found: Request, a: Entry, b: Entry) -> Request:
    """``found`` with its host lower case, without port or trailing dot, when both entries still match it."""
    clean = replace(found, host=found.host.split(":")[0].lower().rstrip(".") or found.host, port=80)
    try:
        return clean if entry_matches(a, clean) and entry_matches(b, clean) else found
    except ValueError:
        return found


TRAEFIK = TieRules(
    odd=lambda r: (
        f"the request found ({r.host}{r.path}) is one Traefik rewrites or reads differently"
        if UNSANITIZED.search(r.path) or r.host.strip(".") != r.host
        else ""
    ),
    tie=lambda group: f"have equal priority {group} (an explicit priority, or the rule's length)",
    order=lambda fixed, first: (
        "Traefik orders routers of equal priority from one provider as its Go map yields them, so either may take it"
    ),
    proved="no two routers of equal priority match one request ({table}): the unfixed order decides nothing",
    tidy=tidy,
    claimed=lambda group: f"have equal priority {group}",
)
