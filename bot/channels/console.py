"""The console channel: chat with the bot in a terminal through the same router, handlers and outbox."""

from __future__ import annotations

import itertools
import threading
from typing import TextIO

from bot.messages import Outgoing

NAME = "console"


class ConsoleChannel:
    """Prints what the bot sends; used by `pairbot simulate` and by tests that read the transcript."""

    name = NAME

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.sent: list[Outgoing] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        with self._lock:
            self.sent.append(message)
            if self.stream is not None:
                self.stream.write(render(message) + "\n")
                self.stream.flush()
            return f"console-{next(self._ids)}"


def render(message: Outgoing) -> str:
    """The message as the terminal shows it: its text, then its buttons once, as `[N] 标签` (what :press N presses).

    Handlers also list choices in the text as `N. 标签` lines, for channels without buttons; those lines are
    left out here when they say the same as the buttons, so each choice is shown once."""
    lines = message.text.splitlines() or [""]
    listed = [f"{n}. {button.label}" for n, button in enumerate(message.buttons, start=1)]
    if listed and all(line in lines for line in listed):
        lines = [line for line in lines if line not in listed] or [""]
    out = [f"🤖 {line}" if n == 0 else f"   {line}" for n, line in enumerate(lines)]
    out += [f"   [{n}] {button.label}" for n, button in enumerate(message.buttons, start=1)]
    return "\n".join(out)
