"""接单 in chat: organizations take published needs on, counties confirm (确认) or decline (婉拒, with a reason).

Buttons carry only ids — needclaim:<need>, needok:<claim>, needno:<claim> — and every press is
checked by the service against the database (who presses, which county, which state), so forged
or replayed data is refused with a reason. The first confirmation wins; the service tells the other
claimants. 婉拒 without a reason asks for one (a PendingQuestion). 确认 / 取消 typed by an admin
belong to broadcasts and pushes (handlers.broadcast, handlers.needs_admin): here 确认 takes a claim
number, or lists the claims waiting.

Counties see their needs by need number (我的需求, 修改需求 N), so a typed claim number is written
“确认 接单9” in every reply; a bare “确认 N” still takes claim N, unless N is also one of the county's
needs with claims waiting — then the bot asks which claim (buttons, “确认 接单M”) and confirms nothing.
“确认 需求8” always asks. The same holds for 婉拒.
"""

from __future__ import annotations

import re

from bot.i18n import N_, _
from bot.messages import Button
from handlers.commands import Command, CommandWord, normalize, parse_command
from handlers.context import Context
from handlers.needs import CANCEL_WORDS, current, need_line, number_and_rest, numbered, pairing_asked_since, word
from models.base import parse_id
from models.pairing import Pairing, PairingStatus
from models.projects import Need, NeedClaim, NeedStatus
from models.registry import Role
from models.services import need_dialog, needs
from models.services.need_dialog import DECLINE_REASON
from models.services.need_lists import county_names, organization_names
from models.services.needs import CLAIM_PREFIX, CONFIRM_PREFIX, DECLINE_PREFIX, NeedError

UNKNOWN_BUTTON = N_("无法识别的按钮，已忽略。")
# “接单9”, “接单 #9”, “需求8”, “claim 9”: a number said to be a claim's or a need's (after 确认 / 婉拒 / 接单).
_REFERENCE = re.compile(r"\s*(接单|接單|claim|offer|需求|need)\s*(?:编号|編號|no\.?|#)?\s*(\d{1,9})(?![\d.])"
                        r"(?:[\s:：,，]+(.*)|$)", re.IGNORECASE | re.DOTALL)


def _button_id(data: str, prefix: str) -> int:
    number = parse_id(data[len(prefix) + 1:])  # forged button data: "²", or past the INTEGER keys
    if number is None:
        raise NeedError(_(UNKNOWN_BUTTON))
    return number


class OpenNeeds(CommandWord):
    """可接需求: the published needs an organization could take on, each with a 接单 button."""

    name = "open_needs"

    def act(self, ctx: Context, args: str) -> None:
        ctx.reply(*open_needs(ctx))


def open_needs(ctx: Context, lead: str = "") -> tuple[str, list[Button]]:
    assert ctx.contact is not None
    if ctx.contact.role != Role.organization:
        return _("“可接需求”供社会组织联络人查看已发布的需求。"), []
    rows = needs.open_needs_for(ctx.session, ctx.contact)
    if not rows:
        return lead + _("目前没有可接的需求。有新的需求发布并推送给贵组织时会通知您。"), []
    where = county_names(ctx.session, [need.county_id for need in rows])
    lines = "\n".join(need_line(need, where.get(need.county_id, "")) for need in rows)
    buttons = [Button(_("接单 #{id}").format(id=need.id), f"{CLAIM_PREFIX}:{need.id}") for need in rows]
    return lead + _("可接的需求（已结对县优先）：\n{lines}\n点“接单”或回复“接单 编号”。").format(lines=lines), buttons


