"""Load-test the HTTP service: requests/s and latency at several numbers of concurrent clients.

    python bench/load.py [--concurrency 1,8,32,128] [--duration 10 | --requests N] [--warmup 1]
                         [--workers N] [--client-procs K] [--body json|text|multipart] [--json] [--out FILE]
    python bench/load.py --url http://host:port [...]           (a service that already runs)

Without ``--url`` it starts the service as its own process, exactly as a user would —
``python -m service.cli serve`` (uvicorn) with the rules backend, ``--workers`` uvicorn workers (default:
``os.cpu_count()``) and ``NIANBAO_CACHE_URL=off`` — on a free loopback port, and stops it at the end.
The load comes from ``--client-procs`` other processes (default 1), each an asyncio loop of httpx clients
with one connection per client, posting the committed samples (eval/samples/*.txt) round-robin to
``POST /v1/extract`` as JSON ``{"text": …, "source": …}`` (``--body`` text/plain or multipart instead).

For each level of concurrency: ``--warmup`` seconds untimed (connections open, caches warm), then
``--duration`` seconds (or ``--requests`` in all) timed. Every response must be 200 with a JSON body that
is an extraction of a report (``is_report`` true, ``cells`` present); anything else — another status,
a body that does not parse, a transport error or a timeout — counts as an error. Prints per level:
requests, requests/s, latency p50/p90/p99/max (ms), errors, and the CPU seconds the server and the
clients spent (on a small machine the clients may be what saturates). Exit status 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from _common import emit, percentile

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLES = "eval/samples/*.txt"
DEFAULT_LEVELS = "1,8,32,128"


# ---- the service under test ------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nothing listens on now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_supports_workers(python: str) -> bool:
    """Whether ``service.cli serve`` takes ``--workers`` (otherwise NIANBAO_WORKERS alone is set)."""
    out = subprocess.run([python, "-m", "service.cli", "serve", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    return "--workers" in out.stdout


@dataclass
class Server:
    """The service as a child process: ``python -m service.cli serve`` on 127.0.0.1."""

    workers: int
    env: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"
    python: str = sys.executable
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    command: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 60.0) -> Server:
        """Start it and wait until ``/healthz`` answers 200 (and every worker is up)."""
        import httpx

        self.port = self.port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "OPENAI_"))}
        env.update({"NIANBAO_BACKEND": "rules", "NIANBAO_CACHE_URL": "off", "NIANBAO_WORKERS": str(self.workers),
                    "NIANBAO_LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1", **self.env})
        self.command = [self.python, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                        "--log-level", self.log_level]
        forked = self.workers > 1 and serve_supports_workers(self.python)
        if forked:
            self.command += ["--workers", str(self.workers)]
        fd, name = tempfile.mkstemp(prefix="nianbao-load-", suffix=".log")
        self.log_path = Path(name)
        # The server's output goes to a file: a pipe nobody reads would fill and stall the server.
        self.proc = subprocess.Popen(self.command, cwd=tempfile.gettempdir(), env={**env, "PYTHONPATH": str(ROOT)},
                                     stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
        os.close(fd)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                # uvicorn's supervisor forks the workers: wait for all of them, not just the first to answer.
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200 and \
                        (not forked or len(self.workers_up()) >= self.workers):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the service did not answer /healthz within {ready_timeout:g} s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The server process and its children (uvicorn's workers)."""
        if self.proc is None:
            return []
        return [self.proc.pid, *descendants(self.proc.pid)]

    def workers_up(self) -> list[int]:
        """uvicorn's worker processes (spawned by multiprocessing; its resource tracker is not one)."""
        return [pid for pid in descendants(self.proc.pid) if "spawn_main" in cmdline(pid)] if self.proc else []

    def worker_count(self) -> int:
        """Processes that serve requests: uvicorn's workers when it spawns them, else the one process."""
        return len(self.workers_up()) or 1

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL after 15 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what we started
            self.proc.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (0 for those gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes, MB (VmRSS)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# ---- the load generator (runs in its own process) ----------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One generator process's share of a level."""

    url: str
    bodies: list[tuple[str, bytes, str]]  # (source, raw bytes of the sample, its text)
    body_kind: str
    clients: int
    start_at: float  # time.time() when the timed part starts (all processes start together)
    warmup: float
    duration: float | None
    requests: int | None
    timeout: float
    offset: int  # where in the samples this process starts, so processes do not post in lockstep


def check_extraction(status: int, content: bytes) -> str | None:
    """None when the answer is a 200 extraction of a report, else what is wrong with it."""
    if status != 200:
        try:
            code = json.loads(content).get("code")
        except (ValueError, AttributeError):
            code = None
        return f"HTTP {status}" + (f" {code}" if code else "")
    try:
        body = json.loads(content)
    except ValueError:
        return "200 with a body that is not JSON"
    if not isinstance(body, dict) or body.get("is_report") is not True or not isinstance(body.get("cells"), dict):
        return "200 with a JSON body that is not an extraction of a report"
    return None


def _request_args(kind: str, source: str, raw: bytes, text: str) -> dict[str, Any]:
    if kind == "json":
        return {"content": json.dumps({"text": text, "source": source}, ensure_ascii=False).encode(),
                "headers": {"content-type": "application/json"}}
    if kind == "text":
        return {"content": raw, "headers": {"content-type": "text/plain; charset=utf-8"}}
    return {"files": {"file": (source, raw, "text/plain")}}


async def _run_job(job: Job) -> dict[str, Any]:
    import httpx

    requests = [_request_args(job.body_kind, s, raw, text) for s, raw, text in job.bodies]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    next_index = job.offset
    budget = job.requests

    async def one(client: httpx.AsyncClient, record: bool) -> None:
        nonlocal next_index
        args = requests[next_index % len(requests)]
        next_index += 1
        started = time.perf_counter()
        try:
            response = await client.post("/v1/extract", **args)
            problem = check_extraction(response.status_code, response.content)
        except httpx.TimeoutException:
            problem = "timeout"
        except httpx.HTTPError as exc:
            problem = f"transport: {type(exc).__name__}"
        if record:
            latencies.append(time.perf_counter() - started)
            if problem:
                errors[problem] += 1

    async def client_loop(client: httpx.AsyncClient, until: float, record: bool) -> None:
        nonlocal budget
        while time.time() < until:
            if record and budget is not None:
                if budget <= 0:
                    return
                budget -= 1
            await one(client, record)

    # One httpx client (one keep-alive connection) per simulated client: a shared pool of many
    # connections costs httpcore time that grows with the pool, and the generator would measure itself.
    # keepalive_expiry under uvicorn's keep-alive timeout (5 s), or a connection idle that long races the close.
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=2.0)
    clients = [httpx.AsyncClient(base_url=job.url, limits=one_connection, timeout=job.timeout)
               for _ in range(job.clients)]
    try:
        if job.warmup > 0:
            await asyncio.gather(*(client_loop(c, job.start_at, False) for c in clients))
        await asyncio.sleep(max(0.0, job.start_at - time.time()))
        cpu0 = time.process_time()
        t0 = time.time()
        end = t0 + job.duration if job.duration is not None else float("inf")
        await asyncio.gather(*(client_loop(c, end, True) for c in clients))
        t1 = time.time()
    finally:
        for c in clients:
            await c.aclose()
    return {"latencies": latencies, "errors": dict(errors), "t0": t0, "t1": t1,
            "client_cpu_s": time.process_time() - cpu0}


