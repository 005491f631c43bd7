"""需求 in chat, for county contacts: a short guided dialog that ends in a draft, then 我的需求, 修改需求, 撤回需求.

“需求 …” (/need, 需求：…) reads what the first message states (`need_text.read_description`) and asks
only for what is missing — the field (buttons), the amount (万元), the beneficiaries (户/人) and the
wanted-by date, the last three skippable — then shows a summary with 保存 / 取消. Everything in one
message needs one confirmation. The dialog is a PendingQuestion (`need_dialog`), so it survives
restarts and works on every channel. A reply is taken as an answer only when it is one
(`need_text.read_answer`); a progress report sent meanwhile is recorded as a report and the contact
is told the draft is still open; anything else is asked again.
"""

from __future__ import annotations

import re
from datetime import date

from bot.i18n import N_, _
from bot.messages import Button
from handlers.chatter import Kind, classify
from handlers.commands import Command, CommandWord, normalize, parse_command
from handlers.context import Context, Handler
from handlers.report import ReportText
from models.base import parse_id, whole_number
from models.messaging import Delivery
from models.projects import Need, NeedStatus
from models.registry import Role
from models.reporting import PendingQuestion
from models.services import need_dialog, needs, reports
from models.services.need_dialog import NEED_DRAFT, Draft
from models.services.need_lists import county_needs, organization_names
from models.services.need_text import Reading, field_choices, field_label, read_answer, read_description, wan_text
from models.services.needs import MAX_DESCRIPTION, NeedError, NeedFields, too_long
from models.services.parsing import FIELD_ORDER

DRAFT_PREFIX = "needdraft"  # needdraft:<question id>:<save|cancel|skip|field>[:<field index>]
# Input vocabulary (compared after `word()`: NFKC, lower case), in Chinese and English.
SAVE_WORDS = ("保存", "儲存", "存草稿", "确定", "確定", "save", "/save")
YES_WORDS = ("确认", "確認", "好", "好的", "是", "是的", "对", "對", "可以", "没问题", "沒問題",
             "yes", "ok", "/confirm", "confirm")  # at the summary only
CANCEL_WORDS = ("取消", "放弃", "放棄", "不要了", "算了", "cancel", "/cancel")
EXAMPLE = N_("冷链仓储设备，约80万元，受益300户，2027年6月底前")
QUESTIONS = {  # the dialog's questions by step; `ask_text(step)` shows them
    "description": N_("请用一句话写明需要什么，例如：{example}。"),
    "field": N_("这项需求属于哪个帮扶领域？请点按钮或回复：{choices}。"),
    "amount": N_("需要多少资金？请回复金额（万元），例如“80万元”；不清楚可回复“跳过”。"),
    "beneficiaries": N_("预计受益多少户或多少人？例如“300户”“1200人”；可回复“跳过”。"),
    "wanted_by": N_("希望什么时候前完成？例如“2027-06-30”“2027年6月底”“6月30日”；可回复“跳过”。"),
}


def word(text: str) -> str:
    """A reply folded for comparing with the word lists above."""
    return normalize(text).lower()


def usage() -> str:
    return _("提交需求请发送“需求 内容”，例如：需求 {example}").format(example=_(EXAMPLE))


def ask_text(step: str) -> str:
    return _(QUESTIONS[step]).format(example=_(EXAMPLE), choices=field_choices())


def today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.settings.zone).date()


# A leading number is an id unless a unit or a decimal part is glued to it: “确认 8万元” and “撤回需求 3.5户” say
# figures, not need or claim numbers.
_LEADING_NUMBER = re.compile(r"\s*(?:编号|編號|No\.?|#)?\s*(\d{1,9})(?!\d)(?![.．]\d)"
                             r"(?![万萬亿億千仟百佰元圆圓块塊户戶人名个個家项項亩畝吨噸斤%％])[\s:：,，]*", re.IGNORECASE)


def number_and_rest(args: str) -> tuple[int | None, str]:
    """“12 新内容” / “#12，新内容” / “编号12” → (12, “新内容”); no leading number → (None, args)."""
    match = _LEADING_NUMBER.match(normalize(args))
    if match is None:
        return None, args.strip()
    return int(match.group(1)), normalize(args)[match.end():].strip()


