"""Binding an invite code: `/start CODE` (Telegram deep links too) or `绑定 CODE`."""

from __future__ import annotations

from bot.i18n import N_, _
from bot.messages import Button
from handlers.commands import normalize, parse_command
from handlers.context import Context
from models.base import parse_id
from models.registry import Role
from models.reporting import PendingQuestion
from models.services.invites import InviteError, invite_role, invite_scope, redeem_invite, usable_invite
from models.services.registry import deactivated, describe_scope, identities_of
from models.services.reports import open_question

DEACTIVATED = N_("您的账号已停用，不能报送进展，也不会收到提醒和通知。如有疑问，请联系管理员（民政或乡村振兴部门）。")
HOW_TO_REGISTER = N_(
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
                ctx.reply(_(HOW_TO_REGISTER))
            else:
                ctx.reply(_("您已登记为{scope}。发送“帮助”查看可用功能。").format(
                    scope=describe_scope(ctx.session, ctx.contact)))
            return
        if ctx.message.is_group:
            ctx.reply(_("为保护邀请码，请在与我的私聊中发送“绑定 邀请码”。"))
            return
        if ctx.contact is not None:
            _ask_before_moving(ctx, code)
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
        ctx.reply(_("绑定成功！您已登记为{scope}，姓名：{name}。").format(scope=scope, name=binding.contact.name)
                  + "\n" + _next_step(Role(binding.contact.role)))


REBIND = "confirm_rebind"
REBIND_PREFIX = "rebind"  # callback data rebind:<question id>:yes|no
YES_WORDS = ("确认改绑", "確認改綁")
NO_WORDS = ("取消改绑", "取消改綁")


def _ask_before_moving(ctx: Context, code: str) -> None:
    """This chat already belongs to someone: say what the code would change and wait for 确认改绑 / 取消."""
    assert ctx.contact is not None
    try:
        invite = usable_invite(ctx.session, code, ctx.now)
    except InviteError as exc:
        ctx.audit("invite.refused", code, reason=str(exc))
        ctx.reply(str(exc))
        return
    current = _("{scope}，姓名：{name}").format(scope=describe_scope(ctx.session, ctx.contact), name=ctx.contact.name)
    if invite.contact_id == ctx.contact.id:
        ctx.reply(_("这个聊天账号已经是{current}，无需再绑定；邀请码未使用。").format(current=current))
        return
    question = PendingQuestion(contact_id=ctx.contact.id, kind=REBIND, created_at=ctx.now,
                               payload={"code": invite.code, "channel": ctx.message.channel,
                                        "sender": ctx.message.sender_id})
    ctx.session.add(question)
    ctx.session.flush()
    warning = ""
    loses_admin = ctx.contact.role == Role.admin and invite_role(ctx.session, invite) is not Role.admin
    if loses_admin and len(identities_of(ctx.session, ctx.contact.id)) <= 1:  # type: ignore[arg-type]
        warning = _("注意：这是您唯一绑定的聊天账号，改绑后您将不再是管理员，也无法再登录审核页面。")
    ctx.reply(_("这个聊天账号已登记为{current}。邀请码 {code} 将把它改为{scope}。").format(
                  current=current, code=invite.code, scope=invite_scope(ctx.session, invite))
              + warning + _("确认改绑吗？请点按钮，或回复“确认改绑”/“取消改绑”。"),
              [Button(_("确认改绑"), f"{REBIND_PREFIX}:{question.id}:yes"),
               Button(_("取消"), f"{REBIND_PREFIX}:{question.id}:no")])


class ConfirmRebind:
    """The answer to “确认改绑吗？”: only from the chat that asked, only once; yes redeems the code, no keeps all."""

    def matches(self, ctx: Context) -> bool:
        if ctx.contact is None:
            return False
        data = ctx.message.callback_data
        if data is not None:
            return data.startswith(REBIND_PREFIX + ":")
        return normalize(ctx.text) in YES_WORDS + NO_WORDS

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        question, yes = self._answer(ctx)
        if question is None:
            ctx.reply(_("没有待确认的改绑。如需绑定，请发送“绑定 邀请码”。"))
            return
        question.answered_at = ctx.now
        ctx.session.add(question)
        if not yes:
            ctx.reply(_("已取消，您仍是{scope}。邀请码未使用。").format(scope=describe_scope(ctx.session, ctx.contact)))
            return
        previous = ctx.contact
        try:
            binding = redeem_invite(ctx.session, question.payload["code"], ctx.message.channel, ctx.message.sender_id,
                                    ctx.message.sender_name, ctx.now)
        except InviteError as exc:
            ctx.reply(str(exc))
            return
        ctx.audit("identity.rebind", f"contact:{previous.id}", to_contact=binding.contact.id)
        ctx.contact = binding.contact
        scope = describe_scope(ctx.session, binding.contact)
        ctx.reply(_("已改绑：这个聊天账号现在登记为{scope}，姓名：{name}。").format(scope=scope, name=binding.contact.name)
                  + "\n" + _next_step(Role(binding.contact.role)))

    @staticmethod
    def _answer(ctx: Context) -> tuple[PendingQuestion | None, bool]:
        """The question answered (this chat's, still open) and whether the answer is yes."""
        assert ctx.contact is not None
        data = ctx.message.callback_data
        if data is not None:
            parts = data.split(":")
            question_id = parse_id(parts[1]) if len(parts) == 3 else None
            if question_id is None or parts[2] not in ("yes", "no"):
                return None, False
            question = ctx.session.get(PendingQuestion, question_id)
            yes = parts[2] == "yes"
        else:
            question = open_question(ctx.session, ctx.contact, REBIND)
            yes = normalize(ctx.text) in YES_WORDS
        fresh = (question is not None and question.kind == REBIND and question.answered_at is None
                 and question.contact_id == ctx.contact.id
                 and question.payload.get("channel") == ctx.message.channel
                 and question.payload.get("sender") == ctx.message.sender_id)
        return (question, yes) if fresh else (None, False)


def _next_step(role: Role) -> str:
    if role is Role.admin:
        return _("发送“帮助”查看管理功能。")
    return _("以后直接发送进展情况即可，例如：本月投入帮扶资金20万元，带动38户增收。发送“帮助”查看更多。")


class Unregistered:
    """Anyone not bound yet learns how to register; nothing they send is stored as an update."""

    def matches(self, ctx: Context) -> bool:
        return ctx.contact is None

    def handle(self, ctx: Context) -> None:
        if ctx.message.is_group and not ctx.message.addressed:
            return
        if not ctx.message.is_group and deactivated(ctx.session, ctx.message.channel, ctx.message.sender_id):
            ctx.reply(_(DEACTIVATED))  # not "please register": they were, and an invite would not help
            return
        ctx.reply(_(HOW_TO_REGISTER))
