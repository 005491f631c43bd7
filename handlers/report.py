"""Progress updates in chat: record, confirm what was understood, choose a pairing, correct, withdraw."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.i18n import N_, _
from bot.messages import Button
from handlers.chatter import Kind, answer, classify
from handlers.commands import normalize, parse_command
from models.base import parse_id
from handlers.context import Context
from handlers.help import Help
from models.pairing import Pairing, Project
from models.registry import Contact, Role
from models.reporting import PendingQuestion, ProgressUpdate
from models.services import obligations, reports
from models.services.reports import Recorded, ReportError

HOW_TO_FIX = N_("回复“更正 …”可修改，“撤回”可删除。")
PICK_PREFIX = "pick"
CHOICE = re.compile(r"j?\d{1,18}")  # a pairing id, or j + a project id


def _is_reporter(contact: Contact | None) -> bool:
    return contact is not None and contact.role in (Role.county, Role.organization)


# What the parser's flags mean for the sender: the figure was set aside, the text is kept.
FLAG_NOTES = {"数字异常": N_("超出合理范围的数字未计入台账"), "数字为区间": N_("区间数字（如150-200户）未计入台账")}


def flag_reasons(flags: list[str]) -> str:
    """The review flags as the sender reads them, in the locale in force."""
    return _("；").join(
        _("{flag}：{note}").format(flag=reports.flag_label(flag), note=_(FLAG_NOTES[flag])) if flag in FLAG_NOTES
        else reports.flag_label(flag) for flag in flags)


def _review_note(flags: list[str]) -> str:
    """“将由管理员核对（…）。”, naming the reasons; “nothing understood” is said by the lead already."""
    reasons = [flag for flag in flags if flag != reports.FLAG_NOTHING]
    if not reasons:
        return _("将由管理员核对。") if flags else ""
    return _("将由管理员核对（{reasons}）。").format(reasons=flag_reasons(reasons))


def confirmation(recorded: Recorded, filed: str = "") -> str:
    """One short message: what was understood, what a reviewer will check, how to fix it; `filed` (a line saying
    which reminder it answered) stands before a question, so the question sits right above its options."""
    summary = recorded.parsed.summary_zh()
    if recorded.duplicate_of is not None:
        return _("这条进展与您刚才提交的一条相同，未重复记录。")
    if summary:
        head = _("已记录：{summary}。").format(summary=summary)
    elif recorded.parsed.flags:
        head = _("已记录您的进展（原文已保存）。")
    else:
        head = _("已记录您的进展，但没有识别出数字或帮扶领域。")
    head += _review_note(recorded.flags)
    if recorded.project is not None:
        head += _("已记入{project}。").format(project=reports.project_label_short(recorded.project))
    elif recorded.project_note:
        head += recorded.project_note
    filed = f"\n{filed}" if filed else ""
    if recorded.question is None:
        return f"{head}{recorded.ledger}{_(HOW_TO_FIX)}{filed}"
    choices = "\n".join(f"{n}. {label}" for n, (_token, label) in enumerate(recorded.options, start=1))
    if recorded.optional:
        return (f"{head}{recorded.ledger}{_(HOW_TO_FIX)}{filed}\n" + _("这条进展属于哪个项目？请点按钮或回复序号"
                "（不选则记为结对的一般进展；以后可在开头写“项目编号：”直接记入）：") + f"\n{choices}")
    return f"{head}{filed}\n" + _("您有多个结对，这条进展属于哪一个？请点按钮或回复序号：") + f"\n{choices}"


def corrected(recorded: Recorded, lead: str) -> str:
    """The answer to a correction (更正 or an edited message): what is now understood, and what a reviewer checks.

    `lead` is a msgid with a {summary} placeholder (“已更正：{summary}。”)."""
    summary = recorded.parsed.summary_zh() or _("没有识别出数字或帮扶领域")
    return _(lead).format(summary=summary) + _review_note(recorded.flags) + recorded.ledger


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
        return text.isdecimal() and _pairing_question(ctx) is not None

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        try:
            question_id, choice = self._choice(ctx)
            update = reports.answer_pairing_question(ctx.session, ctx.contact, question_id, choice, ctx.now)
        except ReportError as exc:
            ctx.audit("report.pick_refused", ctx.message.callback_data or ctx.text, reason=str(exc))
            ctx.reply(str(exc))
            return
        project = ctx.session.get(Project, update.project_id) if update.project_id else None
        pairing = ctx.session.get(Pairing, update.pairing_id) if update.pairing_id else None
        if project is not None:
            where = reports.project_label(ctx.session, ctx.contact, project)
        else:
            where = _("与{other}的结对").format(other=reports.pairing_label(ctx.session, ctx.contact, pairing)) \
                if pairing else _("所选结对")
        # Named by its first words: with two questions open, the sender sees which report the number filed.
        ctx.reply(_("好的，“{excerpt}”已记入{where}。").format(excerpt=reports.excerpt(update.raw_text), where=where)
                  + _review_note(reports.stored_flags(update)) + reports.ledger_line(ctx.session, update) + _(HOW_TO_FIX))

    @staticmethod
    def _choice(ctx: Context) -> tuple[int, str]:
        """(question id, choice token) from a button (pick:QUESTION:TOKEN) or a typed number."""
        data = ctx.message.callback_data
        if data is not None:
            parts = data.split(":")
            question_id = parse_id(parts[1]) if len(parts) == 3 else None
            if question_id is None or not CHOICE.fullmatch(parts[2]):
                raise ReportError(_("无法识别的选项，已忽略。"))
            return question_id, parts[2]
        question = _pairing_question(ctx)
        assert question is not None
        options = reports.question_choices(question)
        number = int(normalize(ctx.text))
        if not 1 <= number <= len(options):
            raise ReportError(_("请回复 1 到 {n} 之间的序号。").format(n=len(options)))
        return question.id, options[number - 1]


def _pairing_question(ctx: Context) -> PendingQuestion | None:
    """Only a “which pairing?” question takes a bare number; 撤回 N answers the withdraw question."""
    return reports.open_question(ctx.session, ctx.contact, reports.CHOOSE_PAIRING)  # type: ignore[arg-type]


class Correct:
    """`更正 新内容`: replace the last update's text and figures; the old ones stay in its history."""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return _is_reporter(ctx.contact) and command is not None and command.name == "correct"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        new_text = parse_command(ctx.text).args  # type: ignore[union-attr]
        if not new_text:
            ctx.reply(_("请在“更正”后写上正确的完整内容，例如：更正 本月投入资金25万元，带动40户。"))
            return
        if classify(new_text) is not Kind.report:
            ctx.reply(_("“更正”后面要写完整的新进展（数字或开展的帮扶活动），例如：更正 本月投入资金25万元，带动40户。"))
            return
        update = reports.last_update(ctx.session, ctx.contact)
        if update is None:
            ctx.reply(_("还没有可更正的进展。直接发送进展内容即可记录。"))
            return
        try:
            recorded = reports.correct_update(ctx.session, ctx.contact, update, new_text, "correction", ctx.now)
        except ReportError as exc:
            ctx.reply(str(exc))
            return
        ctx.audit("report.correct", f"update:{update.id}")
        ctx.reply(corrected(recorded, N_("已更正：{summary}。")))