def numbered(command: Command | None, name: str) -> bool:
    """The command `name` with nothing after it or a number first (“确认 7”, not “确认收到捐款”)."""
    return (command is not None and command.name == name and command.spaced
            and (not command.args or number_and_rest(command.args)[0] is not None))


def amount_text(value: float | None) -> str:
    return wan_text(value) if value is not None else _("未填")


def households_text(n: int) -> str:
    return _("{n} 户").format(n=n)


def people_text(n: int) -> str:
    return _("{n} 人").format(n=n)


def summary(values: NeedFields) -> str:
    people = _("、").join(part for part in (households_text(values.households) if values.households else "",
                                             people_text(values.people) if values.people else "") if part) or _("未填")
    wanted = f"{values.wanted_by:%Y-%m-%d}" if values.wanted_by else _("未填")
    return _("内容：{description}\n领域：{field}\n金额：{amount}\n受益：{people}\n期望完成：{wanted}").format(
        description=values.description, field=field_label(values.field), amount=amount_text(values.amount_wan),
        people=people, wanted=wanted)


def need_line(need: Need, where: str = "") -> str:
    """“#5「冷链仓储设备」产业 · 80 万元 · 草稿” — how lists name a need."""
    amount = f" · {wan_text(need.amount_wan)}" if need.amount_wan is not None else ""
    place = f"{where} · " if where else ""
    return _("#{id}「{title}」{place}{field}{amount} · {status}").format(
        id=need.id, title=need.title, place=place, field=field_label(need.field), amount=amount,
        status=NeedStatus(need.status).label)


def _is_county(ctx: Context) -> bool:
    return ctx.contact is not None and ctx.contact.role == Role.county and ctx.contact.county_id is not None


class CountyWord(CommandWord):
    roles = (Role.county,)

    @property
    def refusal(self) -> str:  # type: ignore[override]
        return _("需求由县联络员提交。社会组织可发送“可接需求”查看已发布的需求，或“供给 领域，省份，金额”登记可提供的帮扶；"
                 "管理员可发送“待发布”查看需求草稿。")


class NeedCommand(CountyWord):
    """需求 …: start the dialog with whatever the first message says (a newer dialog replaces an open one)."""

    name, spaced = "need", True

    def act(self, ctx: Context, args: str) -> None:
        assert ctx.contact is not None
        text = args.strip()
        if len(text) > MAX_DESCRIPTION:
            ctx.reply(too_long(len(text)))
            return
        draft, notes = described(ctx, text) if text else (Draft(), [])
        replaced = need_dialog.open_question(ctx.session, ctx.contact, [NEED_DRAFT], ctx.now) is not None
        question = need_dialog.ask(ctx.session, ctx.contact, NEED_DRAFT, draft.payload(), ctx.now)
        lead = _("之前未保存的需求草稿已放弃，重新开始。") if replaced else ""
        prompt(ctx, question, draft, [lead, *notes])


