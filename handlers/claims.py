"""接单 in chat: organizations take published needs on, counties confirm (确认) or decline (婉拒, with a reason).

Buttons carry only ids — needclaim:<need>, needok:<claim>, needno:<claim> — and every press is
checked by the service against the database (who presses, which county, which state), so forged
or replayed data is refused with a reason. The first confirmation wins; the service tells the other
claimants. 婉拒 without a reason asks for one (a PendingQuestion). 确认 / 取消 typed by an admin
belong to broadcasts and pushes (handlers.broadcast, handlers.needs_admin): here 确认 takes a claim
number, or lists the claims waiting.
"""

from __future__ import annotations

from bot.i18n import N_, _
from bot.messages import Button
from handlers.commands import CommandWord, parse_command
from handlers.context import Context
from handlers.needs import CANCEL_WORDS, current, need_line, number_and_rest, numbered, pairing_asked_since, word
from models.base import parse_id
from models.pairing import Pairing, PairingStatus
from models.projects import Need, NeedClaim
from models.registry import Role
from models.services import need_dialog, needs
from models.services.need_dialog import DECLINE_REASON
from models.services.need_lists import county_names, organization_names
from models.services.needs import CLAIM_PREFIX, CONFIRM_PREFIX, DECLINE_PREFIX, NeedError

UNKNOWN_BUTTON = N_("无法识别的按钮，已忽略。")


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


class Claim:
    """接单: the button under a pushed need or a listed one, or “接单 N”."""

    def matches(self, ctx: Context) -> bool:
        return _pressed_or_written(ctx, (CLAIM_PREFIX,), ("claim",))

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        data = ctx.message.callback_data
        try:
            if data is not None:
                need_id: int | None = _button_id(data, CLAIM_PREFIX)
            else:
                need_id = number_and_rest(parse_command(ctx.text).args)[0]  # type: ignore[union-attr]
            if need_id is None:
                ctx.reply(*open_needs(ctx, _("请回复“接单 编号”。")))
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
        return _pressed_or_written(ctx, (CONFIRM_PREFIX, DECLINE_PREFIX), ("confirm_claim", "decline_claim"))

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
                claim_id, reason = number_and_rest(command.args)
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
    def _confirm(ctx: Context, claim_id: int) -> None:
        assert ctx.contact is not None
        project = needs.confirm(ctx.session, ctx.contact, claim_id, ctx.now, ctx.delivery_ids)
        claim = ctx.session.get(NeedClaim, claim_id)
        need = ctx.session.get(Need, project.need_id)
        pairing = ctx.session.get(Pairing, project.pairing_id)
        org = organization_names(ctx.session, [claim.organization_id]).get(claim.organization_id, "") if claim else ""
        proposed = _("（双方原未结对，已建立拟结对关系。）") if pairing and pairing.status == PairingStatus.proposed else ""
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


def waiting(ctx: Context) -> str:
    """确认 / 婉拒 without a number: the claims waiting for this contact, or that there are none."""
    assert ctx.contact is not None
    claims = needs.pending_claims_for(ctx.session, ctx.contact)
    if not claims:
        return _("目前没有等待您确认的接单。")
    names = organization_names(ctx.session, [claim.organization_id for claim in claims])
    lines = "\n".join(_("接单 {claim}：{organization} → 需求 #{need}").format(
        claim=claim.id, organization=names.get(claim.organization_id, ""), need=claim.need_id) for claim in claims)
    return _("等待您确认的接单：\n{lines}\n请回复“确认 编号”或“婉拒 编号 原因”。").format(lines=lines)


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
