"""语言 / /lang: a contact chooses the language of the bot's replies and notices (中文 or English)."""

from __future__ import annotations

from bot.i18n import LOCALE_NAMES, _, normalize, using
from handlers.commands import parse_command
from handlers.context import Context
from models.services.audit import audit


class ChooseLanguage:
    """`语言 English`, `语言 中文`, `/lang en`; without an argument it says the current one and the choices."""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "language"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        choices = " / ".join(LOCALE_NAMES.values())
        wanted = parse_command(ctx.text).args.strip()  # type: ignore[union-attr]
        if not wanted:
            ctx.reply(_("当前语言：{name}。发送“语言 English”或“语言 中文”切换（可选：{choices}）。").format(
                name=LOCALE_NAMES.get(ctx.contact.locale or "", _("默认（中文）")), choices=choices))
            return
        locale = normalize(wanted)
        if locale is None:
            ctx.reply(_("不认识的语言“{wanted}”。可选：{choices}，例如“语言 English”。").format(
                wanted=wanted[:40], choices=choices))
            return
        ctx.contact.locale = locale
        ctx.session.add(ctx.contact)
        audit(ctx.session, ctx.actor, "contact.locale", f"contact:{ctx.contact.id}", locale=locale)
        with using(locale):  # the confirmation already speaks the new language
            ctx.reply(_("好的，今后用中文回复您。") if locale == "zh_CN" else _("好的，今后用英文回复您。"))
