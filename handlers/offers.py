"""供给 in chat, for organization contacts: “供给 教育，四川、云南，200万元”, 我的供给, 撤回供给 N."""

from __future__ import annotations

from bot.i18n import _
from handlers.commands import CommandWord
from handlers.context import Context
from handlers.needs import NumberedWord
from models.registry import Role
from models.services import offers
from models.services.need_text import field_choices, fields_in, field_label, read_amount
from models.services.needs import MAX_DESCRIPTION, NeedError


def usage() -> str:
    return _("登记供给请发送“供给 领域，省份，金额”，例如：供给 教育，四川、云南，200万元。\n"
             "领域：{choices}；省份不写或写“全国”表示不限；金额为可提供的帮扶能力（万元），可不写。").format(
        choices=field_choices())


class OrganizationWord(CommandWord):
    roles = (Role.organization,)

    @property
    def refusal(self) -> str:  # type: ignore[override]
        return _("供给由社会组织联络人登记。县联络员可发送“需求 内容”提交需求。")


class OfferCommand(OrganizationWord):
    """供给 …: one offer per field named, for the provinces named (none: 全国), with the capacity stated."""

    name, spaced = "offer", True

    def act(self, ctx: Context, args: str) -> None:
        assert ctx.contact is not None
        text = args.strip()
        if not text:
            ctx.reply(usage())
            return
        if len(text) > MAX_DESCRIPTION:
            ctx.reply(_("内容过长（{length} 字），请控制在 {most} 字以内。").format(length=len(text), most=MAX_DESCRIPTION))
            return
        capacity, problem = read_amount(text)
        try:
            if problem:
                raise NeedError(problem)
            provinces = offers.provinces_written(text)
            done = offers.register_offers(ctx.session, ctx.contact, fields_in(text), provinces, capacity, text,
                                          ctx.now)
        except NeedError as exc:
            ctx.reply(_("{problem}供给未登记。\n{usage}").format(problem=exc, usage=usage()))
            return
        created = [row for row, new in done if new]
        updated = [row for row, new in done if not new]
        parts = []
        if created:
            parts.append(_("已登记供给：\n{offers}").format(offers="\n".join(offers.describe(row) for row in created)))
        if updated:  # the same organization, field and provinces: the offer is updated, never made twice
            parts.append(_("已更新贵组织已有的供给（同一领域、同样的服务省份）：\n{offers}").format(
                offers="\n".join(offers.describe(row) for row in updated)))
        row = done[0][0]
        ctx.reply(_("{offers}\n（服务省份：{provinces}）匹配的需求发布后会推送给贵组织。"
                    "发送“我的供给”查看，“撤回供给 {id}”撤回。").format(
            offers="\n".join(parts), provinces=offers.provinces_text(row.provinces), id=row.id))


class MyOffers(OrganizationWord):
    name = "my_offers"

    def act(self, ctx: Context, args: str) -> None:
        assert ctx.contact is not None
        rows = offers.offers_of(ctx.session, ctx.contact)
        if not rows:
            ctx.reply(_("贵组织还没有登记供给。{usage}").format(usage=usage()))
            return
        ctx.reply(_("贵组织的供给：\n{offers}\n撤回请发送“撤回供给 编号”。").format(
            offers="\n".join(offers.describe(row) for row in rows)))


class WithdrawOffer(OrganizationWord, NumberedWord):
    name = "withdraw_offer"

    def missing(self, ctx: Context) -> str:
        return _("请发送“撤回供给 编号”；发送“我的供给”查看编号。")

    def take(self, ctx: Context, number: int, rest: str) -> str:
        assert ctx.contact is not None
        row = offers.withdraw_offer(ctx.session, ctx.contact, number, ctx.now)
        return _("已撤回供给 #{id}（{field}），不再用于匹配需求。").format(id=row.id, field=field_label(row.field))
