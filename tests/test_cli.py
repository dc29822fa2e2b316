"""The ``nianbao`` command: the JSON Lines / CSV contract other tools depend on, and failures per file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_llm import TEST_KEY, closed_port_url
from support import free_port

from schemas import FACT_KEYS, Extraction, cell_keys
from service.cli import CSV_COLUMNS, main
from service.logs import TEXT_FORMAT

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "eval" / "samples").glob("*.txt"))
CONTRACT = {"source", "meta.agency", "meta.year", "meta.format_version", "problems", "checks.failed"}


pytestmark = pytest.mark.usefixtures("clean_env")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_flat_is_one_line_per_file_with_every_contract_key(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(p) for p in SAMPLES]
    code, out, err = _run(capsys, "extract", *paths, "--flat")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(paths)
    for path, line in zip(paths, lines, strict=True):
        flat = json.loads(line)
        assert flat["source"] == path
        assert CONTRACT <= flat.keys()
        assert flat["meta.format_version"] in ("2019", "2021")
        assert set(cell_keys(flat["meta.format_version"])) <= flat.keys()
        assert isinstance(flat["problems"], list) and isinstance(flat["checks.failed"], list)
        facts = {k for k in flat if k.startswith("facts.")}
        assert facts <= {f"facts.{k}" for k in FACT_KEYS} | {f"facts.{k}.qualifier" for k in FACT_KEYS}
    assert "\\u" not in out  # ensure_ascii=False: Chinese stays readable


def test_default_output_is_the_full_result(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "extract", str(SAMPLES[0]))
    assert code == 0
    result = Extraction.model_validate_json(out.strip())
    assert result.source == str(SAMPLES[0]) and result.cells


def test_csv_has_a_header_and_one_row_per_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "extract", *map(str, SAMPLES), "--csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == CSV_COLUMNS
    assert set(cell_keys("2019")) | set(cell_keys("2021")) <= set(CSV_COLUMNS)
    assert len(CSV_COLUMNS) == len(set(CSV_COLUMNS))
    assert len(rows) == len(SAMPLES) + 1 and all(len(r) == len(CSV_COLUMNS) for r in rows)
    _, flat_out, _ = _run(capsys, "extract", str(SAMPLES[0]), "--flat")
    flat = json.loads(flat_out)
    row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert row["source"] == str(SAMPLES[0])
    for key in cell_keys(flat["meta.format_version"]):
        assert row[key] == ("" if flat[key] is None else str(flat[key]))
    assert json.loads(row["problems"]) == flat["problems"]
    assert json.loads(row["checks.failed"]) == flat["checks.failed"]


def test_a_bad_file_does_not_stop_the_others(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    not_report = tmp_path / "note.txt"
    not_report.write_text("今天天气很好，我们去公园散步。" * 10, encoding="utf-8")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes([0x81, 0x20, 0xFF, 0x80]) * 50)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    missing = tmp_path / "nope.txt"
    paths = [str(SAMPLES[0]), str(missing), str(not_report), str(SAMPLES[1]), str(binary), str(empty)]
    code, out, err = _run(capsys, "extract", "--flat", *paths)
    assert code == 1
    assert [json.loads(line)["source"] for line in out.splitlines()] == [str(SAMPLES[0]), str(SAMPLES[1])]
    errors = {e["source"]: e for e in map(json.loads, err.splitlines())}
    assert {k: e["error"] for k, e in errors.items()} == {
        str(missing): "unreadable", str(not_report): "not_a_report", str(binary): "undecodable",
        str(empty): "empty_input"}
    assert errors[str(not_report)]["not_found"]
    assert all(e["message"] for e in errors.values())


def test_unconfigured_llm_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "extract", "--backend", "llm", str(SAMPLES[0]))
    assert code == 2 and not out
    assert "NIANBAO_LLM_BASE_URL" in err


def test_eval_is_delegated(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "--help"])
    assert exit_.value.code == 0
    assert "--min-cells" in capsys.readouterr().out


def test_console_output_is_utf8_in_a_c_locale(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "LC_", "PYTHONIO"))}
    env.update(LANG="C", LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    done = subprocess.run([sys.executable, "-m", "service.cli", "extract", "--flat", "-"],
                          input=SAMPLES[0].read_bytes(), capture_output=True, env=env, cwd=tmp_path,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    flat = json.loads(done.stdout.decode("utf-8"))
    assert flat["source"] == "-" and flat["meta.agency"]


def test_llm_down_and_required_fails_each_file_and_goes_on(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_LLM_BASE_URL", closed_port_url())
    monkeypatch.setenv("NIANBAO_LLM_API_KEY", TEST_KEY)
    monkeypatch.setenv("NIANBAO_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("NIANBAO_LLM_REQUIRED", "1")  # otherwise a failed LLM degrades to the rules' reading
    code, out, err = _run(capsys, "extract", "--flat", "--backend", "llm", str(SAMPLES[0]), str(SAMPLES[1]))
    assert code == 1 and not out
    assert [json.loads(line)["error"] for line in err.splitlines()] == ["llm_unavailable"] * 2
    assert TEST_KEY not in err


def test_llm_down_degrades_to_the_rules_reading(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_LLM_BASE_URL", closed_port_url())
    monkeypatch.setenv("NIANBAO_LLM_API_KEY", TEST_KEY)
    monkeypatch.setenv("NIANBAO_LLM_MAX_RETRIES", "0")
    code, out, err = _run(capsys, "extract", "--backend", "llm", str(SAMPLES[0]))
    assert code == 0 and not err
    narrative = json.loads(out)["narrative"]
    assert (narrative["backend"], narrative["requested_backend"], narrative["degraded"]) == ("rules", "llm", True)
    assert narrative["degraded_reason"].startswith("llm_unavailable: ") and TEST_KEY not in out


# ---- serve -----------------------------------------------------------------------------------------

def _served(monkeypatch: pytest.MonkeyPatch, *argv: str) -> dict[str, Any]:
    """The arguments ``nianbao serve`` hands to uvicorn.run or the worker supervisor (neither is started)."""
    import uvicorn

    from service.api import workers

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    monkeypatch.setattr(workers, "serve_workers",
                        lambda app, n, **kwargs: calls.append({"app": app, "factory": True, "workers": n, **kwargs}) or 0)
    assert main(["serve", *argv]) == 0
    (call,) = calls
    return call


def test_serve_one_worker_runs_the_app_behind_trusted_proxies_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import FastAPI

    monkeypatch.setenv("NIANBAO_FORWARDED_ALLOW_IPS", "10.0.0.5")
    monkeypatch.setenv("NIANBAO_LOG_FORMAT", "text")
    monkeypatch.setenv("NIANBAO_API_KEYS", "a-key-for-the-network")  # 0.0.0.0 without keys is refused
    call = _served(monkeypatch, "--host", "0.0.0.0", "--port", "9123", "--backend", "rules")
    assert isinstance(call["app"], FastAPI) and "workers" not in call
    assert (call["host"], call["port"]) == ("0.0.0.0", 9123)
    assert call["proxy_headers"] is True and call["forwarded_allow_ips"] == "10.0.0.5"
    assert call["access_log"] is False and call["log_level"] == "info"
    assert call["log_config"]["formatters"]["default"] == {"()": "service.logs.EscapingFormatter", "fmt": TEXT_FORMAT}
    # Bounds for clients that reach the app directly.
    assert call["limit_concurrency"] == 1024 and call["timeout_keep_alive"] == 5
    assert "root_path" not in call  # the app applies NIANBAO_ROOT_PATH itself
    assert call["http"] == "service.api.transport:NoDelayHTTPProtocol"


def test_serve_several_workers_use_the_factory_and_pass_the_flags_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_WORKERS", "3")
    for name in ("NIANBAO_BACKEND", "NIANBAO_LOG_LEVEL"):  # so that monkeypatch restores what serve exports
        monkeypatch.setenv(name, "")
    call = _served(monkeypatch, "--backend", "rules", "--log-level", "warning")
    assert call["app"] == "service.main:create_app" and call["factory"] is True and call["workers"] == 3
    assert call["http"] == "service.api.transport:NoDelayHTTPProtocol"  # the workers import it by name
    assert call["log_level"] == "warning" and call["log_config"]["loggers"]["nianbao"]["level"] == "WARNING"
    assert "JsonFormatter" in call["log_config"]["formatters"]["default"]["()"]
    # The workers build their apps from the environment: the flags must be there.
    assert os.environ["NIANBAO_BACKEND"] == "rules" and os.environ["NIANBAO_LOG_LEVEL"] == "warning"
    assert main(["serve", "--workers", "0"]) == 2  # validated like the environment


def test_every_connection_gets_tcp_nodelay_even_from_a_proto_0_socket() -> None:
    # uvicorn's supervisor may hand its workers a socket with proto 0, which asyncio does not tune (uvicorn #3149).
    import asyncio
    import socket

    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from service.api.transport import NoDelayHTTPProtocol

    async def accept_one() -> int:
        seen: list[int] = []

        class Probe(NoDelayHTTPProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                sock = transport.get_extra_info("socket")
                seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        config = Config(app=lambda scope, receive, send: None, log_config=None)
        config.load()
        state = ServerState()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server = await asyncio.get_running_loop().create_server(
            lambda: Probe(config=config, server_state=state, app_state={}), sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        return seen[0]

    assert asyncio.run(accept_one()) != 0


def _listening_sockets(port: int) -> int | None:
    """How many sockets listen on 127.0.0.1:``port``, from Linux's /proc/net/tcp."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        return None
    rows = [line.split() for line in table.read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1] == f"0100007F:{port:04X}" and row[3] == "0A")


