"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection, and broken requests ended at once.

asyncio turns ``TCP_NODELAY`` on only for sockets it recognises as TCP (``proto == IPPROTO_TCP``). A socket
that uvicorn's multi-worker supervisor binds and hands to its workers may carry ``proto == 0`` (uvicorn issue
#3149); a response written in two sends then waits ~40 ms for the client's delayed ACK. Setting the option
here makes ``--workers N`` answer as fast as one worker on every uvicorn version.

When a request turns out to be broken HTTP after its head was read (a bad chunk), uvicorn answers 400 and
closes the connection, but the app's request cycle learns of it only when ``connection_lost`` runs, a loop
iteration later. An app that answers at once (a 415 for a missing Content-Type) then writes into a finished
connection and uvicorn logs "Exception in ASGI application". The cycle is told here, when the 400 goes out.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle off on a transport's TCP socket; False when it is not TCP or refuses."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # a closed or non-TCP socket: nothing to tune
        return False
    return True


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's default HTTP protocol (httptools when installed, else h11) with ``TCP_NODELAY`` set, and a
    request timeout: a connection must send a whole request head within ``REQUEST_TIMEOUT_S`` of opening
    (or of its first byte after a keep-alive pause), and its body must not stall for that long.

    uvicorn has no such timeout: an idle new connection, or one that stops half way through its head or
    body, stays open until the client goes (minutes), holding a slot of ``limit_concurrency``. Once the
    request is read the timer stops: the app may take as long as the work needs."""

    request_timeout_s = 15.0  # set by ``configure`` from NIANBAO_TIMEOUT_REQUEST_S

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Set ``TCP_NODELAY``, then let uvicorn take the connection; the head must come in time."""
        set_nodelay(transport)
        super().connection_made(transport)
        self._request_timer: asyncio.TimerHandle | None = None
        self._arm(restart=True)

    def data_received(self, data: bytes) -> None:
        """Let uvicorn parse the bytes, then see where the request stands."""
        super().data_received(data)
        self._arm(restart=self._reading_body())

    def on_response_complete(self) -> None:
        """The answer went out: uvicorn's keep-alive timer takes over until the next request begins."""
        self._disarm()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the timer, then let uvicorn clean up."""
        self._disarm()
        super().connection_lost(exc)

    def _reading_body(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is not None and not cycle.response_complete and bool(cycle.more_body)

    def _request_read(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is not None and not cycle.response_complete and not cycle.more_body

    def _arm(self, *, restart: bool) -> None:
        """Stop the timer once the request is read; (re)start it while a head or a body is awaited.
        ``restart``: the body made progress, so its stall starts again (a head's deadline never moves)."""
        if self._request_read():
            self._disarm()
            return
        if self._request_timer is not None and not restart:
            return
        self._disarm()
        self._request_timer = self.loop.call_later(self.request_timeout_s, self._request_timed_out)

    def _disarm(self) -> None:
        timer = getattr(self, "_request_timer", None)
        if timer is not None:
            timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        if self._request_read() or self.transport.is_closing():
            return
        flow = getattr(self, "flow", None)
        if flow is not None and flow.read_paused:  # the app has not taken the body yet: not the client's stall
            self._arm(restart=True)
            return
        self.transport.close()  # connection_lost tells a waiting app (http.disconnect)

    def send_400_response(self, msg: str) -> None:
        """Answer broken HTTP with uvicorn's 400, and end the app's request cycle with it."""
        super().send_400_response(msg)
        cycle = getattr(self, "cycle", None)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's answer, if any, is dropped like one to a gone client
            cycle.message_event.set()  # a receive() waiting for the body returns http.disconnect


HTTP_PROTOCOL = f"{__name__}:{NoDelayHTTPProtocol.__name__}"


def configure(request_timeout_s: float) -> None:
    """Set the request timeout of every connection of this process (each worker calls it at start)."""
    NoDelayHTTPProtocol.request_timeout_s = request_timeout_s
