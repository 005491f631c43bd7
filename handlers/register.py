"""The ordered list of handlers: the first whose `matches` is true handles the message."""

from __future__ import annotations

from handlers.addressed import Unaddressed
from handlers.broadcast import Acknowledge, BroadcastCommand, BroadcastConfirm
from handlers.channel import ChooseChannel
from handlers.context import Handler
from handlers.help import Help, WhoAmI
from handlers.login import Login
from handlers.optout import OptOut
from handlers.report import Correct, EditedMessage, Files, PickPairing, ReportText, Withdraw
from handlers.start import BindInvite, ConfirmRebind, Unregistered


def default_handlers() -> list[Handler]:
    return [
        Acknowledge(),  # 收到 to a notice that asks for it: even unaddressed in a group, even from a stranger
        Unaddressed(),  # other group messages not meant for the bot get no answer and change nothing
        BindInvite(),  # before Unregistered: binding is how strangers get in
        Help(),
        Unregistered(),  # everything below needs a registered contact
        ConfirmRebind(),  # 确认改绑 / 取消改绑 after 绑定 from a chat already bound
        WhoAmI(),
        BroadcastCommand(),
        BroadcastConfirm(),
        Login(),
        ChooseChannel(),
        OptOut(),  # 退订 / 恢复, before reports: never filed as an update
        PickPairing(),
        Correct(),
        Withdraw(),
        EditedMessage(),
        Files(),
        ReportText(),
    ]
