"""Broadcasts in chat: `广播 SEGMENT 内容` (`/broadcast`) for admins, and 收到 for every recipient.

An admin's broadcast is first a draft (a Broadcast row with status "draft") shown as a preview;
it goes out when its creator presses 确认发送 or replies 确认. The button carries only the draft's
id: who may confirm, and whether it is still a draft, is checked in the database, so a forged or
replayed button does nothing.
"""

from __future__ import annotations

import re

from bot.i18n import N_, _
from bot.messages import Button
from handlers.commands import normalize, parse_command
from handlers.context import Context
from models.base import parse_id
from models.messaging import Broadcast
from models.registry import Role
from models.services import broadcast as service
from models.services.broadcast import BroadcastError

CONFIRM_DATA = "bc:ok:"
CANCEL_DATA = "bc:no:"
CONFIRM_WORDS = ("确认", "確認", "确认发送", "confirm", "send")
CANCEL_WORDS = ("取消", "cancel")
ACK_FLAGS = ("--ack", "回执", "回執", "需回执", "要求回执")
USAGE = N_("用法：广播 对象 内容，例如：\n  广播 county:布拖县 请于8月31日前签订帮扶协议\n"
           "  广播 all 回执 明天上午召开视频调度会（“回执”表示要求回复“收到”）\n"
           "对象可以是：{segments}")
ADMINS_ONLY = N_("抱歉，只有管理员可以发送广播。")


def usage() -> str:
    return _(USAGE).format(segments=service.segment_help())
# "收到", "收到了", "收到，谢谢！" acknowledge; "收到捐款20万元" is a progress update, not an acknowledgement.
_ACK_TAIL = re.compile(r"^[了啦啊的]?[\s!！。.~～,，]*(谢谢|謝謝)?[\s!！。.~～]*$")


class BroadcastCommand:
    """`广播 SEGMENT [回执] 内容` → a preview with the recipient count and a confirm button."""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "broadcast"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if ctx.contact.role != Role.admin:
            ctx.reply(_(ADMINS_ONLY))
            return
        if ctx.message.is_group:
            ctx.reply(_("为避免误发，请在与我的私聊中发送广播命令。"))
            return
        args = parse_command(ctx.text).args.split(None, 1)  # type: ignore[union-attr]
        if len(args) < 2:
            ctx.reply(usage())
            return
        segment_text, text = args
        first, _space, rest = text.partition(" ")
        require_ack = first.lower() in ACK_FLAGS
        if require_ack:
            text = rest
        try:
            segment = service.parse_segment(segment_text)
        except BroadcastError as exc:
            ctx.reply(f"{exc}\n{usage()}")
            return
        if not text.strip():
            ctx.reply(usage())
            return
        try:
            draft, audience = service.create_draft(ctx.session, ctx.contact, segment, text,
                                                   require_ack=require_ack, now=ctx.now)
        except BroadcastError as exc:
            ctx.reply(str(exc))
            return
        ctx.audit("broadcast.draft", f"broadcast:{draft.id}", segment=str(segment), recipients=len(audience.recipients))
        scope = _("（限您负责的省份：{provinces}）").format(provinces=_("、").join(ctx.contact.provinces)) \
            if ctx.contact.provinces else ""
        ack = "\n" + _("收件人需回复“收到”确认。") if require_ack else ""
        configured = ctx.settings.channels
        warnings = "".join("\n" + w for w in audience.unconfigured(configured)) if configured is not None else ""
        ctx.reply(
            _("广播预览（#{id}）").format(id=draft.id) + "\n" + _("对象：{segment}").format(segment=segment.label)
            + scope + "\n" + _("收件人：{summary}").format(summary=audience.summary_zh()) + ack + warnings + "\n"
            + _("内容：") + f"\n{service.notice_text(draft.text, False, '')}\n\n"
            + _("点“确认发送”或回复“确认”即发送；回复“取消”放弃。"),
            [Button(_("确认发送"), f"{CONFIRM_DATA}{draft.id}"), Button(_("取消"), f"{CANCEL_DATA}{draft.id}")],
        )


