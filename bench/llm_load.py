"""Benchmark the LLM path against the fake OpenAI-compatible server: calls, tokens, throughput, cache.

    python bench/llm_load.py [--latency 0.2] [--reports 64] [--levels 1,8,32] [--llm-max-concurrency 4]
                             [--json] [--out FILE]

The real llm backend — ``make_backend("llm", settings, client=AsyncOpenAI(...))``: instructor, the token
budget, the concurrency limiter, grounding, the cache — driven through ``service.pipeline.aextract``,
against testkit/fake_faults.py's fake server, which answers every call after ``--latency`` seconds with the
gold reading of the sample it is asked about (token counts: three quarters of nianbao's own estimate, as
in eval/replay.py). No real model and no network: what is measured is nianbao's plumbing, its bound on
concurrency, and what a report costs in calls and tokens.

1. cost: each committed sample once (no cache): LLM calls, prompt and completion tokens per report, as the
   result reports them (``narrative``) and as the fake counted them.
2. throughput: ``--reports`` reports from N concurrent callers for each N in ``--levels`` (no cache):
   reports/s, latency p50/p99, the most calls the fake saw in flight (must be ≤ ``--llm-max-concurrency``),
   and the ceiling concurrency / latency.
3. cache: the samples twice through a SQLite cache: the second pass must cost 0 calls and 0 tokens.

Exit status 1 if an invariant fails (the bound, a cached pass that calls, a report that fails or degrades).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake server: testkit/fake_faults.py

import openai  # noqa: E402
from _common import emit, percentile  # noqa: E402

from schemas import ExtractOptions  # noqa: E402
from service.config import Settings  # noqa: E402
from service.narrative.aio import IO  # noqa: E402
from service.narrative.factory import make_backend  # noqa: E402
from service.pipeline import aextract  # noqa: E402
from testkit.fake_faults import FaultyLLM, gold_readings  # noqa: E402

KEY = "sk-bench-nianbao-fake"


def settings_for(url: str, args: argparse.Namespace, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "backend": "llm", "llm_base_url": url, "llm_api_key": KEY, "llm_model": "fake-model",
        "llm_timeout_s": 30, "llm_max_retries": 0, "llm_max_reasks": 1, "cache_url": "off",
        "llm_max_concurrency": args.llm_max_concurrency, "llm_queue_limit": max(64, max(args.levels)),
        "llm_required": True}  # a failure must show, not hide behind the rules backend
    values.update(changes)
    return Settings(_env_file=None, **values)


class Run:
    """One fake server, one AsyncOpenAI client and one backend, for one phase."""

    def __init__(self, args: argparse.Namespace, **settings: Any) -> None:
        self.fake = FaultyLLM(latency=args.latency, faults={}, seed=0, timeout_s=30).start()
        self.settings = settings_for(self.fake.url, args, **settings)
        self.client = openai.AsyncOpenAI(base_url=self.fake.url, api_key=KEY, timeout=30, max_retries=0)
        # The process's shared limiter for these settings: every phase ends with it idle again.
        self.backend = make_backend("llm", self.settings, client=self.client)

    async def close(self) -> None:
        await self.backend.aclose()  # type: ignore[attr-defined]
        await IO.arun(self.client.close())
        self.fake.stop()


async def one(run: Run, text: str, source: str, options: ExtractOptions) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = await aextract(text, source=source, narrative=run.backend, options=options)
    return result.narrative.model_dump(), time.perf_counter() - started


async def phase_cost(args: argparse.Namespace, samples: list[tuple[str, Any]]) -> dict[str, Any]:
    run = Run(args)
    rows = []
    try:
        for n, (text, _) in enumerate(samples):
            before = (len(run.fake.requests), run.fake.prompt_tokens, run.fake.completion_tokens)
            usage, seconds = await one(run, text, f"s{n}", ExtractOptions())
            rows.append({"sample": n, "chars": len(text), "llm_calls": usage["llm_calls"],
                         "prompt_tokens": usage["prompt_tokens"], "completion_tokens": usage["completion_tokens"],
                         "fake_calls": len(run.fake.requests) - before[0],
                         "fake_prompt_tokens": run.fake.prompt_tokens - before[1],
                         "fake_completion_tokens": run.fake.completion_tokens - before[2],
                         "seconds": round(seconds, 3), "degraded": usage["degraded"]})
    finally:
        await run.close()
    n = len(rows)
    return {"per_report": rows,
            "mean": {k: round(sum(r[k] for r in rows) / n, 3 if k == "seconds" else 1) for k in
                     ("llm_calls", "prompt_tokens", "completion_tokens", "seconds")},
            "consistent": all(r["llm_calls"] == r["fake_calls"] and r["prompt_tokens"] == r["fake_prompt_tokens"]
                              and r["completion_tokens"] == r["fake_completion_tokens"] for r in rows)}


async def phase_throughput(args: argparse.Namespace, samples: list[tuple[str, Any]], callers: int) -> dict[str, Any]:
    run = Run(args)
    latencies: list[float] = []
    failures: dict[str, int] = {}
    todo = list(range(args.reports))
    todo.reverse()

    async def caller() -> None:
        while todo:
            i = todo.pop()
            try:
                usage, seconds = await one(run, samples[i % len(samples)][0], f"r{i}", ExtractOptions())
                latencies.append(seconds)
            except Exception as exc:  # counted, not raised: the run goes on
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

    try:
        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - started
    finally:
        await run.close()
    limit = run.settings.llm_max_concurrency
    return {"callers": callers, "reports": args.reports, "elapsed_s": round(elapsed, 2),
            "reports_per_s": round(len(latencies) / elapsed, 2),
            "ceiling_reports_per_s": round(limit / args.latency, 2) if args.latency else None,
            "p50_s": round(percentile(latencies, 50), 3), "p99_s": round(percentile(latencies, 99), 3),
            "fake_calls": len(run.fake.requests), "max_in_flight": run.fake.max_in_flight,
            "llm_max_concurrency": limit, "failures": failures}


async def phase_cache(args: argparse.Namespace, samples: list[tuple[str, Any]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nianbao-llm-load-") as tmp:
        run = Run(args, cache_url=f"sqlite:///{tmp}/cache.sqlite3")
        passes = []
        try:
            for name in ("cold", "warm"):
                before = (len(run.fake.requests), run.fake.prompt_tokens + run.fake.completion_tokens)
                started = time.perf_counter()
                usages = [(await one(run, text, f"s{n}", ExtractOptions()))[0] for n, (text, _) in enumerate(samples)]
                passes.append({"pass": name, "reports": len(samples),
                               "seconds_per_report": round((time.perf_counter() - started) / len(samples), 4),
                               "fake_calls": len(run.fake.requests) - before[0],
                               "fake_tokens": run.fake.prompt_tokens + run.fake.completion_tokens - before[1],
                               "reported_calls": sum(u["llm_calls"] for u in usages),
                               "reported_tokens": sum(u["prompt_tokens"] + u["completion_tokens"] for u in usages),
                               "cached": sum(bool(u["cached"]) for u in usages)})
        finally:
            await run.close()
    return {"passes": passes}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    samples = gold_readings()
    doc: dict[str, Any] = {
        "command": "python bench/llm_load.py " + shlex.join(args.argv),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "latency_s": args.latency, "llm_max_concurrency": args.llm_max_concurrency, "samples": len(samples)}
    doc["cost"] = await phase_cost(args, samples)
    doc["throughput"] = [await phase_throughput(args, samples, n) for n in args.levels]
    doc["cache"] = await phase_cache(args, samples)
    problems = []
    if not doc["cost"]["consistent"]:
        problems.append("the calls or tokens a result reports differ from what the fake served")
    for t in doc["throughput"]:
        if t["max_in_flight"] > t["llm_max_concurrency"]:
            problems.append(f"{t['callers']} callers: {t['max_in_flight']} calls in flight, over the bound")
        if t["failures"]:
            problems.append(f"{t['callers']} callers: failures {t['failures']}")
    warm = doc["cache"]["passes"][1]
    if warm["fake_calls"] or warm["fake_tokens"] or warm["reported_calls"] or warm["reported_tokens"]:
        problems.append(f"the cached pass still cost something: {warm}")
    if any(r["degraded"] for r in doc["cost"]["per_report"]):
        problems.append("a report degraded")
    doc["problems"] = problems
    doc["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return doc


def print_table(doc: dict[str, Any]) -> None:
    m = doc["machine"]
    print(f"# {doc['command']}")
    print(f"# {m['platform']}, Python {m['python']}, {m['cpus']} CPUs, load average at start {m['loadavg']}")
    print(f"# fake LLM latency {doc['latency_s']} s per call, llm_max_concurrency {doc['llm_max_concurrency']}")
    cost = doc["cost"]
    print("\ncost per report (no cache):")
    print(f"{'sample':>6} {'chars':>6} {'calls':>5} {'prompt tok':>10} {'compl tok':>9} {'seconds':>7}")
    for r in cost["per_report"]:
        print(f"{r['sample']:>6} {r['chars']:>6} {r['llm_calls']:>5} {r['prompt_tokens']:>10} "
              f"{r['completion_tokens']:>9} {r['seconds']:>7.3f}")
    mean = cost["mean"]
    print(f"{'mean':>6} {'':>6} {mean['llm_calls']:>5} {mean['prompt_tokens']:>10} {mean['completion_tokens']:>9} "
          f"{mean['seconds']:>7.3f}   (fake's counts agree: {cost['consistent']})")
    print("\nthroughput (no cache):")
    print(f"{'callers':>7} {'reports':>7} {'rep/s':>6} {'ceiling':>7} {'p50 s':>6} {'p99 s':>6} {'calls':>5} "
          f"{'max in flight':>13}")
    for t in doc["throughput"]:
        print(f"{t['callers']:>7} {t['reports']:>7} {t['reports_per_s']:>6.2f} {t['ceiling_reports_per_s']:>7} "
              f"{t['p50_s']:>6.3f} {t['p99_s']:>6.3f} {t['fake_calls']:>5} "
              f"{t['max_in_flight']:>6} (≤ {t['llm_max_concurrency']})" + (f"  failures {t['failures']}"
                                                                             if t["failures"] else ""))
    print("\ncache (SQLite), the samples twice:")
    for p in doc["cache"]["passes"]:
        print(f"  {p['pass']}: {p['fake_calls']} calls, {p['fake_tokens']} tokens at the fake; result says "
              f"{p['reported_calls']} calls, {p['reported_tokens']} tokens, {p['cached']}/{p['reports']} cached; "
              f"{p['seconds_per_report'] * 1e3:.1f} ms per report")
    print("\n" + ("all invariants hold" if not doc["problems"] else "PROBLEMS:\n  " + "\n  ".join(doc["problems"])))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", type=float, default=0.2, help="seconds the fake takes per call (default 0.2)")
    p.add_argument("--reports", type=int, default=64, help="reports per throughput level (default 64)")
    p.add_argument("--levels", default="1,8,32", help="concurrent callers, comma-separated (default 1,8,32)")
    p.add_argument("--llm-max-concurrency", type=int, default=4, help="the bound under test (default 4)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the tables")
    p.add_argument("--out", type=Path, help="also write the JSON document to this file")
    args = p.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    doc = asyncio.run(main_async(args))
    emit(doc, out=args.out, as_json=args.json, table=print_table)
    return 1 if doc["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
