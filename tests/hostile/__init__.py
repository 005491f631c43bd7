"""Hostile input to every route and import: a 4xx with a Chinese reason (or the row refused), never a 500."""

from __future__ import annotations

import re
from typing import Any

# What an answer must never carry: a Python exception's class name, a traceback.
LEAKS = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Traceback|File \"")
CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_refused(response: Any, status: int, mentions: str = "") -> None:
    """A refusal: this status, a Chinese reason (mentioning `mentions`), nothing about the code that refused."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert CJK.search(response.text), response.text[:500]
    assert not LEAKS.search(response.text), response.text[:500]
    assert mentions in response.text, response.text[:500]
