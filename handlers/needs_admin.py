"""The 项目库 for admins in chat: 待发布, 发布 N, 推送 N [数量] (previewed, then 确认), 关闭需求 N 原因.

Everything is limited to the admin's provinces (`Scope.of`); a need outside them reads as absent.
推送 messages many people, so like a broadcast it is first a preview kept as a PendingQuestion, and
nothing goes out until the admin presses 确认推送 or replies 确认. An admin with both a broadcast
preview and a push preview open answers the newer one with a typed 确认 / 取消.
"""

from __future__ import annotations

import re

from bot.i18n import _
from bot.messages import Button
from handlers.commands import CommandWord, normalize, parse_command
from handlers.context import Context
from handlers.needs import number_and_rest, numbered, word
from models.base import parse_id
from models.projects import OPEN_NEED_STATUSES, Need, NeedStatus
from models.registry import Role
from models.reporting import PendingQuestion
from models.services import broadcast, need_dialog, needs
from models.services.ledger import NotVisible, Scope
from models.services.matching import rank
from models.services.need_dialog import PUSH_PREVIEW
from models.services.need_lists import county_names, drafts_in
from models.services.need_text import field_label, wan_text
from models.services.needs import NeedError

PUSH_PREFIX = "needpush"  # needpush:<question id>:<ok|no>
DEFAULT_TOP = 5
CONFIRM_WORDS = ("确认", "確認", "确认推送", "確認推送", "confirm", "/confirm")  # compared after `word()`
CANCEL_WORDS = ("取消", "cancel", "/cancel")


def _is_admin(ctx: Context) -> bool:
    return ctx.contact is not None and ctx.contact.role == Role.admin


def _actor(ctx: Context) -> str:
    assert ctx.contact is not None
    return f"contact:{ctx.contact.id}"


def _scope(ctx: Context) -> Scope:
    assert ctx.contact is not None
    return Scope.of(ctx.contact)


def _scope_label(scope: Scope) -> str:
    """The admin's provinces as `Scope.label` names them, in the locale in force (names stay as written)."""
    if scope.provinces is None:
        return _("全部省份")
    return _("、").join(scope.provinces) or _("无")


class Drafts(CommandWord):
    """待发布: the drafts in the admin's provinces, oldest first."""

    name, roles = "need_drafts", (Role.admin,)

    @property
    def refusal(self) -> str:  # type: ignore[override]
        return _("“待发布”供管理员查看需求草稿。")

    def act(self, ctx: Context, args: str) -> None:
        rows = drafts_in(ctx.session, _scope(ctx))
        if not rows:
            ctx.reply(_("{scope}目前没有待发布的需求草稿。").format(scope=_scope_label(_scope(ctx))))
            return
        where = county_names(ctx.session, [need.county_id for need in rows])
        lines = "\n".join(_line(need, where.get(need.county_id, "")) for need in rows)
        ctx.reply(_("待发布的需求草稿：\n{lines}\n发送“发布 编号”发布，“关闭需求 编号 原因”关闭。").format(lines=lines))


def _line(need: Need, where: str) -> str:
    amount = _("，约 {amount}").format(amount=wan_text(need.amount_wan)) if need.amount_wan is not None else ""
    return _("#{id} {county} · {field}{amount}：{description}").format(
        id=need.id, county=where, field=field_label(need.field), amount=amount, description=need.description[:60])


class Publish:
    """发布 N: a draft becomes visible to organizations; the reply shows who ranks first."""

    def matches(self, ctx: Context) -> bool:
        return _is_admin(ctx) and numbered(parse_command(ctx.text), "publish_need")

    def handle(self, ctx: Context) -> None:
        number, _rest = number_and_rest(parse_command(ctx.text).args)  # type: ignore[union-attr]
        if number is None:
            ctx.reply(_("请发送“发布 编号”；发送“待发布”查看草稿。"))
            return
        try:
            need = needs.publish(ctx.session, _scope(ctx), number, _actor(ctx), ctx.now, ctx.delivery_ids)
        except (NeedError, NotVisible) as exc:
            ctx.reply(str(exc))
            return
        top = rank(ctx.session, need, DEFAULT_TOP)
        ranking = "\n".join(_("{rank}. {name}（{reasons}）").format(rank=i, name=c.name, reasons=_("；").join(c.reasons))
                            for i, c in enumerate(top, 1)) or _("（暂无匹配的组织）")
        ctx.reply(_("已发布{need}，已通知县联络员。匹配度靠前的组织：\n{ranking}\n"
                    "发送“推送 {id}”把需求推送给前 {top} 家（可写数量，如“推送 {id} 10”）。").format(
            need=needs.need_label(need), ranking=ranking, id=need.id, top=DEFAULT_TOP))