class NeedDialog:
    """An answer in the 需求 dialog: a button, 保存 / 取消 / 跳过, or a reply made only of answer pieces."""

    def matches(self, ctx: Context) -> bool:
        data = ctx.message.callback_data
        if data is not None:  # anyone's press: checked against the question it names
            return ctx.contact is not None and data.startswith(DRAFT_PREFIX + ":")
        if not _is_county(ctx) or ctx.message.edited or ctx.message.attachments:
            return False
        question = current(ctx)
        if question is None or question.kind != NEED_DRAFT:
            return False
        text = word(ctx.text)
        if text in SAVE_WORDS + CANCEL_WORDS:
            return True
        if text in YES_WORDS:
            return Draft.of(question.payload).step == "confirm"
        if parse_command(ctx.text) is not None:
            return False  # 撤回, 帮助, 确认 7 … are commands of their own; the dialog stays open
        return not text.isdigit() or not pairing_asked_since(ctx, question)

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        try:
            if ctx.message.callback_data is not None:
                self._pressed(ctx, ctx.message.callback_data)
            else:
                self._typed(ctx)
        except NeedError as exc:
            ctx.audit("need.dialog_refused", ctx.message.callback_data or ctx.text[:64], reason=str(exc))
            ctx.reply(str(exc))

    def _pressed(self, ctx: Context, data: str) -> None:
        assert ctx.contact is not None
        parts = data.split(":")
        question_id = parse_id(parts[1]) if len(parts) >= 3 else None  # forged data: "²", past the INTEGER keys
        if question_id is None:
            raise NeedError(_("无法识别的按钮，已忽略。"))
        question = need_dialog.own_question(ctx.session, ctx.contact, question_id, NEED_DRAFT, ctx.now)
        draft, action = Draft.of(question.payload), parts[2]
        if action == "save":
            save(ctx, question, draft)
        elif action == "cancel":
            cancel(ctx, question)
        elif action == "skip":
            advance(ctx, question, draft.answered(Reading(skip=True), draft.step), [])
        elif action == "field" and len(parts) == 4 and whole_number(parts[3], len(FIELD_ORDER) - 1) is not None:
            advance(ctx, question, draft.answered(Reading(fields=(FIELD_ORDER[int(parts[3])],)), draft.step), [])
        else:
            raise NeedError(_("无法识别的按钮，已忽略。"))

    def _typed(self, ctx: Context) -> None:
        assert ctx.contact is not None
        question = current(ctx)
        assert question is not None
        draft, text = Draft.of(question.payload), word(ctx.text)
        if text in CANCEL_WORDS:
            cancel(ctx, question)
        elif text in SAVE_WORDS + YES_WORDS:
            save(ctx, question, draft)
        elif draft.step == "description":
            advance(ctx, question, *described(ctx, ctx.text.strip()))
        else:
            self._answer(ctx, question, draft)

    @staticmethod
    def _answer(ctx: Context, question: PendingQuestion, draft: Draft) -> None:
        reading = read_answer(ctx.text, today(ctx))
        if reading is None:
            if classify(ctx.text) is Kind.report:  # a progress report, not an answer: recorded as one, and said so
                ask = _("回复“保存”保存草稿，“取消”放弃。") if draft.step == "confirm" else \
                    _("{question}回复“取消”可放弃草稿。").format(question=ask_text(draft.step))
                with_note(ctx, ReportText(), _("（以上已作为进展记录。）您的需求草稿还没有保存。{ask}").format(ask=ask))
                return
            prompt(ctx, question, draft, [_("没有看懂这个回答，需求草稿未改动。")])
            return
        reading, problem = need_dialog.bare_answer(reading, draft.step)
        notes = [*reading.problems, problem or "", _one_field(reading)]
        advance(ctx, question, draft.answered(reading, draft.step), notes)


def described(ctx: Context, text: str) -> tuple[Draft, list[str]]:
    """A draft from a description, and what could not be taken from it."""
    reading = read_description(text, today(ctx))
    return need_dialog.first_reading(Draft(description=text), reading), [*reading.problems, _one_field(reading)]


def _one_field(reading: Reading) -> str:
    if len(reading.fields) < 2:
        return ""
    return _("提到了多个领域（{fields}），一项需求请选一个主要领域。").format(
        fields=_("、").join(field_label(field) for field in reading.fields))


def current(ctx: Context) -> PendingQuestion | None:
    """The county contact's open 项目库 question (the 需求 dialog or a 婉拒 reason), the newest first."""
    assert ctx.contact is not None
    if ctx.memo is not None and "need_question" in ctx.memo:
        return ctx.memo["need_question"]  # type: ignore[no-any-return]
    question = need_dialog.open_question(ctx.session, ctx.contact, [NEED_DRAFT, need_dialog.DECLINE_REASON], ctx.now)
    if ctx.memo is not None:
        ctx.memo["need_question"] = question
    return question


def with_note(ctx: Context, handler: Handler, note: str) -> None:
    """Let another handler answer, and add a note to its reply: one message, so the two cannot arrive swapped."""
    before = len(ctx.delivery_ids)
    handler.handle(ctx)
    replies = ctx.delivery_ids[before:]
    delivery = ctx.session.get(Delivery, replies[-1]) if replies else None
    if delivery is None:
        ctx.reply(note)
        return
    delivery.text = f"{delivery.text}\n{note}"
    ctx.session.add(delivery)


