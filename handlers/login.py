"""`登录` / `/login`: an admin gets a single-use, 10-minute link to the review pages, in a private chat."""

from __future__ import annotations

from bot.i18n import _
from handlers.commands import parse_command
from handlers.context import Context
from models.registry import Role
from models.services.access import LINK_LIFETIME, issue_login_link


class Login:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "login"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if ctx.contact.role != Role.admin:
            ctx.reply(_("审核页面只对管理员开放。您可以直接发送进展，发送“帮助”查看可用功能。"))
            return
        if ctx.message.is_group:
            ctx.reply(_("为保护登录链接，请在与我的私聊中发送“登录”。"))
            return
        token = issue_login_link(ctx.session, ctx.contact, ctx.now)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        ctx.reply(_("审核页面登录链接（{minutes} 分钟内有效，只能使用一次，请勿转发）：").format(minutes=minutes)
                  + f"\n{ctx.settings.review_url}/login/{token}")