class Withdraw:
    """撤回 withdraws the latest update and quotes it; right after a withdrawal it asks which one (撤回 N)."""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return _is_reporter(ctx.contact) and command is not None and command.name == "withdraw"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        args = normalize(parse_command(ctx.text).args)  # type: ignore[union-attr]
        window = timedelta(minutes=ctx.settings.withdraw_minutes)
        try:
            if args.isdecimal():
                self._chosen(ctx, int(args), window)
            elif args:
                self._explain(ctx, window)
            elif reports.recently_withdrew(ctx.session, ctx.contact, window, ctx.now):
                self._ask(ctx, window)
            else:
                self._done(ctx, reports.withdraw_update(ctx.session, ctx.contact, window, ctx.now))
        except ReportError as exc:
            ctx.reply(str(exc))

    def _chosen(self, ctx: Context, number: int, window: timedelta) -> None:
        assert ctx.contact is not None
        if reports.open_question(ctx.session, ctx.contact, reports.CHOOSE_WITHDRAW) is None:
            self._ask(ctx, window)
            return
        self._done(ctx, reports.withdraw_chosen(ctx.session, ctx.contact, number, window, ctx.now))

    def _ask(self, ctx: Context, window: timedelta) -> None:
        """A second 撤回 never removes another update silently: list the candidates and let the sender pick."""
        assert ctx.contact is not None
        updates = reports.withdrawable_updates(ctx.session, ctx.contact, window, ctx.now)
        if not updates:
            raise ReportError(_("您最近 {minutes} 分钟内没有可撤回的进展。").format(minutes=ctx.settings.withdraw_minutes))
        reports.ask_which_withdraw(ctx.session, ctx.contact, updates, ctx.now)
        lines = "\n".join(f"{n}. " + _("{when} “{excerpt}”").format(when=_when(ctx, u), excerpt=reports.excerpt(u.raw_text))
                          for n, u in enumerate(updates, 1))
        if reports.recently_withdrew(ctx.session, ctx.contact, window, ctx.now):
            ask = _("您刚撤回过一条进展。还要撤回哪一条？请回复“撤回 序号”，例如“撤回 1”：")
        else:
            ask = _("要撤回哪一条？请回复“撤回 序号”，例如“撤回 1”：")
        ctx.reply(f"{ask}\n{lines}")

    def _explain(self, ctx: Context, window: timedelta) -> None:
        """撤回? and the like: say what 撤回 would do instead of doing it."""
        assert ctx.contact is not None
        updates = reports.withdrawable_updates(ctx.session, ctx.contact, window, ctx.now)
        which = _("将撤回您 {update}。").format(update=reports.describe_update(updates[0], ctx.settings.zone)) \
            if updates else ""
        ctx.reply(_("发送“撤回”可删除您 {minutes} 分钟内提交的最近一条进展。").format(
            minutes=ctx.settings.withdraw_minutes) + which)

    @staticmethod
    def _done(ctx: Context, update: ProgressUpdate) -> None:
        ctx.audit("report.withdraw", f"update:{update.id}")
        ctx.reply(_("已撤回您 {update}。").format(update=reports.describe_update(update, ctx.settings.zone)))


