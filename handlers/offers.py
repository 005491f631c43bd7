"""供给 in chat, for organization contacts: “供给 教育，四川、云南，200万元”, 我的供给, 撤回供给 N."""

from __future__ import annotations

from handlers.commands import CommandWord
from handlers.context import Context
from handlers.needs import NumberedWord
from models.registry import Role
from models.services import offers
from models.services.need_text import fields_in, read_amount
from models.services.needs import MAX_DESCRIPTION, NeedError
from models.services.parsing import FIELD_ORDER
from models.services.provinces import nationwide, provinces_in, short_names

USAGE = (f"登记供给请发送“供给 领域，省份，金额”，例如：供给 教育，四川、云南，200万元。\n"
         f"领域：{'、'.join(FIELD_ORDER)}；省份不写或写“全国”表示不限；金额为可提供的帮扶能力（万元），可不写。")


class OrganizationWord(CommandWord):
    roles = (Role.organization,)
    refusal = "供给由社会组织联络人登记。县联络员可发送“需求 内容”提交需求。"


class OfferCommand(OrganizationWord):
    """供给 …: one offer per field named, for the provinces named (none: 全国), with the capacity stated."""

    name, spaced = "offer", True

    def act(self, ctx: Context, args: str) -> None:
        assert ctx.contact is not None
        text = args.strip()
        if not text:
            ctx.reply(USAGE)
            return
        if len(text) > MAX_DESCRIPTION:
            ctx.reply(f"内容过长（{len(text)} 字），请控制在 {MAX_DESCRIPTION} 字以内。")
            return
        capacity, problem = read_amount(text)
        try:
            if problem:
                raise NeedError(problem)
            provinces = [] if nationwide(text) else provinces_in(text)
            rows = offers.create_offers(ctx.session, ctx.contact, fields_in(text), provinces, capacity, text, ctx.now)
        except NeedError as exc:
            ctx.reply(f"{exc}供给未登记。\n{USAGE}")
            return
        listed = "\n".join(offers.describe(row) for row in rows)
        ctx.reply(f"已登记供给：\n{listed}\n（服务省份：{short_names(rows[0].provinces)}）匹配的需求发布后会推送给贵组织。"
                  f"发送“我的供给”查看，“撤回供给 {rows[0].id}”撤回。")


class MyOffers(OrganizationWord):
    name = "my_offers"

    def act(self, ctx: Context, args: str) -> None:
        assert ctx.contact is not None
        rows = offers.offers_of(ctx.session, ctx.contact)
        if not rows:
            ctx.reply(f"贵组织还没有登记供给。{USAGE}")
            return
        ctx.reply("贵组织的供给：\n" + "\n".join(offers.describe(row) for row in rows) + "\n撤回请发送“撤回供给 编号”。")


class WithdrawOffer(OrganizationWord, NumberedWord):
    name = "withdraw_offer"

    def missing(self, ctx: Context) -> str:
        return "请发送“撤回供给 编号”；发送“我的供给”查看编号。"

    def take(self, ctx: Context, number: int, rest: str) -> str:
        assert ctx.contact is not None
        row = offers.withdraw_offer(ctx.session, ctx.contact, number, ctx.now)
        return f"已撤回供给 #{row.id}（{row.field}），不再用于匹配需求。"