class Push:
    """推送 N [数量]: a preview of who would be messaged; 确认推送 sends (PushConfirm)."""

    def matches(self, ctx: Context) -> bool:
        return _is_admin(ctx) and numbered(parse_command(ctx.text), "push_need")

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        number, rest = number_and_rest(parse_command(ctx.text).args)  # type: ignore[union-attr]
        top = _count(rest)
        try:
            if number is None:
                raise NeedError(_("请发送“推送 编号 [组织数]”，例如“推送 12 5”。"))
            need = needs.visible_need(ctx.session, _scope(ctx), number)
            if need.status not in OPEN_NEED_STATUSES:
                raise NeedError(_("{need}当前为{status}，只有已发布的需求可以推送。").format(
                    need=needs.need_label(need), status=NeedStatus(need.status).label))
            if not 1 <= top <= needs.MAX_PUSH:
                raise NeedError(_("推送的组织数须在 1 到 {most} 之间。").format(most=needs.MAX_PUSH))
        except (NeedError, NotVisible) as exc:
            ctx.reply(str(exc))
            return
        taken = {claim.organization_id for claim in needs.claims_of(ctx.session, number)}
        chosen = [c for c in rank(ctx.session, need, top) if c.organization_id not in taken]
        if not chosen:
            ctx.reply(_("{need}没有可推送的组织（没有匹配的组织，或它们已接单）。").format(need=needs.need_label(need)))
            return
        people = sum(len(needs.contacts_of_organization(ctx.session, c.organization_id)) for c in chosen)
        question = need_dialog.ask(ctx.session, ctx.contact, PUSH_PREVIEW, {"need_id": number, "top": top}, ctx.now)
        names = "\n".join(_("{rank}. {name}（{reasons}）").format(rank=i, name=c.name, reasons=c.tier_label)
                          for i, c in enumerate(chosen, 1))
        ctx.reply(_("推送预览：{need}将发给以下 {n} 家组织（共 {people} 位联络人），附“接单”按钮：\n{names}\n"
                    "点“确认推送”或回复“确认”即发送；回复“取消”放弃。").format(
            need=needs.need_label(need), n=len(chosen), people=people, names=names),
                  [Button(_("确认推送"), f"{PUSH_PREFIX}:{question.id}:ok"),
                   Button(_("取消"), f"{PUSH_PREFIX}:{question.id}:no")])


def _count(rest: str) -> int:
    """The number of organizations after the need's: DEFAULT_TOP when none is written; a negative or huge one
    is kept so that the range check refuses it (“推送 3 -1” must not fall back to the default)."""
    count = re.match(r"([-−])?\s*(\d+)", normalize(rest))
    if count is None:
        return DEFAULT_TOP
    value = int(count.group(2)) if len(count.group(2)) <= 9 else needs.MAX_PUSH + 1
    return -value if count.group(1) else value


class PushConfirm:
    """确认推送 / 取消: the preview's buttons, or 确认 / 取消 typed while the newest preview is a push."""

    def matches(self, ctx: Context) -> bool:
        data = ctx.message.callback_data
        if data is not None:
            return data.startswith(PUSH_PREFIX + ":")
        if not _is_admin(ctx) or word(ctx.text) not in CONFIRM_WORDS + CANCEL_WORDS:
            return False
        question = need_dialog.open_question(ctx.session, ctx.contact, [PUSH_PREVIEW], ctx.now)  # type: ignore
        draft = broadcast.latest_draft(ctx.session, ctx.contact, ctx.now)  # type: ignore[arg-type]
        return question is not None and (draft is None or draft.created_at <= question.created_at)

    def handle(self, ctx: Context) -> None:
        try:
            question, confirm = self._choice(ctx)
            need_dialog.close(ctx.session, question, ctx.now)
            need_id, top = int(question.payload["need_id"]), int(question.payload["top"])
            if not confirm:
                ctx.reply(_("已取消推送需求 #{id}，没有发送任何消息。").format(id=need_id))
                return
            sent = needs.push(ctx.session, _scope(ctx), need_id, top, _actor(ctx), ctx.now, ctx.delivery_ids)
        except (NeedError, NotVisible) as exc:
            ctx.audit("need.push_refused", ctx.message.callback_data or ctx.text, reason=str(exc))
            ctx.reply(str(exc))
            return
        reached = sum(n for _name, n in sent)
        names = _("、").join(name for name, _n in sent)
        ctx.reply(_("已推送需求 #{id} 给 {n} 家组织（{reached} 位联络人可送达）：{names}。组织接单后会请县联络员确认。").format(
            id=need_id, n=len(sent), reached=reached, names=names))

    @staticmethod
    def _choice(ctx: Context) -> tuple[PendingQuestion, bool]:
        assert ctx.contact is not None
        data = ctx.message.callback_data
        if data is None:
            question = need_dialog.open_question(ctx.session, ctx.contact, [PUSH_PREVIEW], ctx.now)
            assert question is not None
            return question, word(ctx.text) in CONFIRM_WORDS
        parts = data.split(":")
        question_id = parse_id(parts[1]) if len(parts) == 3 else None
        if question_id is None or parts[2] not in ("ok", "no"):
            raise NeedError(_("无法识别的按钮，已忽略。"))
        if ctx.contact.role != Role.admin:
            raise NeedError(_("只有管理员可以推送需求。"))
        question = need_dialog.own_question(ctx.session, ctx.contact, question_id, PUSH_PREVIEW, ctx.now)
        return question, parts[2] == "ok"


class CloseNeed:
    """关闭需求 N 原因: a need that will not be taken on; waiting claims and the county are told."""

    def matches(self, ctx: Context) -> bool:
        return _is_admin(ctx) and numbered(parse_command(ctx.text), "close_need")

    def handle(self, ctx: Context) -> None:
        number, reason = number_and_rest(parse_command(ctx.text).args)  # type: ignore[union-attr]
        if number is None or not reason:
            ctx.reply(_("请发送“关闭需求 编号 原因”，例如：关闭需求 12 已由省级财政资金解决。"))
            return
        try:
            need = needs.close_need(ctx.session, _scope(ctx), number, reason, _actor(ctx), ctx.now, ctx.delivery_ids)
        except (NeedError, NotVisible) as exc:
            ctx.reply(str(exc))
            return
        ctx.reply(_("已关闭{need}：{reason}。已通知县联络员和等待确认的组织。").format(
            need=needs.need_label(need), reason=need.close_reason))
