"""Real processes for the gateway tests: the app under uvicorn and nginx from the repo's gateway config.

Each is a context manager that starts the process on a free loopback port, waits until it answers, and always
stops it (terminate, then kill) — with its log in the failure message when it does not come up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import httpx
from support import free_port, load_script

ROOT = Path(__file__).resolve().parents[1]
RENDER_PY = ROOT / "deploy" / "nginx" / "render.py"
STARTUP_S = 20.0


def load_render() -> ModuleType:
    """deploy/nginx/render.py as a module (deploy/ is not a package: it ships outside the wheel)."""
    return load_script("nianbao_gateway_render", RENDER_PY)


def find_nginx() -> str | None:
    """The nginx binary (Debian puts it in /usr/sbin, often not on a non-root PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


@dataclass
class Proc:
    """A started process, its port and where its output goes."""

    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


@contextmanager
def _process(cmd: list[str], *, port: int, log: Path, env: Mapping[str, str], cwd: Path, ready_url: str,
             any_status: bool = False) -> Iterator[Proc]:
    """Start ``cmd``; ready when ``ready_url`` answers 200 (any status with ``any_status``); always stopped."""
    with log.open("wb") as out:
        popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(env), cwd=cwd,
                                 start_new_session=True)
    proc = Proc(popen, port, log)
    try:
        _wait_ready(proc, ready_url, any_status)
        yield proc
    finally:
        _stop(popen)


def _wait_ready(proc: Proc, url: str, any_status: bool) -> None:
    deadline = time.monotonic() + STARTUP_S
    last = ""
    with httpx.Client(timeout=2, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.popen.args!r} exited with {proc.popen.returncode}:\n{proc.output()}")
            try:
                response = client.get(url)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if any_status or response.status_code == 200:
                    return
                last = f"status {response.status_code}"
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {STARTUP_S:.0f} s ({last}):\n{proc.output()}")


def _stop(popen: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (uvicorn workers, nginx workers), SIGKILL if it lingers."""
    if popen.poll() is None:
        try:
            os.killpg(popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=5)
    else:
        popen.wait()


def app_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The environment for the app: the caller's, minus its NIANBAO_*/OPENAI_* settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "OPENAI_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(settings)
    return env


@contextmanager
def run_app(workdir: Path, settings: Mapping[str, str]) -> Iterator[Proc]:
    """``python -m service.cli serve`` on a free loopback port (working directory ``workdir``: no .env)."""
    port = free_port()
    cmd = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with _process(cmd, port=port, log=workdir / "app.log", env=app_env(settings), cwd=workdir,
                  ready_url=f"http://127.0.0.1:{port}/healthz") as proc:
        yield proc


@contextmanager
def run_gateway(nginx: str, prefix: Path, *, upstream: str, max_body: str = "20m", read_timeout: str = "180s",
                wait_for_app: bool = True, **others: str) -> Iterator[Proc]:
    """nginx on a free loopback port with the repo's gateway config rendered for ``upstream``.

    Ready when /nianbao/healthz answers 200 through it, or (``wait_for_app=False``, for a gateway whose app is
    down on purpose) when it answers anything. ``others``: further placeholders (``rate="2r/s"``); the rate
    limits default to values no test reaches, except the tests of the limits themselves.
    """
    render = load_render()
    port = free_port()
    limits = {"rate": "1000r/s", "key_rate": "1000r/s", "burst": "1000", "conn": "256", **others}
    conf = render.render(prefix, upstream=upstream, listen=f"127.0.0.1:{port}", max_body=max_body,
                         read_timeout=read_timeout, **limits)
    cmd = render.nginx_command(nginx, conf)
    check = subprocess.run([*cmd, "-t", "-q"], capture_output=True, text=True, check=False)
    if check.returncode:
        raise RuntimeError(f"nginx rejects the rendered config {conf}:\n{check.stderr}")
    with _process(cmd, port=port, log=prefix / "nginx.log", env=os.environ, cwd=prefix,
                  ready_url=f"http://127.0.0.1:{port}/nianbao/healthz", any_status=not wait_for_app) as proc:
        yield proc
