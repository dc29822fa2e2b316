"""The cache of LLM readings: SQLite (embedded) and Redis (shared by replicas), hits cost nothing.

The Redis tests start a real ``redis-server`` on a free loopback port. Without the binary they are skipped,
unless ``NIANBAO_REQUIRE_SYSTEM_TESTS=1`` (CI), which makes its absence a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from support.llm import gold_reading, sample, sample_text, settings_for

from schemas import ExtractOptions
from service.narrative.aio import IO
from service.narrative.cache import REDIS_PREFIX, RedisCache, SQLiteCache, cache_key, open_cache
from service.narrative.hybrid import HybridBackend
from service.narrative.llm import LLMBackend
from service.narrative.rules import RulesBackend
from service.pipeline import extract
from testkit.fake_llm import FakeLLM, Reply, closed_port_url
from testkit.processes import free_port

pytestmark = pytest.mark.usefixtures("clean_env")


def cached_settings(url: str, cache_url: str, **changes: object) -> object:
    return settings_for(url, cache_url=cache_url, **changes)


# ---- SQLite ------------------------------------------------------------------------------------------

def test_a_hit_costs_no_call_and_no_token(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, tmp_path: Path) -> None:
    _, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold), prompt_tokens=900, completion_tokens=100))
    url = f"sqlite:///{tmp_path}/deep/er/cache.sqlite3"  # created on demand, folders too
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, cache_url=url))
    first = extract(sample_text(), narrative=backend)
    second = extract(sample_text(), narrative=backend)

    assert len(fake_llm.requests) == 1  # the fake saw no second request
    assert (first.narrative.cached, first.narrative.llm_calls, first.narrative.prompt_tokens) == (False, 1, 900)
    assert (second.narrative.cached, second.narrative.llm_calls) == (True, 0)
    assert (second.narrative.prompt_tokens, second.narrative.completion_tokens) == (0, 0)
    assert second.facts == first.facts and second.problems == first.problems  # grounded again, same spans
    assert second.narrative.prompt_hash == first.narrative.prompt_hash and not second.narrative.degraded
    assert (tmp_path / "deep" / "er" / "cache.sqlite3").is_file()


def test_the_cache_outlives_the_backend(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, tmp_path: Path) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    settings = settings_for(fake_llm.url, cache_url=f"sqlite:///{tmp_path}/c.sqlite3")
    with LLMBackend(fake_client, settings=settings) as one:
        one.read(doc)
    with LLMBackend(fake_client, settings=settings) as two:  # another process, later: same file
        assert two.read(doc).usage.cached
    assert len(fake_llm.requests) == 1


def test_the_default_url_is_relative_to_the_working_directory(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI,
                                                              tmp_path: Path) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    settings = settings_for(fake_llm.url, cache_url="sqlite:///.nianbao/cache.sqlite3")  # the default
    LLMBackend(fake_client, settings=settings).read(doc)
    assert (tmp_path / ".nianbao" / "cache.sqlite3").is_file()  # clean_env made tmp_path the working dir


def test_use_cache_false_bypasses_it(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, tmp_path: Path) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)), Reply.tool(gold_reading(gold)))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, cache_url=f"sqlite:///{tmp_path}/c.db"))
    off = ExtractOptions(use_cache=False)
    assert not backend.read(doc, off).usage.cached
    assert not backend.read(doc).usage.cached  # the bypassing read stored nothing
    assert backend.read(doc).usage.cached
    assert len(fake_llm.requests) == 2


def test_degraded_readings_are_not_cached(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, tmp_path: Path) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.error(500), *[Reply.tool("{bad")] * 3, Reply.tool(gold_reading(gold)))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, cache_url=f"sqlite:///{tmp_path}/c.db"))
    assert backend.read(doc).usage.degraded  # endpoint down
    assert backend.read(doc).usage.degraded  # answers never valid
    good = backend.read(doc)
    assert not good.usage.degraded and not good.usage.cached and good.usage.llm_calls == 1
    assert backend.read(doc).usage.cached
    assert len(fake_llm.requests) == 5


def test_what_changes_the_key(tmp_path: Path) -> None:
    base = settings_for("http://a/v1")
    key = cache_key(excerpt="文字", prompt_hash="sha256:1", settings=base)
    assert key == cache_key(excerpt="文字", prompt_hash="sha256:1", settings=settings_for("http://a/v1"))
    assert len({key,
                cache_key(excerpt="文字。", prompt_hash="sha256:1", settings=base),
                cache_key(excerpt="文字", prompt_hash="sha256:2", settings=base),
                cache_key(excerpt="文字", prompt_hash="sha256:1", settings=settings_for("http://a/v1", llm_model="m2")),
                cache_key(excerpt="文字", prompt_hash="sha256:1", settings=settings_for("http://a/v1", llm_mode="json")),
                cache_key(excerpt="文字", prompt_hash="sha256:1", settings=settings_for("http://b/v1"))}) == 6
    # Settings that do not change the answer do not change the key.
    assert key == cache_key(excerpt="文字", prompt_hash="sha256:1",
                            settings=settings_for("http://a/v1", llm_timeout_s=30, llm_token_budget=1))


def test_a_corrupt_entry_is_a_miss(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, tmp_path: Path) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)), Reply.tool(gold_reading(gold)))
    path = tmp_path / "c.db"
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, cache_url=f"sqlite:///{path}"))
    backend.read(doc)
    cache = SQLiteCache(path)
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE readings SET value = '{\"facts\": \"garbage\"}'")
    conn.close()
    out = backend.read(doc)
    assert not out.usage.cached and out.facts and len(fake_llm.requests) == 2
    assert IO.run(cache.get("no such key")) is None


def test_an_unusable_cache_never_fails_a_report(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI,
                                                tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc, gold = sample()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    fake_llm.script(Reply.tool(gold_reading(gold)))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, cache_url=f"sqlite:///{blocker}/c.db"))
    out = backend.read(doc)
    assert out.facts and not out.usage.degraded
    assert "cache sqlite:///" in caplog.text and "read failed" in caplog.text
    assert "共印发" not in caplog.text


def test_sqlite_is_safe_for_threads_and_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    writer = ("import asyncio, sys; from service.narrative.cache import SQLiteCache; from pathlib import Path\n"
              "c = SQLiteCache(Path(sys.argv[1]))\n"
              "async def main():\n"
              "    await asyncio.gather(*(c.set(f'{sys.argv[2]}-{i}', str(i)) for i in range(40)))\n"
              "asyncio.run(main())\n")
    root = Path(__file__).parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", writer, str(path), f"p{n}"], cwd=root) for n in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    cache = SQLiteCache(path)

    async def read_all() -> list[str | None]:
        import asyncio

        return list(await asyncio.gather(*(cache.get(f"p{n}-{i}") for n in range(3) for i in range(40))))
    assert IO.run(read_all()) == [str(i) for _ in range(3) for i in range(40)]


def test_a_locked_file_is_tried_again_and_other_errors_are_not() -> None:
    # Several processes switching a new file to WAL at once get "database is locked" without waiting.
    import sqlite3

    from service.narrative.cache import _retrying

    calls: list[int] = []

    def locked_twice() -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("database is locked")
        return "ok"

    assert _retrying(locked_twice) == "ok" and len(calls) == 3

    def broken() -> str:
        calls.append(1)
        raise sqlite3.OperationalError("no such table: readings")

    calls.clear()
    with pytest.raises(sqlite3.OperationalError):
        _retrying(broken)
    assert len(calls) == 1


def test_off_and_bad_urls() -> None:
    assert open_cache("off") is None
    assert isinstance(open_cache("sqlite:///x.db"), SQLiteCache)
    assert isinstance(open_cache("redis://127.0.0.1:6379/0"), RedisCache)
    with pytest.raises(ValueError, match="not a cache URL"):
        open_cache("memcached://x")


# ---- Redis -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for this module's tests."""
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(p).exists()), None)
    if binary is None:
        if os.environ.get("NIANBAO_REQUIRE_SYSTEM_TESTS") == "1":
            pytest.fail("redis-server is not installed (apt-get install redis-server); "
                        "NIANBAO_REQUIRE_SYSTEM_TESTS=1 requires it")
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--protected-mode", "yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_is_shared_by_replicas(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, redis_url: str) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold), prompt_tokens=700))
    settings = settings_for(fake_llm.url, cache_url=redis_url, llm_model="redis-model")
    with LLMBackend(fake_client, settings=settings) as one, LLMBackend(fake_client, settings=settings) as two:
        first = one.read(doc)
        second = two.read(doc)  # another replica: its own connection pool, the same Redis
    assert (first.usage.cached, first.usage.prompt_tokens) == (False, 700)
    assert (second.usage.cached, second.usage.llm_calls, second.usage.prompt_tokens) == (True, 0, 0)
    assert second.facts == first.facts and len(fake_llm.requests) == 1

    async def stored() -> tuple[list[str], int]:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        try:
            keys = [k async for k in client.scan_iter(f"{REDIS_PREFIX}*")]
            return keys, int(await client.ttl(keys[0]))
        finally:
            await client.aclose()
    keys, ttl = IO.run(stored())
    assert len(keys) == 1 and 0 < ttl <= 30 * 24 * 3600
    reader = RedisCache(redis_url)
    try:
        raw = IO.run(reader.get(keys[0].removeprefix(REDIS_PREFIX)))
    finally:
        IO.run(reader.aclose())
    assert raw is not None and json.loads(raw)["facts"]  # the model's answer, not the grounded result


def test_hybrid_reads_through_the_cache(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, redis_url: str) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    settings = settings_for(fake_llm.url, cache_url=redis_url, llm_model="hybrid-model")
    with LLMBackend(fake_client, settings=settings) as llm:
        hybrid = HybridBackend(RulesBackend(), llm)
        first, second = hybrid.read(doc), hybrid.read(doc)
    assert not first.usage.cached and second.usage.cached and second.usage.llm_calls == 0
    assert second.usage.confirmed == first.usage.confirmed and len(fake_llm.requests) == 1


def test_redis_down_is_a_miss_not_a_failure(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI,
                                            caplog: pytest.LogCaptureFixture) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    down = closed_port_url().replace("http://", "redis://:s3cret@").removesuffix("/v1") + "/0"
    with LLMBackend(fake_client, settings=settings_for(fake_llm.url, cache_url=down)) as backend:
        out = backend.read(doc)
    assert out.facts and not out.usage.degraded and not out.usage.cached
    assert "read failed" in caplog.text and "s3cret" not in caplog.text