def _pressed_or_written(ctx: Context, prefixes: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """A press of one of these buttons, or one of these command words with a number or nothing after it."""
    if ctx.contact is None:
        return False
    data = ctx.message.callback_data
    if data is not None:
        return data.startswith(tuple(f"{prefix}:" for prefix in prefixes))
    command = parse_command(ctx.text)
    return any(numbered(command, word) for word in words)


def reference(args: str) -> tuple[str | None, int | None, str]:
    """“接单9 原因” → ("claim", 9, “原因”); “需求8” → ("need", 8, ""); “9 原因” → (None, 9, “原因”); no number → None."""
    match = _REFERENCE.match(normalize(args))
    if match is not None:
        kind = "need" if match.group(1).lower() in ("需求", "need") else "claim"
        return kind, int(match.group(2)), (match.group(3) or "").strip()
    number, rest = number_and_rest(args)
    return None, number, rest


def _referenced(command: Command | None, name: str) -> bool:
    """“确认接单9”, “确认 需求8”, “婉拒 接单9 原因”: the explicit forms, written apart or run together (a 确认
    takes nothing after the number, so “确认需求8户…” stays a report)."""
    if command is None or command.name != name:
        return False
    kind, _number, rest = reference(command.args)
    return kind is not None and (name != "confirm_claim" or not rest)


class Claim:
    """接单: the button under a pushed need or a listed one, or “接单 N”."""

    def matches(self, ctx: Context) -> bool:
        if _pressed_or_written(ctx, (CLAIM_PREFIX,), ("claim",)):
            return True
        command = parse_command(ctx.text) if ctx.contact is not None and ctx.message.callback_data is None else None
        if command is None or command.name != "claim":
            return False
        # “接单 需求8”, or “接单 abc” (no number at all: the usage, not a progress report without figures)
        return _referenced(command, "claim") or (command.spaced and not re.search(r"\d", normalize(command.args)))

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        data = ctx.message.callback_data
        try:
            if data is not None:
                need_id: int | None = _button_id(data, CLAIM_PREFIX)
            else:
                need_id = reference(parse_command(ctx.text).args)[1]  # type: ignore[union-attr]
            if need_id is None:
                ctx.reply(*open_needs(ctx, _("用法：接单 需求编号，例如“接单 12”。\n")))
                return
            claim = needs.claim(ctx.session, ctx.contact, need_id, ctx.now, ctx.delivery_ids)
        except NeedError as exc:
            ctx.audit("need.claim_refused", data or ctx.text[:64], reason=str(exc))
            ctx.reply(str(exc))
            return
        need = ctx.session.get(Need, claim.need_id)
        where = county_names(ctx.session, [need.county_id]).get(need.county_id, "") if need else ""
        ctx.reply(_("已接单：{need}（{county}）。已请县联络员确认，确认后会通知您。").format(
            need=needs.need_label(need) if need else "", county=where))


class ClaimDecision:
    """确认 / 婉拒 a claim: the buttons (needok:<claim>, needno:<claim>) or “确认 N”, “婉拒 N 原因”."""

    def matches(self, ctx: Context) -> bool:
        if _pressed_or_written(ctx, (CONFIRM_PREFIX, DECLINE_PREFIX), ("confirm_claim", "decline_claim")):
            return True
        command = parse_command(ctx.text) if ctx.contact is not None and ctx.message.callback_data is None else None
        return _referenced(command, "confirm_claim") or _referenced(command, "decline_claim")

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        data = ctx.message.callback_data
        try:
            if data is not None:
                confirm = data.startswith(CONFIRM_PREFIX + ":")
                claim_id: int | None = _button_id(data, CONFIRM_PREFIX if confirm else DECLINE_PREFIX)
                reason = ""
            else:
                command = parse_command(ctx.text)
                assert command is not None
                confirm = command.name == "confirm_claim"
                kind, number, reason = reference(command.args)
                claim_id = number if number is None else self._resolve(ctx, kind, number, confirm)
                if number is not None and claim_id is None:
                    return  # asked which claim
            if claim_id is None:
                ctx.reply(waiting(ctx))
            elif confirm:
                self._confirm(ctx, claim_id)
            elif reason:
                decline(ctx, claim_id, reason)
            else:
                self._ask_reason(ctx, claim_id)
        except NeedError as exc:
            ctx.audit("need.decision_refused", data or ctx.text[:64], reason=str(exc))
            ctx.reply(str(exc))

    @staticmethod
    def _resolve(ctx: Context, kind: str | None, number: int, confirm: bool) -> int | None:
        """The claim a typed number means; None after asking which, when the number names one of the county's
        needs with claims waiting (“确认 8” for need #8 must not confirm claim 8 of another need)."""
        assert ctx.contact is not None
        if kind == "claim":
            return number
        need = ctx.session.get(Need, number)
        own = (ctx.contact.role == Role.county and need is not None and need.county_id == ctx.contact.county_id)
        if not own:
            if kind == "need":
                raise NeedError(_("没有编号为 {id} 的本县需求。").format(id=number))
            return number
        pending = needs.pending_claims_for(ctx.session, ctx.contact)
        on_need = [claim for claim in pending if claim.need_id == number]
        as_claim = [claim for claim in pending if claim.id == number and claim.need_id != number]
        if kind is None:
            if [claim.id for claim in on_need] == [number] or not (on_need or as_claim):
                return number  # claim N is need N's only one, or nothing waits under N: the service says why
            if not on_need and need.status in (NeedStatus.draft, NeedStatus.withdrawn):  # type: ignore[union-attr]
                return number  # a need never offered to organizations: N can only be the claim
        elif not on_need:
            raise NeedError(_("需求 #{id} 目前没有等待您确认的接单。").format(id=number))
        _ask_which(ctx, number, [*on_need, *(as_claim if kind is None else [])], confirm)
        return None

    @staticmethod
    def _confirm(ctx: Context, claim_id: int) -> None:
        assert ctx.contact is not None
        project = needs.confirm(ctx.session, ctx.contact, claim_id, ctx.now, ctx.delivery_ids)
        claim = ctx.session.get(NeedClaim, claim_id)
        need = ctx.session.get(Need, project.need_id)
        pairing = ctx.session.get(Pairing, project.pairing_id)
        org = organization_names(ctx.session, [claim.organization_id]).get(claim.organization_id, "") if claim else ""
        proposed = _("（双方原未结对，已建立拟结对关系）") if pairing and pairing.status == PairingStatus.proposed else ""
        ctx.reply(_("已确认由{organization}承接{need}，项目 #{project} 已建立{proposed}。"
                    "已通知{organization}；其他接单的组织也会收到通知。报送进展时可写“项目{project}：…”。").format(
            organization=org, need=needs.need_label(need) if need else "", project=project.id, proposed=proposed))

    @staticmethod
    def _ask_reason(ctx: Context, claim_id: int) -> None:
        assert ctx.contact is not None
        if claim_id not in {claim.id for claim in needs.pending_claims_for(ctx.session, ctx.contact)}:
            raise NeedError(_("接单 {id} 不是等待本县确认的接单（可能已处理）。").format(id=claim_id))
        need_dialog.ask(ctx.session, ctx.contact, DECLINE_REASON, {"claim_id": claim_id}, ctx.now)
        ctx.reply(_("婉拒接单 {id}：请回复婉拒的原因（会转告该组织），例如：已有其他资金安排。回复“取消”则暂不婉拒。").format(
            id=claim_id))


def decline(ctx: Context, claim_id: int, reason: str) -> None:
    assert ctx.contact is not None
    claim = needs.decline(ctx.session, ctx.contact, claim_id, reason, ctx.now, ctx.delivery_ids)
    org = organization_names(ctx.session, [claim.organization_id]).get(claim.organization_id, "")
    ctx.reply(_("已婉拒{organization}对需求 #{need} 的接单，原因已转告：{reason}").format(
        organization=org, need=claim.need_id, reason=claim.reason))


def claim_lines(ctx: Context, claims: list[NeedClaim]) -> str:
    """“接单 9：春晖公益基金会 → 需求 #8「助学金」”, one line per claim: the claim's number with the word 接单."""
    names = organization_names(ctx.session, [claim.organization_id for claim in claims])
    labels = {}
    for claim in claims:
        need = ctx.session.get(Need, claim.need_id)
        labels[claim.id] = needs.need_label(need) if need else f"#{claim.need_id}"
    return "\n".join(_("接单 {claim}：{organization} → {need}").format(
        claim=claim.id, organization=names.get(claim.organization_id, ""), need=labels[claim.id]) for claim in claims)


def waiting(ctx: Context) -> str:
    """确认 / 婉拒 without a number: the claims waiting for this contact, or that there are none."""
    assert ctx.contact is not None
    claims = needs.pending_claims_for(ctx.session, ctx.contact)
    if not claims:
        return _("目前没有等待您确认的接单。")
    return _("等待您确认的接单：\n{lines}\n请回复“确认 接单编号”或“婉拒 接单编号 原因”，例如“确认 接单{example}”。").format(
        lines=claim_lines(ctx, claims), example=claims[0].id)


def _ask_which(ctx: Context, number: int, claims: list[NeedClaim], confirm: bool) -> None:
    """“确认 8” for need #8 with claims waiting (or a number that is need #8 and claim 8 of another need): which claim?"""
    ambiguous = any(claim.need_id != number for claim in claims)
    lead = (_("“{number}”可能指需求 #{number}，也可能指接单 {number}（另一项需求的接单）。为免弄错，请指明接单编号：")
            if ambiguous else _("需求 #{number} 有以下接单等待您答复，请指明接单编号：")).format(number=number)
    if confirm:
        tail = _("请点按钮，或回复“确认 接单编号”，例如“确认 接单{example}”。")
        buttons = [Button(_("确认 接单{id}").format(id=claim.id), f"{CONFIRM_PREFIX}:{claim.id}") for claim in claims]
    else:
        tail = _("请点按钮，或回复“婉拒 接单编号 原因”，例如“婉拒 接单{example} 已有其他资金安排”。")
        buttons = [Button(_("婉拒 接单{id}").format(id=claim.id), f"{DECLINE_PREFIX}:{claim.id}") for claim in claims]
    ctx.audit("need.decision_asked", ctx.text[:64], claims=[claim.id for claim in claims])
    ctx.reply(f"{lead}\n{claim_lines(ctx, claims)}\n" + tail.format(example=claims[0].id), buttons)


class DeclineReason:
    """The answer to “婉拒的原因？”: the next message is the reason; 取消 keeps the claim waiting."""

    def matches(self, ctx: Context) -> bool:
        if ctx.contact is None or ctx.contact.role != Role.county or ctx.message.callback_data is not None:
            return False
        question = current(ctx)
        if question is None or question.kind != DECLINE_REASON or ctx.message.edited:
            return False
        text = word(ctx.text)
        if text in CANCEL_WORDS:
            return True
        if not text or parse_command(ctx.text) is not None:
            return False
        return not (text.isdigit() and pairing_asked_since(ctx, question))

    def handle(self, ctx: Context) -> None:
        question = current(ctx)
        assert question is not None
        need_dialog.close(ctx.session, question, ctx.now)
        claim_id = int(question.payload["claim_id"])
        if word(ctx.text) in CANCEL_WORDS:
            ctx.reply(_("好的，暂不婉拒，接单 {id} 仍等待您确认。").format(id=claim_id))
            return
        try:
            decline(ctx, claim_id, ctx.text)
        except NeedError as exc:
            ctx.reply(str(exc))
