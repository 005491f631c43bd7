"""The ordered list of handlers: the first whose `matches` is true handles the message."""

from __future__ import annotations

from handlers.addressed import Unaddressed
from handlers.broadcast import Acknowledge, BroadcastCommand, BroadcastConfirm
from handlers.channel import ChooseChannel
from handlers.claims import Claim, ClaimDecision, DeclineReason, OpenNeeds
from handlers.context import Handler
from handlers.help import Help, WhoAmI
from handlers.language import ChooseLanguage
from handlers.login import Login
from handlers.needs import EditNeed, MyNeeds, NeedCommand, NeedDialog, WithdrawNeed
from handlers.needs_admin import CloseNeed, Drafts, Publish, Push, PushConfirm
from handlers.offers import MyOffers, OfferCommand, WithdrawOffer
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
        ChooseLanguage(),  # 语言 English / /lang zh: the language of this contact's replies and notices
        PushConfirm(),  # before BroadcastConfirm: a typed 确认 answers the admin's newer preview
        BroadcastCommand(),
        BroadcastConfirm(),
        Login(),
        ChooseChannel(),
        OptOut(),  # 退订 / 恢复, before reports: never filed as an update (nor as an answer in the 需求 dialog)
        # 项目库: the open questions first (a typed 确认 at the 需求 summary saves it; other commands pass by) …
        NeedDialog(),
        DeclineReason(),
        # … then its commands and buttons, before the progress-update handlers (撤回需求 is not 撤回)
        NeedCommand(),
        MyNeeds(),
        EditNeed(),
        WithdrawNeed(),
        OfferCommand(),
        MyOffers(),
        WithdrawOffer(),
        OpenNeeds(),
        Claim(),
        ClaimDecision(),
        Drafts(),
        Publish(),
        Push(),
        CloseNeed(),
        PickPairing(),
        Correct(),
        Withdraw(),
        EditedMessage(),
        Files(),
        ReportText(),
    ]
