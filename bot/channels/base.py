"""What every channel adapter offers the delivery engine."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Outgoing


class SendError(Exception):
    """A send that did not go through.

    `retry_after` (seconds) asks for a later retry; `permanent` means the recipient cannot be
    reached at all (blocked the bot, left the company) and retrying is pointless.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Deliver one message; return the platform's message id or raise SendError."""
        ...
