"""Start-up helpers of the dashboard benchmark: a free port, and waiting for Voila.

The browser tests have their own copy in ``tests/browser_helpers.py``: neither is part
of the toolkit, and benchmarks do not import the tests.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from typing import Any


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a Voila started with launch)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[Any], timeout: float = 60.0) -> None:
    """Wait until ``url`` answers; fail early when the server process died.

    Raises:
        RuntimeError: the process exited before answering.
        TimeoutError: no answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voila exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s")
