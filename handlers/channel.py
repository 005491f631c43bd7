"""`/channel` (渠道): where the bot writes to a contact bound on several channels.

By default (自动) messages go to the channel the contact used last; a contact may choose one
instead, but only a channel they are bound on. `models.services.registry.contact_address`
applies the choice.
"""

from __future__ import annotations

from handlers.commands import normalize, parse_command
from handlers.context import Context
from models.registry import ChannelIdentity
from models.services.registry import identities_of

WORD = "渠道"
LABELS = {"telegram": "Telegram", "wecom": "企业微信", "console": "终端模拟器"}
# What a contact may type after the command → the channel it means; None is 自动 (the last one used).
CHOICES: dict[str, str | None] = {
    "telegram": "telegram", "tg": "telegram", "电报": "telegram", "電報": "telegram",
    "wecom": "wecom", "企业微信": "wecom", "企業微信": "wecom", "企微": "wecom",
    "auto": None, "自动": None, "自動": None, "默认": None, "默認": None,
}
USAGE = "发送“渠道 Telegram”“渠道 企业微信”或“渠道 自动”可更改。"


def requested(text: str) -> str | None:
    """The argument of a channel command ('' for none); None when the text is not one.

    `渠道` alone or followed by a known choice is the command; other text starting with 渠道
    (“渠道建设投入20万元”) stays a progress update.
    """
    command = parse_command(text)
    if command is not None and command.name == "channel":
        return command.args.strip()
    folded = normalize(text)
    if not folded.startswith(WORD):
        return None
    rest = folded[len(WORD):].strip(" \u3000:：")
    return rest if rest == "" or rest.lower() in CHOICES else None


def label(channel: str | None) -> str:
    return LABELS.get(channel or "", channel or "")


class ChooseChannel:
    def matches(self, ctx: Context) -> bool:
        return ctx.contact is not None and ctx.message.callback_data is None and requested(ctx.text) is not None

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None and ctx.contact.id is not None
        argument = requested(ctx.text) or ""
        identities = list(identities_of(ctx.session, ctx.contact.id))
        if not argument:
            ctx.reply(overview(identities, ctx.contact.preferred_channel, ctx.contact.last_channel))
            return
        if argument.lower() not in CHOICES:
            ctx.reply(f"无法识别的渠道“{argument}”。可选：Telegram、企业微信、自动。")
            return
        wanted = CHOICES[argument.lower()]
        if wanted is not None and wanted not in {i.channel for i in identities}:
            ctx.reply(f"您还没有在{label(wanted)}上绑定，不能改为该渠道。"
                      f"已绑定：{_bound(identities)}。请先在{label(wanted)}中发送“绑定 邀请码”。")
            return
        previous = ctx.contact.preferred_channel
        ctx.contact.preferred_channel = wanted
        ctx.session.add(ctx.contact)
        ctx.audit("contact.preferred_channel", f"contact:{ctx.contact.id}", previous=previous, chosen=wanted)
        if wanted is None:
            ctx.reply("好的，以后消息发到您最近使用的渠道。")
        else:
            ctx.reply(f"好的，以后消息发到{label(wanted)}。发送“渠道 自动”可恢复为最近使用的渠道。")


def overview(identities: list[ChannelIdentity], preferred: str | None, last: str | None) -> str:
    """The contact's channels and where messages go now."""
    if preferred:
        current = f"当前：{label(preferred)}（您选择的）"
    else:
        current = "当前：自动（发到您最近使用的渠道" + (f"，目前是{label(last)}）" if last else "）")
    return f"您已绑定的渠道：{_bound(identities)}。\n{current}。\n{USAGE}"


def _bound(identities: list[ChannelIdentity]) -> str:
    names = [label(i.channel) + ("（无法送达）" if i.unreachable_since else "") for i in identities]
    return "、".join(names) or "无"
