"""Binding an invite code: `/start CODE` (Telegram deep links too) or `绑定 CODE`."""

from __future__ import annotations

from handlers.commands import parse_command
from handlers.context import Context
from models.registry import Role
from models.services.invites import InviteError, redeem_invite
from models.services.registry import describe_scope

HOW_TO_REGISTER = (
    "您好，我是结对帮扶助手。您还没有登记，请向管理员（民政或乡村振兴部门）索取邀请码，"
    "然后发送“绑定 邀请码”，例如：绑定 7KQ3M9XA。"
)


class BindInvite:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return command is not None and command.name == "start"

    def handle(self, ctx: Context) -> None:
        code = parse_command(ctx.text).args.split(" ")[0] if ctx.text else ""  # type: ignore[union-attr]
        if not code:
            if ctx.contact is None:
                ctx.reply(HOW_TO_REGISTER)
            else:
                ctx.reply(f"您已登记为{describe_scope(ctx.session, ctx.contact)}。发送“帮助”查看可用功能。")
            return
        if ctx.message.is_group:
            ctx.reply("为保护邀请码，请在与我的私聊中发送“绑定 邀请码”。")
            return
        try:
            binding = redeem_invite(
                ctx.session, code, ctx.message.channel, ctx.message.sender_id, ctx.message.sender_name, ctx.now
            )
        except InviteError as exc:
            ctx.audit("invite.refused", code, reason=str(exc))
            ctx.reply(str(exc))
            return
        ctx.contact = binding.contact
        scope = describe_scope(ctx.session, binding.contact)
        ctx.reply(f"绑定成功！您已登记为{scope}，姓名：{binding.contact.name}。\n{_next_step(Role(binding.contact.role))}")


def _next_step(role: Role) -> str:
    if role is Role.admin:
        return "发送“帮助”查看管理功能。"
    return "以后直接发送进展情况即可，例如：本月投入帮扶资金20万元，带动38户增收。发送“帮助”查看更多。"


class Unregistered:
    """Anyone not bound yet learns how to register; nothing they send is stored as an update."""

    def matches(self, ctx: Context) -> bool:
        return ctx.contact is None

    def handle(self, ctx: Context) -> None:
        if ctx.message.is_group and not ctx.message.addressed:
            return
        ctx.reply(HOW_TO_REGISTER)