def run_job(job: Job) -> dict[str, Any]:
    """Entry point of a generator process."""
    return asyncio.run(_run_job(job))


# ---- a level: split over the generator processes, merged ---------------------------------------------

def run_level(pool: ProcessPoolExecutor, procs: int, url: str, bodies: list[tuple[str, bytes, str]],
              args: argparse.Namespace, concurrency: int, server_pids: list[int]) -> dict[str, Any]:
    procs = max(1, min(procs, concurrency))
    shares = [concurrency // procs + (i < concurrency % procs) for i in range(procs)]
    request_shares = ([args.requests // procs + (i < args.requests % procs) for i in range(procs)]
                      if args.requests else [None] * procs)
    # Room for the processes to start and warm up before the common start of the timed part.
    start_at = time.time() + args.warmup + 0.5
    jobs = [Job(url=url, bodies=bodies, body_kind=args.body, clients=shares[i], start_at=start_at,
                warmup=args.warmup, duration=None if args.requests else args.duration,
                requests=request_shares[i], timeout=args.timeout, offset=i * 7) for i in range(procs)]
    futures = [pool.submit(run_job, job) for job in jobs]
    while time.time() < start_at:
        time.sleep(0.01)
    server_cpu0 = cpu_seconds(server_pids)
    results = [f.result() for f in futures]
    server_cpu = cpu_seconds(server_pids) - server_cpu0
    latencies = sorted(x for r in results for x in r["latencies"])
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    elapsed = max(r["t1"] for r in results) - min(r["t0"] for r in results)
    n = len(latencies)
    ms = [x * 1e3 for x in latencies]
    return {
        "concurrency": concurrency, "client_procs": procs, "requests": n, "elapsed_s": round(elapsed, 3),
        "rps": round(n / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": round(percentile(ms, 50), 2), "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(ms[-1], 2) if ms else None,
        "errors": sum(errors.values()), "error_kinds": dict(errors),
        "server_cpu_s": round(server_cpu, 2) if server_pids else None,
        "client_cpu_s": round(sum(r["client_cpu_s"] for r in results), 2),
        "server_rss_mb": round(rss_mb(server_pids), 1) if server_pids else None,
    }


# ---- command line ----------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="target a running service instead of starting one")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="uvicorn workers of the service started here (default: os.cpu_count())")
    p.add_argument("--concurrency", default=DEFAULT_LEVELS,
                   help=f"comma-separated levels of concurrent clients (default {DEFAULT_LEVELS})")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--duration", type=float, default=10.0, help="timed seconds per level (default 10)")
    group.add_argument("--requests", type=int, help="timed requests per level instead of a duration")
    p.add_argument("--warmup", type=float, default=1.0, help="untimed seconds before each level (default 1)")
    p.add_argument("--client-procs", type=int, default=1, help="load generator processes (default 1)")
    p.add_argument("--body", choices=("json", "text", "multipart"), default="json",
                   help="how a report is posted (default json: {\"text\": …})")
    p.add_argument("--samples", default=DEFAULT_SAMPLES, help=f"glob of reports to post (default {DEFAULT_SAMPLES})")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as failed")
    p.add_argument("--server-log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    p.add_argument("--out", type=Path, help="also write the JSON document to this file")
    args = p.parse_args(argv)
    args.levels = [int(x) for x in str(args.concurrency).split(",") if x.strip()]
    if not args.levels or min(args.levels) < 1:
        p.error("--concurrency needs positive integers, e.g. 1,8,32,128")
    if args.requests is not None and args.requests < 1:
        p.error("--requests must be positive")
    return args


def load_bodies(pattern: str) -> list[tuple[str, bytes, str]]:
    paths = sorted(ROOT.glob(pattern)) if not Path(pattern).is_absolute() else sorted(Path("/").glob(pattern[1:]))
    if not paths:
        sys.exit(f"load.py: no file matches {pattern}")
    sys.path.insert(0, str(ROOT))
    from service.text import decode  # the service's own decoder: a GBK sample is posted as its text

    return [(p.name, p.read_bytes(), decode(p.read_bytes())[0]) for p in paths]


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def print_table(doc: dict[str, Any]) -> None:
    print(f"# {doc['command']}")
    m = doc["machine"]
    print(f"# {m['platform']}, Python {m['python']}, {m['cpus']} CPUs, load average at start {m['loadavg']}")
    print(f"# target {doc['target']} (workers: {doc['workers']}), body {doc['body']}, "
          f"{doc['samples']} samples, client processes {doc['client_procs']}")
    header = (f"{'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
              f"{'max ms':>8} {'errors':>6} {'srv cpu s':>9} {'cli cpu s':>9} {'srv MB':>7}")
    print(header)
    for r in doc["levels"]:
        def f(v: Any, spec: str) -> str:
            return format(v, spec) if isinstance(v, int | float) else "-"
        print(f"{r['concurrency']:>7} {r['requests']:>8} {f(r['rps'], '8.1f')} {f(r['p50_ms'], '8.1f')} "
              f"{f(r['p90_ms'], '8.1f')} {f(r['p99_ms'], '8.1f')} {f(r['max_ms'], '8.1f')} {r['errors']:>6} "
              f"{f(r['server_cpu_s'], '9.2f')} {f(r['client_cpu_s'], '9.2f')} {f(r['server_rss_mb'], '7.1f')}")
        for kind, count in r["error_kinds"].items():
            print(f"{'':>7}   error: {kind} x{count}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bodies = load_bodies(args.samples)
    server = None
    command = "python bench/load.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        if args.url:
            url, pids, workers = args.url.rstrip("/"), [], None
        else:
            server = Server(workers=args.workers, log_level=args.server_log_level).start()
            url, pids = server.url, server.pids()
            workers = server.worker_count()
        doc: dict[str, Any] = {"command": command, "machine": machine(), "target": url, "workers": workers,
                               "server_command": shlex.join(server.command) if server else None,
                               "body": args.body, "samples": len(bodies), "client_procs": args.client_procs,
                               "duration_s": None if args.requests else args.duration,
                               "requests_per_level": args.requests, "levels": []}
        with ProcessPoolExecutor(max_workers=max(1, args.client_procs), mp_context=get_context("spawn")) as pool:
            for level in args.levels:
                doc["levels"].append(run_level(pool, args.client_procs, url, bodies, args, level, pids))
                if not args.json:
                    print(f"  {level} clients: {doc['levels'][-1]['rps']} req/s", file=sys.stderr, flush=True)
                if server is not None and server.proc is not None and server.proc.poll() is not None:
                    raise RuntimeError(f"the service died during the run:\n{server.log_tail()}")
        doc["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if server is not None:
            server.stop()
            if server.log_path is not None:
                server.log_path.unlink(missing_ok=True)
    emit(doc, out=args.out, as_json=args.json, table=print_table)
    return 1 if any(r["errors"] for r in doc["levels"]) else 0


if __name__ == "__main__":
    sys.exit(main())
