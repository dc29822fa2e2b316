"""Several uvicorn workers, each with its own listening socket on the same port (``SO_REUSEPORT``).

uvicorn's own ``--workers`` shares one listening socket between its workers. A worker woken by a new
connection accepts every connection waiting, so a burst of clients that keep their connections (a load
balancer's pool, a gateway's upstream keep-alive) can land on one worker while the others idle: measured
here, 32 keep-alive clients on 2 workers got the throughput of one core in most runs. With one socket per
worker in a ``SO_REUSEPORT`` group the kernel spreads connections over the workers by their addresses.

The supervisor starts the workers, restarts one that dies (but stops, exit status 1, when one dies at
start-up: it would only fail again), and on SIGINT/SIGTERM asks each to finish its
requests (uvicorn's graceful shutdown) before it exits. Where ``SO_REUSEPORT`` is missing (Windows) the
caller falls back to uvicorn's shared socket.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

import uvicorn

log = logging.getLogger("nianbao.workers")

SUPPORTED = hasattr(socket, "SO_REUSEPORT")
_GRACE_S = 30.0  # a worker still running this long after SIGTERM is killed
_RESTART_PAUSE_S = 1.0  # a worker that dies is not restarted in a tight loop


def reuseport_socket(host: str, port: int, backlog: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound to (host, port) in a ``SO_REUSEPORT`` group; listening when ``listen``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _worker(kwargs: dict[str, Any], port: int, ready: Any) -> None:
    """One worker process: its own socket, then uvicorn until it is told to stop; ``ready`` is set once
    it serves."""
    config = uvicorn.Config(**{**kwargs, "port": port})
    sock = reuseport_socket(config.host, port, config.backlog, listen=True)
    server = uvicorn.Server(config)
    threading.Thread(target=_report_ready, args=(server, ready), daemon=True).start()
    server.run(sockets=[sock])


def _report_ready(server: uvicorn.Server, ready: Any) -> None:
    """Set ``ready`` when uvicorn has started (a worker that dies before that failed at start-up)."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        ready.set()


def serve_workers(app: str, workers: int, **kwargs: Any) -> int:
    """Run ``workers`` processes serving the app factory ``app`` on one port; 0 after a clean stop, 1 when a
    worker fails at start-up."""
    host, port = kwargs.pop("host"), kwargs.pop("port")
    # Held, bound but not listening, for the supervisor's lifetime: it fails early when the port is taken,
    # names the port when 0 was asked for, and keeps the port ours while a worker restarts.
    reserved = reuseport_socket(host, port, 0, listen=False)
    port = reserved.getsockname()[1]
    settings = {"app": app, "factory": True, "host": host, **kwargs}
    context = multiprocessing.get_context("spawn")  # a clean interpreter per worker, as uvicorn does
    stopping = threading.Event()

    served: dict[int, Any] = {}  # id(process) -> the event it sets once it serves

    def start() -> multiprocessing.process.BaseProcess:
        ready = context.Event()
        process = context.Process(target=_worker, args=(settings, port, ready), name="nianbao-worker")
        process.start()
        served[id(process)] = ready
        return process

    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("supervisor %d: %d workers on %s:%d (one SO_REUSEPORT socket each)", os.getpid(), workers, host, port)
    processes = [start() for _ in range(workers)]
    status = 0
    try:
        while not stopping.wait(0.5):
            for index, process in enumerate(processes):
                if process.is_alive() or stopping.is_set():
                    continue
                if not served.pop(id(process)).is_set():  # it never served: a restart would fail the same way
                    log.error("worker %s failed at start-up (exit code %s); stopping", process.pid, process.exitcode)
                    status = 1
                    stopping.set()
                    break
                log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                time.sleep(_RESTART_PAUSE_S)
                processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + _GRACE_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker %s did not stop within %.0f s; killing it", process.pid, _GRACE_S)
                process.kill()
                process.join()
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


__all__ = ["SUPPORTED", "reuseport_socket", "serve_workers"]