class BroadcastConfirm:
    """The confirm / cancel button of a preview, or 确认 / 取消 typed by the admin who has a draft open."""

    def matches(self, ctx: Context) -> bool:
        data = ctx.message.callback_data
        if data is not None:
            return data.startswith((CONFIRM_DATA, CANCEL_DATA))
        if ctx.contact is None or ctx.contact.role != Role.admin:
            return False
        if normalize(ctx.text).lower() not in CONFIRM_WORDS + CANCEL_WORDS:
            return False
        return service.latest_draft(ctx.session, ctx.contact, ctx.now) is not None

    def handle(self, ctx: Context) -> None:
        confirm, draft_id = self._choice(ctx)
        try:
            if ctx.contact is None or ctx.contact.role != Role.admin or draft_id is None:
                raise BroadcastError(_("无法确认：没有找到您创建的这条广播。"))
            if not confirm:
                service.cancel_draft(ctx.session, ctx.contact, draft_id, ctx.now)
                ctx.audit("broadcast.cancel", f"broadcast:{draft_id}")
                ctx.reply(_("已取消广播 #{id}，没有发送任何消息。").format(id=draft_id))
                return
            queued = service.confirm_draft(ctx.session, ctx.contact, draft_id, ctx.now)
        except BroadcastError as exc:
            ctx.audit("broadcast.confirm_refused", ctx.message.callback_data or ctx.text, reason=str(exc))
            ctx.reply(str(exc))
            return
        ctx.delivery_ids.extend(queued.delivery_ids)  # enqueued with the reply, after commit
        ctx.reply(_("广播 #{id} 已开始发送：{summary}。").format(id=queued.broadcast.id, summary=queued.audience.summary_zh())
                  + "\n" + _("查看进度：{command}").format(command=f"pairbot broadcast status {queued.broadcast.id}"))

    @staticmethod
    def _choice(ctx: Context) -> tuple[bool, int | None]:
        data = ctx.message.callback_data
        if data is not None:
            raw = data.split(":")[-1]
            return data.startswith(CONFIRM_DATA), parse_id(raw)
        draft: Broadcast | None = service.latest_draft(ctx.session, ctx.contact, ctx.now)  # type: ignore[arg-type]
        return normalize(ctx.text).lower() in CONFIRM_WORDS, draft.id if draft else None


class Acknowledge:
    """收到: the button under a notice (checked against the chat it was sent to) or the word as a reply.

    First in the handler list: group members answer a notice with a plain 收到 (not addressed to the
    bot), and whoever answers for the group may be unregistered.
    """

    def matches(self, ctx: Context) -> bool:
        data = ctx.message.callback_data
        if data is not None:
            return data.startswith(service.ACK_DATA)
        command = parse_command(ctx.text)
        if command is None or command.name != "ack" or not _ACK_TAIL.match(command.args):
            return False
        if ctx.message.is_group or ctx.contact is None:  # only when there is something to acknowledge
            return bool(service.outstanding(ctx.session, ctx.message.channel, ctx.message.chat_id))
        return True

    def handle(self, ctx: Context) -> None:
        message = ctx.message
        if message.callback_data is not None:
            try:
                marked = service.acknowledge_button(ctx.session, message.channel, message.chat_id,
                                                    message.callback_data, ctx.now)
            except BroadcastError as exc:
                ctx.audit("broadcast.ack_refused", message.callback_data, reason=str(exc))
                ctx.reply(str(exc))
                return
            ctx.audit("broadcast.ack", message.callback_data)
            ctx.reply(_("已确认收到，谢谢！") if marked else _("您已确认过这条通知，谢谢。"))
            return
        rows = service.acknowledge_chat(ctx.session, message.channel, message.chat_id, ctx.now)
        if not rows:
            ctx.reply(_("目前没有需要您确认的通知。"))
            return
        ctx.audit("broadcast.ack", ",".join(f"delivery:{row.id}" for row in rows))
        ctx.reply(_("已确认收到，谢谢！") if len(rows) == 1 else _("已确认收到 {n} 条通知，谢谢！").format(n=len(rows)))
