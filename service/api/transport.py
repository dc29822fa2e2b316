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
    """uvicorn's default HTTP protocol (httptools when installed, else h11) with ``TCP_NODELAY`` set."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Set ``TCP_NODELAY``, then let uvicorn take the connection."""
        set_nodelay(transport)
        super().connection_made(transport)

    def send_400_response(self, msg: str) -> None:
        """Answer broken HTTP with uvicorn's 400, and end the app's request cycle with it."""
        super().send_400_response(msg)
        cycle = getattr(self, "cycle", None)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's answer, if any, is dropped like one to a gone client
            cycle.message_event.set()  # a receive() waiting for the body returns http.disconnect


HTTP_PROTOCOL = f"{__name__}:{NoDelayHTTPProtocol.__name__}"