def _worker_processes(parent: int) -> list[int]:
    """The worker processes the supervisor ``parent`` spawned (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    assert found, "no worker process found"
    return found


def test_two_workers_share_the_connections_of_a_burst(tmp_path: Path) -> None:
    # 32 connections opened at once and kept: with one socket per worker both workers get a fair share
    # (uvicorn's shared socket often gave one worker nearly all of them).
    import concurrent.futures
    import time

    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_")}
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.monotonic() + 60
        pids: set[str] = set()  # the workers' random ids (/healthz does not tell process ids)
        while len(pids) < 2:  # both workers up
            try:
                pids.add(httpx.get(url, timeout=2).json()["worker"])
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        listeners = _listening_sockets(port)
        clients = [httpx.Client(timeout=10) for _ in range(32)]
        try:
            with concurrent.futures.ThreadPoolExecutor(32) as pool:
                first = list(pool.map(lambda c: c.get(url).json()["worker"], clients))
            again = [c.get(url).json()["worker"] for c in clients]  # the same connection, the same worker
        finally:
            for c in clients:
                c.close()
        # A worker that dies is replaced; the port keeps answering meanwhile.
        victim = min(_worker_processes(server.pid))
        os.kill(victim, 9)
        replaced: set[str] = set()
        while not replaced - pids:
            assert server.poll() is None and time.monotonic() < deadline + 60, "no worker replaced the dead one"
            try:
                replaced.add(httpx.get(url, timeout=2).json()["worker"])
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    assert listeners in (None, 2)  # one listening socket per worker (None: no /proc/net/tcp to look in)
    assert first == again and set(first) == pids
    assert min(first.count(pid) for pid in pids) >= 4, first  # binomial(32, 1/2): fails about once in 10^6 runs
    assert server.returncode == 0


def test_workers_that_fail_at_start_up_stop_the_supervisor() -> None:
    # An app that cannot load would fail in every restart: the supervisor gives up with status 1.
    import time

    from service.api.workers import serve_workers

    began = time.monotonic()
    status = serve_workers("service.no_such_module:create_app", 2, host="127.0.0.1", port=0,
                           log_config=None, log_level="critical")
    assert status == 1 and time.monotonic() - began < 30


def test_serve_with_two_workers_answers_over_http(tmp_path: Path) -> None:
    import time
    import urllib.request

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_")}
    env["NIANBAO_ROOT_PATH"] = "/prefix"
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.load(response)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2) as response:
                    servers = json.load(response)["servers"]
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
    finally:
        os.killpg(server.pid, 15)
        _, err = server.communicate(timeout=30)
    assert health["status"] == "ok" and servers == [{"url": "/prefix"}]
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
