"""供给 in chat, for organization contacts: “供给 教育，四川、云南，200万元”, 我的供给, 撤回供给 N."""

from __future__ import annotations

from handlers.commands import parse_command
from handlers.context import Context
from handlers.needs import number_and_rest
from models.registry import Role
from models.services import offers
from models.services.need_text import fields_in, read_amount
from models.services.needs import MAX_DESCRIPTION, NeedError
from models.services.parsing import FIELD_ORDER
from models.services.provinces import nationwide, provinces_in, short_names

USAGE = (f"登记供给请发送“供给 领域，省份，金额”，例如：供给 教育，四川、云南，200万元。\n"
         f"领域：{'、'.join(FIELD_ORDER)}；省份不写或写“全国”表示不限；金额为可提供的帮扶能力（万元），可不写。")


def _is_organization(ctx: Context) -> bool:
    return ctx.contact is not None and ctx.contact.role == Role.organization and ctx.contact.organization_id is not None


NOT_FOR_YOU = "供给由社会组织联络人登记。县联络员可发送“需求 内容”提交需求。"


class OfferCommand:
    """供给 …: one offer per field named, for the provinces named (none: 全国), with the capacity stated."""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return (ctx.contact is not None and ctx.message.callback_data is None and command is not None
                and command.name == "offer" and command.spaced)

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if not _is_organization(ctx):
            ctx.reply(NOT_FOR_YOU)
            return
        text = parse_command(ctx.text).args.strip()  # type: ignore[union-attr]
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


class MyOffers:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "my_offers"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if not _is_organization(ctx):
            ctx.reply(NOT_FOR_YOU)
            return
        rows = offers.offers_of(ctx.session, ctx.contact)
        if not rows:
            ctx.reply(f"贵组织还没有登记供给。{USAGE}")
            return
        ctx.reply("贵组织的供给：\n" + "\n".join(offers.describe(row) for row in rows) + "\n撤回请发送“撤回供给 编号”。")


class WithdrawOffer:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "withdraw_offer"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if not _is_organization(ctx):
            ctx.reply(NOT_FOR_YOU)
            return
        number, _ = number_and_rest(parse_command(ctx.text).args)  # type: ignore[union-attr]
        if number is None:
            MyOffers().handle(ctx)
            return
        try:
            row = offers.withdraw_offer(ctx.session, ctx.contact, number, ctx.now)
        except NeedError as exc:
            ctx.reply(str(exc))
            return
        ctx.reply(f"已撤回供给 #{row.id}（{row.field}），不再用于匹配需求。")
