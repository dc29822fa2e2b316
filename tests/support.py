"""Small helpers several test modules need: a free loopback port, a script loaded as a module."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from types import ModuleType


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_script(name: str, path: Path) -> ModuleType:
    """The file ``path`` (outside any package: bench/, deploy/) executed as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
