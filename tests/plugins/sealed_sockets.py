"""A pytest plugin for the sealed-replay test: no socket may connect, and every attempt is written down.

Loaded with ``-p sealed_sockets`` (``tests/plugins`` on PYTHONPATH) into a replay run, before the
apiconform plugin installs its own blocker, so the proof does not rest on the code it checks.
Each attempt is appended to the file named by ``APICONFORM_SEALED_LOG`` and refused.
"""
from __future__ import annotations

import os
import socket
from typing import Any


def _refuse(*args: Any, **kwargs: Any) -> Any:
    with open(os.environ["APICONFORM_SEALED_LOG"], "a", encoding="utf-8") as log:
        log.write(f"connect {args[1:] if args and isinstance(args[0], socket.socket) else args}\n")
    raise OSError("sealed: this replay run may not open a connection")


socket.socket.connect = _refuse  # type: ignore[method-assign]
socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
socket.create_connection = _refuse  # type: ignore[assignment]
socket.getaddrinfo = _refuse  # type: ignore[assignment]
