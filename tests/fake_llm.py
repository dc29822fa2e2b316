"""A fake OpenAI-compatible server for tests: ``POST /v1/chat/completions`` answered from a script.

It runs on 127.0.0.1 (a free port) in a thread, so the real openai and instructor clients are driven over
real HTTP, and nothing leaves the machine. Each request takes the next scripted ``Reply``: a tool call (the
tool's name is taken from the request), plain content, an HTTP error, a hang (for timeouts), a raw body
(for invalid JSON) or a dropped connection. Every request is recorded. This is test code only; it is never
a product backend.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import openai
import pytest

TEST_KEY = "sk-test-nianbao-0123456789abcdef-NEVER-LOG"  # distinctive, so a leak is easy to find

Kind = Literal["tool", "content", "status", "hang", "raw", "drop"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the fake server."""

    kind: Kind
    payload: Any = None
    status: int = 200
    seconds: float = 0.0
    prompt_tokens: int = 100
    completion_tokens: int = 20

    @classmethod
    def tool(cls, arguments: Any, *, prompt_tokens: int = 100, completion_tokens: int = 20) -> Reply:
        """A tool call with these arguments (a str is sent as is, so it may be invalid JSON)."""
        return cls("tool", arguments, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def content(cls, text: str) -> Reply:
        """An assistant message with plain content and no tool call."""
        return cls("content", text)

    @classmethod
    def error(cls, status: int, message: str = "fake error") -> Reply:
        """An HTTP error with an OpenAI-style error body."""
        return cls("status", message, status=status)

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Answer nothing for ``seconds`` (or until the server stops), then close the connection."""
        return cls("hang", seconds=seconds)

    @classmethod
    def raw(cls, body: str, status: int = 200) -> Reply:
        """A body sent as is with a JSON content type (e.g. not JSON at all)."""
        return cls("raw", body, status=status)

    @classmethod
    def drop(cls) -> Reply:
        """Close the connection without answering."""
        return cls("drop")


@dataclass(frozen=True)
class Recorded:
    """One request the fake server received."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: Any


class FakeLLM:
    """The server: script replies with ``script``, read ``requests`` afterwards."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-llm", daemon=True)

    @property
    def url(self) -> str:
        """Base URL for an OpenAI client (ends in /v1)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def unused(self) -> int:
        """Scripted replies no request has taken."""
        with self._lock:
            return len(self._replies)

    def script(self, *replies: Reply) -> FakeLLM:
        """Queue replies, answered in order."""
        with self._lock:
            self._replies.extend(replies)
        return self

    def client(self, *, timeout: float = 5.0, max_retries: int = 0, api_key: str = TEST_KEY) -> openai.OpenAI:
        """A real OpenAI client pointed at this server (the caller closes it)."""
        return openai.OpenAI(base_url=self.url, api_key=api_key, timeout=timeout, max_retries=max_retries)

    def start(self) -> FakeLLM:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging replies return at once."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _pop(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            """Silence the stdlib's access log on stderr."""

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            """Answer a chat completion from the script."""
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            fake._record(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._json(404, _error("fake LLM: only POST /v1/chat/completions exists"))
            reply = fake._pop()
            if reply is None:
                return self._json(500, _error("fake LLM: no scripted reply left"))
            if reply.kind == "status":
                return self._json(reply.status, _error(str(reply.payload)))
            if reply.kind == "raw":
                return self._send(reply.status, str(reply.payload).encode())
            if reply.kind in ("hang", "drop"):
                fake._stopping.wait(reply.seconds)
                self.close_connection = True
                return None
            return self._json(200, _completion(body if isinstance(body, dict) else {}, reply,
                                               len(fake.requests)))

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload, ensure_ascii=False).encode())

        def _send(self, status: int, data: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the client gave up (a timeout test); nothing to tell it

    return Handler


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "fake_error", "param": None, "code": None}}


def _completion(request: dict[str, Any], reply: Reply, number: int) -> dict[str, Any]:
    """A chat.completion: a tool call when the request offers tools, else plain content."""
    text = reply.payload if isinstance(reply.payload, str) else json.dumps(reply.payload, ensure_ascii=False)
    tools = request.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": text}
    finish = "stop"
    if reply.kind == "tool" and tools:
        choice = request.get("tool_choice")
        name = (choice["function"]["name"] if isinstance(choice, dict) and "function" in choice
                else tools[0]["function"]["name"])
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{number}", "type": "function", "function": {"name": name, "arguments": text}}]}
        finish = "tool_calls"
    usage = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
             "total_tokens": reply.prompt_tokens + reply.completion_tokens}
    return {"id": f"chatcmpl-fake-{number}", "object": "chat.completion", "created": 1_700_000_000,
            "model": request.get("model", "fake"), "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}], "usage": usage}


def closed_port_url() -> str:
    """A loopback base URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A running fake OpenAI-compatible server, stopped after the test."""
    server = FakeLLM().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_client(fake_llm: FakeLLM) -> Iterator[openai.OpenAI]:
    """A real OpenAI client aimed at ``fake_llm`` (no transport retries), closed after the test."""
    client = fake_llm.client()
    try:
        yield client
    finally:
        client.close()
