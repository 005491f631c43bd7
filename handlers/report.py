"""Progress updates in chat: record, confirm what was understood, choose a pairing, correct, withdraw."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.messages import Button
from handlers.commands import normalize, parse_command
from handlers.context import Context
from models.pairing import Pairing
from models.registry import Contact, Role
from models.services import obligations, reports
from models.services.reports import Recorded, ReportError

HOW_TO_FIX = "回复“更正 …”可修改，“撤回”可删除。"
PICK_PREFIX = "pick"
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


def _is_reporter(contact: Contact | None) -> bool:
    return contact is not None and contact.role in (Role.county, Role.organization)


def confirmation(recorded: Recorded) -> str:
    """One short message: what was understood, what a reviewer will check, how to fix it."""
    summary = recorded.parsed.summary_zh()
    if recorded.duplicate_of is not None:
        return "这条进展与您刚才提交的一条相同，未重复记录。"
    head = f"已记录：{summary}。" if summary else "已记录您的进展，但没有识别出数字或帮扶领域。"
    if recorded.flags:
        head += f"将由管理员核对（{'；'.join(recorded.flags)}）。"
    if recorded.question is not None:
        choices = "\n".join(f"{n}. {label}" for n, (_, label) in enumerate(recorded.options, start=1))
        return f"{head}\n您有多个结对，这条进展属于哪一个？请点按钮或回复序号：\n{choices}"
    return f"{head}{HOW_TO_FIX}"


def corrected(recorded: Recorded, lead: str) -> str:
    """The answer to a correction (更正 or an edited message): what is now understood, and what a reviewer checks."""
    summary = recorded.parsed.summary_zh() or "没有识别出数字或帮扶领域"
    review = f"将由管理员核对（{'；'.join(recorded.flags)}）。" if recorded.flags else ""
    return f"{lead}：{summary}。{review}"


def choice_buttons(recorded: Recorded) -> list[Button]:
    if recorded.question is None:
        return []
    return [Button(label, f"{PICK_PREFIX}:{recorded.question.id}:{pid}") for pid, label in recorded.options]


class PickPairing:
    """An answer to “which pairing?”: a button press (verified against the stored question) or a number."""

    def matches(self, ctx: Context) -> bool:
        if not _is_reporter(ctx.contact):
            return False
        data = ctx.message.callback_data
        if data is not None:
            return data.startswith(PICK_PREFIX + ":")
        text = normalize(ctx.text)
        return text.isdigit() and reports.pending_question(ctx.session, ctx.contact) is not None  # type: ignore[arg-type]

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        try:
            question_id, pairing_id = self._choice(ctx)
            reports.answer_pairing_question(ctx.session, ctx.contact, question_id, pairing_id, ctx.now)
        except ReportError as exc:
            ctx.audit("report.pick_refused", ctx.message.callback_data or ctx.text, reason=str(exc))
            ctx.reply(str(exc))
            return
        pairing = ctx.session.get(Pairing, pairing_id)
        label = reports.pairing_label(ctx.session, ctx.contact, pairing) if pairing else str(pairing_id)
        ctx.reply(f"好的，这条进展已记入与{label}的结对。{HOW_TO_FIX}")

    @staticmethod
    def _choice(ctx: Context) -> tuple[int, int]:
        data = ctx.message.callback_data
        if data is not None:
            parts = data.split(":")
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                raise ReportError("无法识别的选项，已忽略。")
            return int(parts[1]), int(parts[2])
        question = reports.pending_question(ctx.session, ctx.contact)  # type: ignore[arg-type]
        assert question is not None
        options = question.payload.get("options", [])
        number = int(normalize(ctx.text))
        if not 1 <= number <= len(options):
            raise ReportError(f"请回复 1 到 {len(options)} 之间的序号。")
        return question.id, options[number - 1]  # type: ignore[return-value]


class Correct:
    """`更正 新内容`: replace the last update's text and figures; the old ones stay in its history."""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return _is_reporter(ctx.contact) and command is not None and command.name == "correct"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        new_text = parse_command(ctx.text).args  # type: ignore[union-attr]
        if not new_text:
            ctx.reply("请在“更正”后写上正确的完整内容，例如：更正 本月投入资金25万元，带动40户。")
            return
        update = reports.last_update(ctx.session, ctx.contact)
        if update is None:
            ctx.reply("还没有可更正的进展。直接发送进展内容即可记录。")
            return
        try:
            recorded = reports.correct_update(ctx.session, ctx.contact, update, new_text, "correction", ctx.now)
        except ReportError as exc:
            ctx.reply(str(exc))
            return
        ctx.audit("report.correct", f"update:{update.id}")
        ctx.reply(corrected(recorded, "已更正"))


