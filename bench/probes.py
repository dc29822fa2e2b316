#!/usr/bin/env python3
"""The security review's probes against a real server (``python -m service.cli serve``), with figures.

    python bench/probes.py                 # full size (the review's: 10^6 keys, 100 methods of 15 KB)
    python bench/probes.py --quick         # small sizes: a smoke test of this script
    python bench/probes.py --json --out probes.json

Each probe starts its own server on a free loopback port (rules backend, no cache) and reports what a
hostile client got: answer sizes and times, /healthz latency meanwhile, the server's memory (VmRSS, and
VmHWM, its peak), how /metrics grew, whether a secret in the LLM URL came back, whether an open server
starts on 0.0.0.0, whether a client may ask for the llm backend, and how long idle connections stay open.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _common import emit

ROOT = Path(__file__).resolve().parents[1]
CODE = [ROOT]  # the source tree the servers run (--code: another checkout, e.g. main's, for "before" figures)
SECRET = "s3cr3t-probe-value"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = round(int(value.split()[0]) / 1024, 1)
    return out


@contextmanager
def server(env: dict[str, str] | None = None, host: str = "127.0.0.1") -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A server with ``env`` on a free port; yields (process, base URL)."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "OPENAI_"))}
    full.update({"NIANBAO_BACKEND": "rules", "NIANBAO_CACHE_URL": "off", "NIANBAO_LOG_LEVEL": "WARNING",
                 "PYTHONPATH": str(CODE[0]), **(env or {})})
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--host", host, "--port", str(port)],
                            env=full, cwd="/tmp", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _health_watch(url: str, stop: threading.Event, worst: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            httpx.get(url + "/healthz", timeout=30)
        except httpx.HTTPError:
            pass
        worst.append(time.perf_counter() - started)
        time.sleep(0.05)


def probe_keys(n_keys: int, where: str) -> dict[str, Any]:
    """A JSON body with ``n_keys`` unknown keys in ``where`` (options, top, item): answer, time, memory."""
    keys = ", ".join(f'"k{i}": 0' for i in range(n_keys))
    bodies = {"options": f'{{"text": "x", "options": {{{keys}}}}}',
              "top": f'{{"text": "x", {keys}}}',
              "item": f'{{"items": [{{"text": "x", {keys}}}]}}'}
    body = bodies[where].encode()
    path = "/v1/extract/batch" if where == "item" else "/v1/extract"
    limit = str(max(10_000_000, len(body)))
    with server({"NIANBAO_MAX_UPLOAD_BYTES": limit}) as (proc, url):
        before = memory_mb(proc.pid)
        stop, worst = threading.Event(), [0.0]
        watch = threading.Thread(target=_health_watch, args=(url, stop, worst))
        watch.start()
        started = time.perf_counter()
        response = httpx.post(url + path, content=body, headers={"Content-Type": "application/json"}, timeout=120)
        elapsed = time.perf_counter() - started
        stop.set()
        watch.join()
        time.sleep(0.5)
        after = memory_mb(proc.pid)
    return {"probe": f"keys-{where}", "keys": n_keys, "body_mb": round(len(body) / 1e6, 1),
            "status": response.status_code, "answer_bytes": len(response.content),
            "seconds": round(elapsed, 2), "healthz_worst_s": round(max(worst), 2),
            "rss_before_mb": before["VmRSS"], "peak_mb": after["VmHWM"], "rss_after_mb": after["VmRSS"]}


def probe_methods(n: int, size: int) -> dict[str, Any]:
    """``n`` requests with invented methods of ``size`` bytes: /metrics and memory before and after."""
    with server() as (proc, url):
        metrics_before = len(httpx.get(url + "/metrics").content)
        before = memory_mb(proc.pid)
        port = int(url.rsplit(":", 1)[1])
        statuses: dict[str, int] = {}
        for i in range(n):
            method = (f"X{i}" + "A" * size)[:size]
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(f"{method} /v1/x{i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
                head = sock.recv(64).split(b" ")
                key = head[1].decode() if len(head) > 1 else "closed"
                statuses[key] = statuses.get(key, 0) + 1
        metrics_after = len(httpx.get(url + "/metrics").content)
        after = memory_mb(proc.pid)
    return {"probe": "methods", "requests": n, "method_bytes": size, "statuses": statuses,
            "metrics_before_kb": round(metrics_before / 1e3, 1), "metrics_after_kb": round(metrics_after / 1e3, 1),
            "rss_before_mb": before["VmRSS"], "rss_after_mb": after["VmRSS"]}


def probe_gateway_methods(n: int, size: int) -> dict[str, Any]:
    """``n`` upper-case invented methods of ``size`` bytes through the gateway (nginx with the tree's config):
    what the gateway answered, and how the app's /metrics grew."""
    import importlib.util
    import shutil
    import tempfile

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        return {"probe": "gateway-methods", "skipped": "no nginx"}
    spec = importlib.util.spec_from_file_location("render", CODE[0] / "deploy" / "nginx" / "render.py")
    assert spec is not None and spec.loader is not None
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    with server({"NIANBAO_ROOT_PATH": "/nianbao"}) as (_proc, url), tempfile.TemporaryDirectory() as prefix:
        port = free_port()
        conf = render.render(Path(prefix), upstream=url.removeprefix("http://"), listen=f"127.0.0.1:{port}")
        gateway = subprocess.Popen(render.nginx_command(nginx, conf), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            time.sleep(1)
            before = len(httpx.get(url + "/metrics").content)
            statuses: dict[str, int] = {}
            for i in range(n):  # upper-case letters only: nginx refuses other methods with 400 itself
                method = ("X" + "".join(chr(65 + (i // 26 ** k) % 26) for k in range(4)) + "A" * size)[:size]
                with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                    sock.sendall(f"{method} /nianbao/v1/extract HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                                 .encode())
                    head = sock.recv(64).split(b" ")
                    key = head[1].decode() if len(head) > 1 else "closed"
                    statuses[key] = statuses.get(key, 0) + 1
            after = len(httpx.get(url + "/metrics").content)
        finally:
            os.killpg(gateway.pid, signal.SIGTERM)
            gateway.wait(10)
    return {"probe": "gateway-methods", "requests": n, "method_bytes": size, "statuses": statuses,
            "app_metrics_before_kb": round(before / 1e3, 1), "app_metrics_after_kb": round(after / 1e3, 1)}


def probe_secret() -> dict[str, Any]:
    """An LLM URL with user:password and ?api_key= : how often the secret comes back, and where."""
    dead = free_port()
    env = {"NIANBAO_BACKEND": "hybrid", "NIANBAO_LLM_API_KEY": "k" * 8, "NIANBAO_LLM_MAX_RETRIES": "0",
           "NIANBAO_LLM_BASE_URL": f"http://user:{SECRET}@127.0.0.1:{dead}/v1?api_key={SECRET}",
           "NIANBAO_API_KEYS": "probe-key", "NIANBAO_AUTH": "on"}
    sample = (ROOT / "eval" / "samples").glob("*.txt").__next__().read_text("utf-8")
    auth = {"Authorization": "Bearer probe-key"}
    found = {}
    with server(env) as (_proc, url):
        found["readyz"] = SECRET in httpx.get(url + "/readyz", timeout=10).text
        found["degraded_reason"] = SECRET in httpx.post(url + "/v1/extract", json={"text": sample}, headers=auth,
                                                        timeout=60).text
        found["llm_unavailable_503"] = SECRET in httpx.post(
            url + "/v1/extract", json={"text": sample, "options": {"llm_required": True}}, headers=auth,
            timeout=60).text
    return {"probe": "secret-url", "echoed": found}


def probe_open_start() -> dict[str, Any]:
    """Does a server without keys start on 0.0.0.0?"""
    with server({}, host="0.0.0.0") as (proc, url):
        try:
            started = httpx.get(url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            started = False
        stderr = "" if proc.poll() is None else (proc.stderr.read().decode()[-300:] if proc.stderr else "")
    return {"probe": "open-on-0.0.0.0", "started": started, "message": stderr.strip()}


def probe_client_llm() -> dict[str, Any]:
    """May a client ask for the llm backend (a paid call) on a server whose default is rules?"""
    sample = (ROOT / "eval" / "samples").glob("*.txt").__next__().read_text("utf-8")
    env = {"NIANBAO_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "NIANBAO_LLM_API_KEY": "k" * 8,
           "NIANBAO_LLM_MAX_RETRIES": "0"}
    with server(env) as (_proc, url):
        response = httpx.post(url + "/v1/extract", json={"text": sample, "options": {"backend": "llm",
                                                                                       "use_cache": False}},
                              timeout=60)
    body = response.json()
    tried = response.status_code == 200 and body.get("narrative", {}).get("requested_backend") == "llm"
    return {"probe": "client-asks-llm", "status": response.status_code, "llm_attempted": tried,
            "code": body.get("code")}


def probe_quota(n: int) -> dict[str, Any]:
    """``n`` requests in a row from one client with a quota of n/2 a minute: how many were refused with 429."""
    with server({"NIANBAO_QUOTA_REQUESTS_PER_MIN": str(n // 2)}) as (_proc, url):
        with httpx.Client(base_url=url, timeout=10) as client:
            statuses = [client.post("/v1/extract", json={"text": ""}).status_code for _ in range(n)]
    return {"probe": "quota", "requests": n, "429": statuses.count(429)}


def probe_idle(cap_s: float) -> dict[str, Any]:
    """Seconds until the server drops a silent connection and one with half-sent headers (capped)."""
    out: dict[str, Any] = {"probe": "idle-connections", "cap_s": cap_s}
    with server() as (_proc, url):
        port = int(url.rsplit(":", 1)[1])
        for name, data in (("silent", b""), ("half_headers", b"POST /v1/extract HTTP/1.1\r\nHost: t\r\n"),
                           ("half_body", b"POST /v1/extract HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                                         b"Content-Length: 1000\r\n\r\nabc")):
            started = time.perf_counter()
            with socket.create_connection(("127.0.0.1", port), timeout=cap_s) as sock:
                sock.sendall(data)
                try:
                    while sock.recv(4096):
                        pass
                    out[name + "_s"] = round(time.perf_counter() - started, 1)
                except TimeoutError:
                    out[name + "_s"] = f">{cap_s:g}"
                except ConnectionResetError:
                    out[name + "_s"] = round(time.perf_counter() - started, 1)
    return out


def main(argv: list[str]) -> int:
    """Run every probe; print a table or JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (10^4 keys, 10 methods, a 20 s idle cap)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--code", type=Path, default=ROOT, help="source tree to run (default: this one)")
    parser.add_argument("--only", help="comma-separated probe names (keys,methods,gateway,secret,open,llm,quota,idle)")
    args = parser.parse_args(argv)
    CODE[0] = args.code.resolve()
    n_keys, n_methods, idle_cap = (10_000, 10, 20.0) if args.quick else (1_000_000, 100, 90.0)
    probes: dict[str, Any] = {
        "keys": lambda: [probe_keys(n_keys, where) for where in ("options", "top", "item")],
        "methods": lambda: [probe_methods(n_methods, 15_000)],
        "gateway": lambda: [probe_gateway_methods(n_methods, 7_000)], "secret": lambda: [probe_secret()],
        "open": lambda: [probe_open_start()], "llm": lambda: [probe_client_llm()],
        "quota": lambda: [probe_quota(200)], "idle": lambda: [probe_idle(idle_cap)]}
    chosen = args.only.split(",") if args.only else list(probes)
    results = []
    for name in chosen:
        try:
            found = probes[name]()
        except Exception as exc:  # one broken probe must not lose the others' figures
            found = [{"probe": name, "error": f"{type(exc).__name__}: {exc}"}]
        for result in found:
            print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
        results.extend(found)
    doc = {"quick": args.quick, "code": str(CODE[0]), "probes": results}
    emit(doc, out=args.out, as_json=args.json,
         table=lambda d: [print(json.dumps(r, ensure_ascii=False)) for r in d["probes"]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