def pairing_asked_since(ctx: Context, question: PendingQuestion) -> bool:
    """A bare number answers “which pairing?” (handlers.report) when that question was asked after this one."""
    assert ctx.contact is not None
    pairing = reports.open_question(ctx.session, ctx.contact, reports.CHOOSE_PAIRING)
    return pairing is not None and (pairing.id or 0) > (question.id or 0)


def advance(ctx: Context, question: PendingQuestion, draft: Draft, notes: list[str]) -> None:
    need_dialog.touch(ctx.session, question, draft.payload(), ctx.now)
    prompt(ctx, question, draft, notes)


def prompt(ctx: Context, question: PendingQuestion, draft: Draft, notes: list[str] | tuple[str, ...]) -> None:
    """The next question of the dialog (or the summary with 保存 / 取消), after any notes."""
    lead = "".join(f"{note}\n" for note in notes if note)
    step, qid = draft.step, question.id
    cancel_button = Button(_("取消"), f"{DRAFT_PREFIX}:{qid}:cancel")
    if step == "confirm":
        ctx.reply(lead + _("请核对需求草稿：\n{summary}\n点“保存”存为草稿（管理员发布后社会组织即可接单），点“取消”放弃；"
                           "也可直接回复要改的内容，如“90万元”“领域 教育”“2027年12月底”。").format(
                      summary=summary(draft.values())),
                  [Button(_("保存"), f"{DRAFT_PREFIX}:{qid}:save"), cancel_button])
        return
    text = lead + _known(draft) + _("{question}回复“取消”可放弃。").format(question=ask_text(step))
    if step == "field":
        buttons = [Button(field_label(name), f"{DRAFT_PREFIX}:{qid}:field:{i}") for i, name in enumerate(FIELD_ORDER)]
        ctx.reply(text, [*buttons, cancel_button])
    elif step == "description":
        ctx.reply(text, [cancel_button])
    else:
        ctx.reply(text, [Button(_("跳过"), f"{DRAFT_PREFIX}:{qid}:skip"), cancel_button])


def _known(draft: Draft) -> str:
    parts = [_("领域 {field}").format(field=field_label(draft.field)) if draft.field else "",
             _("金额 {amount}").format(amount=amount_text(draft.amount_wan)) if draft.amount_wan is not None else "",
             _("受益 {people}").format(people=households_text(draft.households)) if draft.households else "",
             _("受益 {people}").format(people=people_text(draft.people)) if draft.people else "",
             _("期望 {day} 前完成").format(day=f"{draft.wanted_by:%Y-%m-%d}") if draft.wanted_by else ""]
    said = _("，").join(part for part in parts if part)
    return _("已记下：{said}。\n").format(said=said) if said else ""


def save(ctx: Context, question: PendingQuestion, draft: Draft) -> None:
    assert ctx.contact is not None
    if draft.step in ("description", "field"):
        prompt(ctx, question, draft, [_("还不能保存：缺少需求内容或帮扶领域。")])
        return
    need = need_dialog.save_draft(ctx.session, ctx.contact, question, today(ctx), ctx.now)
    ctx.reply(_("已保存为草稿：{need}。管理员发布后，社会组织即可接单；有组织接单时会请您确认。\n"
                "发送“我的需求”查看，“修改需求 {id} 新内容”修改，“撤回需求 {id}”撤回。").format(
        need=needs.need_label(need), id=need.id))


def cancel(ctx: Context, question: PendingQuestion) -> None:
    need_dialog.close(ctx.session, question, ctx.now)
    ctx.reply(_("已取消，这条需求没有保存。"))


class MyNeeds(CountyWord):
    """我的需求: the county's needs with their status, and the claims waiting for this contact."""

    name = "my_needs"

    def act(self, ctx: Context, args: str) -> None:
        assert ctx.contact is not None
        rows = county_needs(ctx.session, ctx.contact.county_id)  # type: ignore[arg-type]
        if not rows:
            ctx.reply(_("本县还没有提交需求。{usage}").format(usage=usage()))
            return
        waiting = needs.pending_claims_for(ctx.session, ctx.contact)
        names = organization_names(ctx.session, [claim.organization_id for claim in waiting])
        lines = [need_line(need) for need in rows]
        for claim in waiting:
            lines.append(_("  待您确认：接单 {claim}，{organization}对需求 #{need} 的接单"
                           "（回复“确认 接单{claim}”或“婉拒 接单{claim} 原因”）").format(
                organization=names.get(claim.organization_id, ""), need=claim.need_id, claim=claim.id))
        ctx.reply(_("本县的需求：\n{lines}\n草稿可“修改需求 编号 新内容”或“撤回需求 编号”。").format(lines="\n".join(lines)))


