"""Hostile input to every route and import: a 4xx with a Chinese reason (or the row refused), never a 500."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from bot.app import App
from bot.web import build_web

# What an answer must never carry: a Python exception's class name, a traceback.
LEAKS = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Traceback|File \"")
CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_refused(response: Any, status: int, mentions: str = "") -> None:
    """A refusal: this status, a Chinese reason (mentioning `mentions`), nothing about the code that refused."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert CJK.search(response.text), response.text[:500]
    assert not LEAKS.search(response.text), response.text[:500]
    assert mentions in response.text, response.text[:500]


@contextmanager
def served(app: App) -> Iterator[str]:
    """The web app on uvicorn on a free port (real HTTP, real concurrency); yields its base URL.

    uvicorn trusts X-Forwarded-For from 127.0.0.1 (its default), so a test can speak for several clients."""
    server = uvicorn.Server(uvicorn.Config(build_web(app), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
