"""The console channel: chat with the bot in a terminal through the same router, handlers and outbox."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TextIO

from bot.i18n import _
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
        # In `pairbot simulate`: the chat typed in, and how to name another console chat the bot writes to (a notice
        # to a contact the simulator once chatted as), so such a message is shown as addressed to them.
        self.own_chat: str | None = None
        self.name_of: Callable[[str], str] = str

    def send(self, message: Outgoing) -> str:
        with self._lock:
            self.sent.append(message)
            if self.stream is not None:
                to = None if self.own_chat in (None, message.chat_id) else self.name_of(message.chat_id)
                self.stream.write(render(message, to) + "\n")
                self.stream.flush()
            return f"console-{next(self._ids)}"


def render(message: Outgoing, to: str | None = None) -> str:
    """The message as the terminal shows it: its text, then its buttons once, as `[N] 标签` (what :press N presses).

    Handlers also list choices in the text as `N. 标签` lines, for channels without buttons; those lines are
    left out here when they say the same as the buttons, so each choice is shown once."""
    lines = message.text.splitlines() or [""]
    listed = [f"{n}. {button.label}" for n, button in enumerate(message.buttons, start=1)]
    if listed and all(line in lines for line in listed):
        lines = [line for line in lines if line not in listed] or [""]
    if to is not None:
        lines = [_("（发给 {name}）").format(name=to), *lines]
    out = [f"🤖 {line}" if n == 0 else f"   {line}" for n, line in enumerate(lines)]
    out += [f"   [{n}] {button.label}" for n, button in enumerate(message.buttons, start=1)]
    return "\n".join(out)
