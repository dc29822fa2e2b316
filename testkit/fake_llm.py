"""A fake OpenAI-compatible server for tests: ``POST /v1/chat/completions`` answered from a script.

It runs on 127.0.0.1 (a free port) in threads, so the real openai and instructor clients are driven over
real HTTP, and nothing leaves the machine. Each request takes the next scripted ``Reply``: a tool call (the
tool's name is taken from the request; plain content when the request offers no tools), plain content, an
HTTP error (with headers such as Retry-After), a hang (for timeouts), a raw body (for invalid JSON) or a
dropped connection; any reply may come after a ``delay``. Every request is recorded with its arrival
time, and the most requests in flight at once is kept (``max_in_flight``). This is test and bench code only;
it is never a product backend.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import openai

from eval.replay import completion, error_body
from service.narrative.aio import IO

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
    delay: float = 0.0  # seconds before answering (latency), whatever the kind
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def tool(cls, arguments: Any, *, prompt_tokens: int = 100, completion_tokens: int = 20,
             delay: float = 0.0) -> Reply:
        """A tool call with these arguments (a str is sent as is, so it may be invalid JSON)."""
        return cls("tool", arguments, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                   delay=delay)

    @classmethod
    def content(cls, text: str) -> Reply:
        """An assistant message with plain content and no tool call."""
        return cls("content", text)

    @classmethod
    def error(cls, status: int, message: str = "fake error", *, headers: dict[str, str] | None = None) -> Reply:
        """An HTTP error with an OpenAI-style error body (and e.g. ``{"Retry-After": "1"}``)."""
        return cls("status", message, status=status, headers=headers or {})

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
    at: float  # time.monotonic() on arrival


class FakeLLM:
    """The server: script replies with ``script``, read ``requests`` afterwards."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
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

    def client(self, *, timeout: float = 5.0, max_retries: int = 0, api_key: str = TEST_KEY) -> openai.AsyncOpenAI:
        """A real async OpenAI client pointed at this server (close it with ``close_client``)."""
        return openai.AsyncOpenAI(base_url=self.url, api_key=api_key, timeout=timeout, max_retries=max_retries)

    def start(self) -> FakeLLM:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging replies return at once."""
        self._stopping.set()
        if self._thread.is_alive():  # shutdown() waits forever for a serve loop that is not running
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _pop(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # http.server writes the headers and the body in two sends; with Nagle on, the body waits for the
        # client's delayed ACK (~40 ms on Linux), a latency no scripted delay asked for.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            """Silence the stdlib's access log on stderr."""

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            """Answer a chat completion from the script."""
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            fake._record(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                  time.monotonic()))
            fake._enter()
            try:
                self._answer(body)
            finally:
                fake._leave()

        def _answer(self, body: Any) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._json(404, error_body("fake LLM: only POST /v1/chat/completions exists"))
            reply = fake._pop()
            if reply is None:
                return self._json(500, error_body("fake LLM: no scripted reply left"))
            if reply.delay:
                fake._stopping.wait(reply.delay)
            if reply.kind == "status":
                return self._json(reply.status, error_body(str(reply.payload)), reply.headers)
            if reply.kind == "raw":
                return self._send(reply.status, str(reply.payload).encode())
            if reply.kind in ("hang", "drop"):
                fake._stopping.wait(reply.seconds)
                self.close_connection = True
                return None
            request = body if isinstance(body, dict) else {}
            if reply.kind == "content":
                request = {k: v for k, v in request.items() if k not in ("tools", "tool_choice")}
            return self._json(200, completion(request, reply.payload, number=len(fake.requests),
                                              prompt_tokens=reply.prompt_tokens,
                                              completion_tokens=reply.completion_tokens))

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers)

        def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the client gave up (a timeout test); nothing to tell it

    return Handler


def closed_port_url() -> str:
    """A loopback base URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def close_client(client: openai.AsyncOpenAI) -> None:
    """Close an async client on the LLM I/O loop, where its connections were made."""
    IO.run(client.close())
