"""Replay: score the LLM plumbing offline, with the model's answers scripted per case.

``python -m eval --backend llm --replay eval/replay/`` runs the real ``llm`` (or ``hybrid``) backend —
openai's AsyncOpenAI client, instructor, the token budget, re-asks, grounding — but its HTTP transport
answers each chat completion from ``eval/replay/<case>.json`` instead of an endpoint:

    {"notes": "why these answers", "replies": [
        {"arguments": {"facts": [...], "problems": [...]}, "prompt_tokens": 900, "completion_tokens": 300},
        {"arguments": "{not json"},            # sent as is: an invalid answer, to be re-asked
        {"status": 500}                        # an endpoint error
    ]}

``arguments`` is the tool call's arguments (in json / md_json modes, the message content). A case whose
replies are not all taken, or that asks for more, fails: the plumbing did not make the calls the script
expects. The answers are a model's, written by hand (some wrong on purpose: a hallucinated number, a
quote with its spaces dropped, a first answer that does not validate), so the scores measure what the
plumbing keeps and refuses, not a model. The token counts are scripted too: three quarters of nianbao's
estimate of the prompt (budget.py), about what a tokenizer of GPT-4o or DeepSeek reports for Chinese.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

import httpx2

REPLAY_URL = "http://replay.invalid/v1"


class ReplayError(Exception):
    """A replay folder or file cannot be used; the message says which and why."""


def completion(request: dict[str, Any], arguments: Any, *, number: int, prompt_tokens: int = 100,
               completion_tokens: int = 20, finish: str | None = None) -> dict[str, Any]:
    """A chat.completion answering ``request``: a tool call when it offers tools, else plain content."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    tools = request.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": text}
    reason = "stop"
    if tools:
        choice = request.get("tool_choice")
        name = (choice["function"]["name"] if isinstance(choice, dict) and "function" in choice
                else tools[0]["function"]["name"])
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{number}", "type": "function", "function": {"name": name, "arguments": text}}]}
        reason = "tool_calls"
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    return {"id": f"chatcmpl-replay-{number}", "object": "chat.completion", "created": 1_700_000_000,
            "model": request.get("model", "replay"), "choices": [
                {"index": 0, "message": message, "finish_reason": finish or reason, "logprobs": None}],
            "usage": usage}


def error_body(message: str) -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": "server_error", "param": None, "code": None}}


def load_replies(folder: Path, case: str) -> list[dict[str, Any]]:
    """The scripted replies of one case; ReplayError when the file is missing or malformed."""
    path = folder / f"{case}.json"
    if not path.is_file():
        raise ReplayError(f"{path} does not exist; write the model's answers for case {case} there "
                          "(see eval/replay.py)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReplayError(f"{path}: not JSON ({exc})") from exc
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, list) or not replies:
        raise ReplayError(f"{path}: needs a non-empty \"replies\" list")
    for i, reply in enumerate(replies):
        if not isinstance(reply, dict) or ("arguments" in reply) == ("status" in reply):
            raise ReplayError(f"{path}: reply {i} needs exactly one of \"arguments\" or \"status\"")
    return replies


class ReplayTransport(httpx2.AsyncBaseTransport):
    """Answers ``POST …/chat/completions`` from the current case's replies, in order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.case: str | None = None
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[dict[str, Any]] = deque()

    def start(self, case: str) -> None:
        """Load ``case``'s replies; the requests of the next extraction are answered from them."""
        self.case = case
        self._replies = deque(load_replies(self.folder, case))

    def finish(self) -> None:
        """Fail when replies are left: the backend made fewer calls than the script expects."""
        if self._replies:
            left = len(self._replies)
            self._replies.clear()
            raise ReplayError(f"{left} scripted repl{'y' if left == 1 else 'ies'} of case {self.case} not asked for")

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """The next scripted reply, as the endpoint would send it."""
        body = json.loads(await request.aread())
        self.requests.append(body)
        if not request.url.path.endswith("/chat/completions"):
            return httpx2.Response(404, json=error_body("replay: only POST /chat/completions exists"))
        if not self._replies:
            return httpx2.Response(500, json=error_body(f"replay: case {self.case} has no reply left"))
        reply = self._replies.popleft()
        if "status" in reply:
            return httpx2.Response(int(reply["status"]), json=error_body(str(reply.get("message", "replayed error"))))
        return httpx2.Response(200, json=completion(
            body, reply["arguments"], number=len(self.requests), prompt_tokens=int(reply.get("prompt_tokens", 100)),
            completion_tokens=int(reply.get("completion_tokens", 20)), finish=reply.get("finish_reason")))


__all__ = ["REPLAY_URL", "ReplayError", "ReplayTransport", "completion", "error_body", "load_replies"]
