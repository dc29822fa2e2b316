"""The fake LLM for load and fault injection: a fixed latency, a seeded share of faults, fitting answers.

``FaultyLLM`` is ``fake_llm.FakeLLM`` (same server, same recording) with the script replaced by a draw:
every request gets, after ``latency`` seconds, either a fault — drawn with the probabilities in ``faults``
from a ``random.Random(seed)`` — or a good answer: the gold reading of the committed sample whose text the
request carries (``answer``), as a tool call. Kinds of fault:

    429       HTTP 429 with Retry-After (``retry_after`` seconds)      retried by the openai client
    500       HTTP 500                                                 retried by the openai client
    timeout   no answer until the client's timeout (``timeout_s``)     retried by the openai client
    drop      the connection closed without an answer                  retried by the openai client
    garbage   status 200 with a body that is not JSON
    invalid   a tool call whose arguments fail the schema              re-asked by instructor

Token counts are made up the way eval/replay.py makes them: three quarters of nianbao's own estimate
(service/narrative/budget.py) of the prompt and of the answer — about what GPT-4o's or DeepSeek's
tokenizer reports for Chinese. ``in_flight`` / ``max_in_flight`` count requests the client still waits
for: a ``timeout`` stops counting when the client's timeout has passed (the client gave up and may send
its retry while the fake still holds the dead connection), not when the fake closes it.

Test and bench code only (tests/api/test_llm_under_load.py, bench/llm_load.py); never a product backend.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from service.narrative.budget import estimate_prompt, estimate_tokens
from testkit.fake_llm import FakeLLM, Recorded, Reply

EVAL = Path(__file__).resolve().parents[1] / "eval"
FAULT_KINDS = ("429", "500", "timeout", "drop", "garbage", "invalid")
EMPTY_READING: dict[str, Any] = {"facts": [], "problems": []}


def gold_readings() -> list[tuple[str, dict[str, Any]]]:
    """(text, the reading a perfect model gives) of every committed sample with a gold file."""
    out = []
    for gold_path in sorted((EVAL / "gold").glob("*.json")):
        text_path = EVAL / "samples" / f"{gold_path.stem}.txt"
        if not text_path.exists():
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        facts = [{"key": k, **v} for k, v in gold["facts"].items()]
        out.append((text_path.read_text(encoding="utf-8"), {"facts": facts, "problems": gold["problems"]}))
    return out


def answer_by_gold(readings: list[tuple[str, dict[str, Any]]] | None = None) -> Callable[[str], Any]:
    """An ``answer``: the gold reading of the sample whose quotes the user message holds, else nothing."""
    readings = gold_readings() if readings is None else readings
    keyed = []
    for _, reading in readings:
        quotes = [f["quote"] for f in reading["facts"]] + list(reading["problems"])
        if quotes:
            keyed.append((quotes[:3], reading))

    def answer(user: str) -> Any:
        for quotes, reading in keyed:
            if all(q in user for q in quotes):
                return reading
        return EMPTY_READING

    return answer


def user_message(body: Any) -> str:
    """The last user message of a chat request (the report's excerpt)."""
    if not isinstance(body, dict):
        return ""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return ""


def prompt_tokens_of(body: Any) -> int:
    """Three quarters of nianbao's estimate of the request's prompt."""
    if not isinstance(body, dict):
        return 0
    parts = [m.get("content") or "" for m in body.get("messages") or [] if isinstance(m, dict)]
    parts = [p if isinstance(p, str) else json.dumps(p, ensure_ascii=False) for p in parts]
    tools = json.dumps(body.get("tools") or [], ensure_ascii=False)
    return estimate_prompt(*parts, tools, messages=len(parts)) * 3 // 4


class FaultyLLM(FakeLLM):
    """A fake OpenAI-compatible server that answers every request after ``latency``, a seeded share wrongly."""

    def __init__(self, *, latency: float = 0.2, faults: Mapping[str, float] | None = None, seed: int = 0,
                 timeout_s: float = 5.0, retry_after: float = 0.2, answer: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        unknown = set(faults or {}) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {FAULT_KINDS}")
        if sum((faults or {}).values()) > 1:
            raise ValueError("fault shares add up to more than 1")
        self.latency = latency
        self.faults = dict(faults or {})
        self.timeout_s = timeout_s
        self.retry_after = retry_after
        self.answer = answer or answer_by_gold()
        self.served: Counter[str] = Counter()  # kind of reply -> how many ("ok" for good answers)
        self.prompt_tokens = 0  # reported in the usage of the completions served
        self.completion_tokens = 0
        self._rng = random.Random(seed)
        self._local = threading.local()

    # The base class records a request, enters, pops a reply, answers, leaves, all in the handler's thread.

    def _record(self, recorded: Recorded) -> None:
        super()._record(recorded)
        self._local.body = recorded.body

    def _enter(self) -> None:
        token = {"live": True}
        self._local.token = token
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        self._release(self._local.token)

    def _release(self, token: dict[str, bool]) -> None:
        with self._lock:
            if token["live"]:
                token["live"] = False
                self.in_flight -= 1

    def _pop(self) -> Reply | None:
        body = getattr(self._local, "body", None)
        with self._lock:
            draw = self._rng.random()
        kind, edge = "ok", 0.0
        for name, share in self.faults.items():
            edge += share
            if draw < edge:
                kind = name
                break
        with self._lock:
            self.served[kind] += 1
        if kind == "timeout":
            # The client gives up after timeout_s: from then on the request is no longer in flight.
            timer = threading.Timer(max(0.0, self.timeout_s - 0.05), self._release, args=(self._local.token,))
            timer.daemon = True
            timer.start()
            return Reply.hang(self.timeout_s + 1.0)
        reply = self._reply(kind, body)
        return replace(reply, delay=self.latency)

    def _reply(self, kind: str, body: Any) -> Reply:
        if kind == "429":
            return Reply.error(429, "fake rate limit", headers={"Retry-After": f"{self.retry_after:g}"})
        if kind == "500":
            return Reply.error(500, "fake server error")
        if kind == "drop":
            return Reply.drop()
        if kind == "garbage":
            return Reply.raw("<html><body>502 Bad Gateway</body></html>")
        if kind == "invalid":
            return Reply.tool({"facts": [{"key": "no_such_key", "value": -1, "quote": ""}], "problems": "x"})
        arguments = self.answer(user_message(body))
        prompt = prompt_tokens_of(body)
        completion = estimate_tokens(json.dumps(arguments, ensure_ascii=False)) * 3 // 4
        with self._lock:
            self.prompt_tokens += prompt
            self.completion_tokens += completion
        return Reply.tool(arguments, prompt_tokens=prompt, completion_tokens=completion)


__all__ = ["FAULT_KINDS", "FaultyLLM", "answer_by_gold", "gold_readings", "user_message"]