class NumberedWord(CommandWord):
    """A word that acts on a numbered row (撤回需求 N): without a number `missing` answers; a refusal says why."""

    def act(self, ctx: Context, args: str) -> None:
        number, rest = number_and_rest(args)
        if number is None:
            ctx.reply(self.missing(ctx))
            return
        try:
            ctx.reply(self.take(ctx, number, rest))
        except NeedError as exc:
            ctx.reply(str(exc))

    def missing(self, ctx: Context) -> str:
        raise NotImplementedError

    def take(self, ctx: Context, number: int, rest: str) -> str:
        raise NotImplementedError


class EditNeed(CountyWord, NumberedWord):
    """修改需求 N 新内容: a new description (and what it states), or only the pieces written (“修改需求 5 90万元”)."""

    name = "edit_need"

    def missing(self, ctx: Context) -> str:
        return _("用法：修改需求 编号 新内容，例如：修改需求 5 {example}。\n{drafts}").format(
            example=_(EXAMPLE), drafts=_drafts(ctx))

    def take(self, ctx: Context, number: int, rest: str) -> str:
        if not rest:
            return self.missing(ctx)
        try:
            need = self._edit(ctx, number, rest)
        except NeedError as exc:
            raise NeedError(_("{problem}需求未修改。").format(problem=exc)) from exc
        return _("已修改{need}：\n{summary}").format(need=needs.need_label(need), summary=summary(_fields_of(need)))

    @staticmethod
    def _edit(ctx: Context, number: int, rest: str) -> Need:
        assert ctx.contact is not None
        need = ctx.session.get(Need, number)
        if need is None or need.county_id != ctx.contact.county_id:
            raise NeedError(_("没有编号为 {id} 的本县需求。").format(id=number))
        old = _fields_of(need)
        pieces = read_answer(rest, today(ctx))
        if pieces is not None and not pieces.skip:  # only some values: the description stays
            pieces, problem = need_dialog.bare_answer(pieces, "amount")
            reading, description = pieces, old.description
            problems = [*pieces.problems, *([problem] if problem else [])]
        else:
            reading, description = read_description(rest, today(ctx)), rest
            problems = list(reading.problems)
        if problems:
            raise NeedError(problems[0])
        values = NeedFields(reading.field or old.field, description,
                            reading.amount_wan if reading.amount_wan is not None else old.amount_wan,
                            reading.households or old.households, reading.people or old.people,
                            reading.wanted_by or old.wanted_by)
        return needs.edit_draft(ctx.session, ctx.contact, number, needs.check_fields(values, today(ctx)), ctx.now)


def _fields_of(need: Need) -> NeedFields:
    return NeedFields(need.field, need.description, need.amount_wan, need.households, need.people, need.wanted_by)


class WithdrawNeed(CountyWord, NumberedWord):
    """撤回需求 N: the county takes a draft back (published needs are closed by an admin)."""

    name = "withdraw_need"

    def missing(self, ctx: Context) -> str:
        return _("请回复“撤回需求 编号”。\n{drafts}").format(drafts=_drafts(ctx))

    def take(self, ctx: Context, number: int, rest: str) -> str:
        assert ctx.contact is not None
        need = needs.withdraw_draft(ctx.session, ctx.contact, number, ctx.now)
        return _("已撤回{need}。").format(need=needs.need_label(need))


def _drafts(ctx: Context) -> str:
    assert ctx.contact is not None
    rows = needs.drafts_of(ctx.session, ctx.contact)
    if not rows:
        return _("本县目前没有草稿。")
    return _("本县的草稿：\n{lines}").format(lines="\n".join(need_line(need) for need in rows))
