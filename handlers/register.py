"""The ordered list of handlers: the first whose `matches` is true handles the message."""

from __future__ import annotations

from handlers.context import Handler
from handlers.help import Help, WhoAmI
from handlers.report import Correct, EditedMessage, Files, PickPairing, ReportText, Withdraw
from handlers.start import BindInvite, Unregistered


def default_handlers() -> list[Handler]:
    return [
        BindInvite(),  # before Unregistered: binding is how strangers get in
        Help(),
        Unregistered(),  # everything below needs a registered contact
        WhoAmI(),
        PickPairing(),
        Correct(),
        Withdraw(),
        EditedMessage(),
        Files(),
        ReportText(),
    ]
