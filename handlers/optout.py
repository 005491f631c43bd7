"""退订 / 停止提醒 and 恢复: a contact pauses reminders and notices, and resumes them; admins see who paused."""

from __future__ import annotations

import re

from bot.i18n import _
from handlers.chatter import Kind, classify
from handlers.commands import normalize
from handlers.context import Context
from models.registry import Role
from models.services.obligations import KIND_LABELS
from models.services.registry import pause_contact, resume_contact

_RESUME = re.compile(r"^(恢复|恢復)(提醒|通知|推送|接收)?$|^resume$", re.IGNORECASE)


class OptOut:
    """Any registered contact, in a private chat: 退订 pauses, 恢复 resumes (both audited)."""

    def matches(self, ctx: Context) -> bool:
        if ctx.contact is None or ctx.message.callback_data is not None or ctx.message.is_group:
            return False
        return classify(ctx.text) is Kind.opt_out

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        mandatory = _("、").join(_(KIND_LABELS[kind]) if kind in KIND_LABELS else kind for kind in ctx.settings.mandatory)
        still = _("必报事项（{kinds}）到期前仍会提醒您。").format(kinds=mandatory) if mandatory else ""
        if _RESUME.match(normalize(ctx.text)):
            changed = resume_contact(ctx.session, ctx.contact, ctx.actor)
            ctx.reply(_("已恢复，您会重新收到报送提醒和通知。") if changed else _("您没有退订，提醒和通知照常发送。"))
            return
        changed = pause_contact(ctx.session, ctx.contact, ctx.actor, ctx.now)
        lead = _("已为您暂停报送提醒和通知。") if changed else _("您已退订，提醒和通知处于暂停状态。")
        reports = _("进展仍可随时直接发送。") if ctx.contact.role != Role.admin else ""
        ctx.reply(lead + still + _("管理员可以看到您已退订。发送“恢复”即可重新接收。") + reports)