def _when(ctx: Context, update: ProgressUpdate) -> str:
    return f"{update.created_at.astimezone(ctx.settings.zone):%m-%d %H:%M}"


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
        if classify(ctx.text) is not Kind.report:
            ctx.reply(_("修改后的消息不像一条进展（没有数字或帮扶活动），原进展未更改。如要删除它，请发送“撤回”。"))
            return
        try:
            recorded = reports.correct_update(ctx.session, ctx.contact, update, ctx.text, "edit", ctx.now)
        except ReportError as exc:
            ctx.reply(str(exc))
            return
        ctx.audit("report.correct", f"update:{update.id}", kind="edit")  # as 更正 does; `kind` as in its ProgressEdit
        ctx.reply(corrected(recorded, N_("已按修改后的消息更正：{summary}。")))


class Files:
    """Photos and files: stored and linked to the update they come with or after."""

    def matches(self, ctx: Context) -> bool:
        if not _is_reporter(ctx.contact) or not ctx.message.attachments:
            return False
        return not ctx.text or classify(ctx.text) is not Kind.report  # a caption like “见附件” is not a report

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        files = [(a.kind, a.file_id, a.filename) for a in ctx.message.attachments]
        rows = reports.attach_files(ctx.session, ctx.contact, ctx.message.channel, files, ctx.now, None)
        if rows[0].update_id is not None:
            ctx.reply(_("已收到 {n} 个附件，已附在您最近一条进展后。").format(n=len(rows)))
        else:
            ctx.reply(_("已收到 {n} 个附件。请再发送一段文字说明进展，附件会附在其后。").format(n=len(rows)))


def _local_month(ctx: Context) -> str:
    """The report period an update falls in: the month in the configured time zone, not in UTC."""
    return ctx.now.astimezone(ctx.settings.zone).strftime("%Y-%m")


class ReportText:
    """Text from a county or organization contact that reads as a report (see handlers.chatter) is an update."""

    def matches(self, ctx: Context) -> bool:
        return _is_reporter(ctx.contact) and ctx.message.callback_data is None

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if ctx.message.is_group and not ctx.message.addressed:
            return
        kind = classify(ctx.text)
        if kind is not Kind.report:
            _not_a_report(ctx, kind)
            return
        inbound_id = ctx.inbound.id if ctx.inbound else None
        target = _answered_reminder(ctx)
        recorded = reports.record_update(ctx.session, ctx.contact, ctx.text, ctx.message.channel, ctx.now, inbound_id,
                                         cycle_id=target.cycle_id if target else None,
                                         period=target.period if target else _local_month(ctx))
        if ctx.message.attachments and recorded.duplicate_of is None:
            files = [(a.kind, a.file_id, a.filename) for a in ctx.message.attachments]
            reports.attach_files(ctx.session, ctx.contact, ctx.message.channel, files, ctx.now, recorded.update)
        filed = ""
        if target is not None and recorded.duplicate_of is None:
            obligations.mark_answered(ctx.session, target, recorded.update, ctx.now)
            filed = _("已记入“{title}”，本期不再提醒您。").format(title=target.title)
        ctx.reply(confirmation(recorded, filed), choice_buttons(recorded))


def _not_a_report(ctx: Context, kind: Kind) -> None:
    """Answer without filing anything: no update, no review entry, and an open reminder stays open."""
    if kind is Kind.near_help:
        Help().handle(ctx)
        return
    text = answer(kind, ctx.text)
    target = _answered_reminder(ctx)
    if target is not None:
        text += "\n" + _("“{title}”的提醒仍有效，请直接回复本期进展。").format(title=target.title)
    ctx.reply(text)


def _answered_reminder(ctx: Context) -> obligations.ReplyTarget | None:
    """The report-cycle reminder this private message answers (a reply to it, or the latest one recently sent)."""
    if ctx.message.is_group or ctx.contact is None:
        return None
    window = timedelta(hours=ctx.settings.reply_window_hours)
    return obligations.reply_target(ctx.session, ctx.contact, ctx.message.channel, ctx.message.chat_id,
                                    ctx.message.reply_to_message_id, ctx.now, window)
