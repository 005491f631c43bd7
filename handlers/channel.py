"""`/channel` (渠道): where the bot writes to a contact bound on several channels.

By default (自动) messages go to the channel the contact used last; a contact may choose one
instead, but only a channel they are bound on. `models.services.registry.contact_address`
applies the choice.
"""

from __future__ import annotations

from bot.i18n import N_, _
from handlers.commands import normalize, parse_command
from handlers.context import Context
from models.registry import ChannelIdentity
from models.services.registry import identities_of

WORD = "渠道"
_MAX_CHOICE = 8  # characters of a word after 渠道 still taken for a choice of channel
LABELS = {"telegram": "Telegram", "wecom": N_("企业微信"), "console": N_("终端模拟器"), "wecom_robot": N_("企业微信群机器人")}
# What a contact may type after the command → the channel it means; None is 自动 (the last one used).
CHOICES: dict[str, str | None] = {
    "telegram": "telegram", "tg": "telegram", "电报": "telegram", "電報": "telegram",
    "wecom": "wecom", "企业微信": "wecom", "企業微信": "wecom", "企微": "wecom",
    "auto": None, "自动": None, "自動": None, "默认": None, "默認": None,
}
USAGE = N_("发送“渠道 Telegram”“渠道 企业微信”或“渠道 自动”可更改。")


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
    after = folded[len(WORD):]
    rest = after.strip(" \u3000:：")
    if rest == "" or rest.lower() in CHOICES:
        return rest
    # "渠道 火星": one short word set apart from 渠道 is an unknown choice, answered as such; a sentence is not.
    if after[:1] in " \u3000:：" and len(rest) <= _MAX_CHOICE and not any(ch.isdigit() or ch.isspace() for ch in rest):
        return rest
    return None


def label(channel: str | None) -> str:
    """A channel's name as people know it, in the locale in force (企业微信, not wecom)."""
    return _(LABELS[channel]) if channel in LABELS else channel or ""


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
            ctx.reply(_("无法识别的渠道“{argument}”。可选：Telegram、企业微信、自动。").format(argument=argument))
            return
        wanted = CHOICES[argument.lower()]
        if wanted is not None and wanted not in {i.channel for i in identities}:
            ctx.reply(_("您还没有在{channel}上绑定，不能改为该渠道。已绑定：{bound}。请先在{channel}中发送“绑定 邀请码”。")
                      .format(channel=label(wanted), bound=_bound(identities)))
            return
        previous = ctx.contact.preferred_channel
        ctx.contact.preferred_channel = wanted
        ctx.session.add(ctx.contact)
        ctx.audit("contact.preferred_channel", f"contact:{ctx.contact.id}", previous=previous, chosen=wanted)
        if wanted is None:
            ctx.reply(_("好的，以后消息发到您最近使用的渠道。"))
        else:
            ctx.reply(_("好的，以后消息发到{channel}。发送“渠道 自动”可恢复为最近使用的渠道。").format(channel=label(wanted)))


def overview(identities: list[ChannelIdentity], preferred: str | None, last: str | None) -> str:
    """The contact's channels and where messages go now."""
    if preferred:
        current = _("当前：{channel}（您选择的）。").format(channel=label(preferred))
    elif last:
        current = _("当前：自动（发到您最近使用的渠道，目前是{channel}）。").format(channel=label(last))
    else:
        current = _("当前：自动（发到您最近使用的渠道）。")
    return _("您已绑定的渠道：{bound}。").format(bound=_bound(identities)) + f"\n{current}\n" + _(USAGE)


def _bound(identities: list[ChannelIdentity]) -> str:
    names = [_("{channel}（无法送达）").format(channel=label(i.channel)) if i.unreachable_since else label(i.channel)
             for i in identities]
    return _("、").join(names) or _("无")