class Withdraw:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return _is_reporter(ctx.contact) and command is not None and command.name == "withdraw"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        window = timedelta(minutes=ctx.settings.withdraw_minutes)
        try:
            update = reports.withdraw_update(ctx.session, ctx.contact, window, ctx.now)
        except ReportError as exc:
            ctx.reply(str(exc))
            return
        ctx.audit("report.withdraw", f"update:{update.id}")
        ctx.reply(f"已撤回您 {update.created_at.astimezone(ctx.settings.zone):%m-%d %H:%M} 提交的进展。")


class EditedMessage:
    """An edited chat message (Telegram) corrects the update it created, like `更正`."""

    def matches(self, ctx: Context) -> bool:
        return _is_reporter(ctx.contact) and ctx.message.edited

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None and ctx.inbound is not None
        update = reports.update_for_message(ctx.session, ctx.original_inbound_ids())
        if update is None:
            ReportText().handle(ctx)
            return
        try:
            recorded = reports.correct_update(ctx.session, ctx.contact, update, ctx.text, "edit", ctx.now)
        except ReportError as exc:
            ctx.reply(str(exc))
            return
        ctx.reply(corrected(recorded, "已按修改后的消息更正"))


class Files:
    """Photos and files: stored and linked to the update they come with or after."""

    def matches(self, ctx: Context) -> bool:
        return _is_reporter(ctx.contact) and bool(ctx.message.attachments) and not ctx.text

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        files = [(a.kind, a.file_id, a.filename) for a in ctx.message.attachments]
        rows = reports.attach_files(ctx.session, ctx.contact, ctx.message.channel, files, ctx.now, None)
        if rows[0].update_id is not None:
            ctx.reply(f"已收到 {len(rows)} 个附件，已附在您最近一条进展后。")
        else:
            ctx.reply(f"已收到 {len(rows)} 个附件。请再发送一段文字说明进展，附件会附在其后。")


def _local_month(ctx: Context) -> str:
    """The report period an update falls in: the month in the configured time zone, not in UTC."""
    return ctx.now.astimezone(ctx.settings.zone).strftime("%Y-%m")


class ReportText:
    """Plain text from a county or organization contact is a progress update."""

    def matches(self, ctx: Context) -> bool:
        return _is_reporter(ctx.contact) and ctx.message.callback_data is None

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if ctx.message.is_group and not ctx.message.addressed:
            return
        if not _MEANINGFUL.search(ctx.text):
            ctx.reply("没有收到可记录的文字内容。请用文字描述进展，例如：本月投入资金20万元，带动38户增收。")
            return
        inbound_id = ctx.inbound.id if ctx.inbound else None
        target = _answered_reminder(ctx)
        recorded = reports.record_update(ctx.session, ctx.contact, ctx.text, ctx.message.channel, ctx.now, inbound_id,
                                         cycle_id=target.cycle_id if target else None,
                                         period=target.period if target else _local_month(ctx))
        if ctx.message.attachments and recorded.duplicate_of is None:
            files = [(a.kind, a.file_id, a.filename) for a in ctx.message.attachments]
            reports.attach_files(ctx.session, ctx.contact, ctx.message.channel, files, ctx.now, recorded.update)
        text = confirmation(recorded)
        if target is not None and recorded.duplicate_of is None:
            obligations.mark_answered(ctx.session, target, recorded.update, ctx.now)
            text += f"\n已记入“{target.title}”，本期不再提醒您。"
        ctx.reply(text, choice_buttons(recorded))


def _answered_reminder(ctx: Context) -> obligations.ReplyTarget | None:
    """The report-cycle reminder this private message answers (a reply to it, or the latest one recently sent)."""
    if ctx.message.is_group or ctx.contact is None:
        return None
    window = timedelta(hours=ctx.settings.reply_window_hours)
    return obligations.reply_target(ctx.session, ctx.contact, ctx.message.channel, ctx.message.chat_id,
                                    ctx.message.reply_to_message_id, ctx.now, window)
