"""`pairbot groups …`: list, tag, set a province, create a WeCom app chat, register a group robot — audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Optional, TypeVar

import typer

from bot.i18n import N_, _, joined

from bot.cli.common import Group, fail, settings_from

groups_commands = Group("groups", N_("群：Telegram 群（机器人入群时自动登记）、企业微信群聊和群机器人；打标签、设省份，"
                                 "供 group:标签 和 province:省份 广播使用；每次操作记入操作日志。"))
T = TypeVar("T")
GroupArg = Annotated[str, typer.Argument(
    help=_("群编号、聊天标识（-100…、appchat:…、机器人名称）或群名；负数的 Telegram 群 id 前加 --，如 tag -- -100123 标签"))]
TagsArg = Annotated[list[str], typer.Argument(help=_("一个或多个标签"))]
ProvinceOption = Annotated[str, typer.Option("--province", help=_("所在省份，全称或简称（四川省 / 四川）"))]
WELCOME = N_("本群已接入结对帮扶助手（{name}）。有关结对帮扶的通知会发到这里。")


def _in_session(ctx: typer.Context, work: Callable[..., T]) -> T:
    from bot.cli.support import in_session
    from models.services.groups import GroupError

    return in_session(settings_from(ctx), work, (GroupError,))


def _described(group: Any) -> str:
    place = f"，{group.province}" if group.province else ""
    tags = joined(group.tags) or _("无")
    return _("群 #{id}（{title}{place}），标签：{tags}").format(
        id=group.id, title=group.title or group.chat_id, place=place, tags=tags)


@groups_commands.command("list", N_("全部群：渠道、聊天标识、群名、省份、标签；群机器人只显示地址的主机名，不显示 key。"))
def list_groups(
    ctx: typer.Context,
    channel: Annotated[Optional[str], typer.Option(help=_("只看这一渠道：telegram、wecom 或 wecom_robot"))] = None,
    inactive: Annotated[bool, typer.Option("--inactive", help=_("包括已退出或已停用的群"))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
) -> None:
    """全部群：渠道、聊天标识、群名、省份、标签；群机器人只显示地址的主机名，不显示 key。"""
    from bot.cli.support import print_listing
    from models.services import groups

    wecom = settings_from(ctx).wecom
    rows = _in_session(ctx, lambda session, _now, _zone: [r.as_dict() for r in groups.listing(
        session, configured=wecom.webhooks, api_base_url=wecom.api_base_url, inactive=inactive, channel=channel)])
    from bot.messages import channel_label

    sources = {"config": _("配置文件"), "database": "pairbot groups add-robot"}
    print_listing(rows, as_json, _("群 {n} 个").format(n=len(rows)),
                  (_("编号"), _("渠道"), _("聊天标识"), _("群名"), _("省份"), _("标签"), _("状态")),
                  lambda row: (str(row["id"]), channel_label(row["channel"]),
                               row["chat_id"] + (f"\n{row['host']}（{sources[row['robot']]}）" if row["robot"] else ""),
                               row["title"], row["province"] or "—", joined(row["tags"]) or "—",
                               _("正常") if row["active"] else _("已停用")))


@groups_commands.command("tag", N_("给群加标签（group:标签 广播会发到带此标签的群）。"))
def tag(ctx: typer.Context, group: GroupArg, tags: TagsArg) -> None:
    """给群加标签（group:标签 广播会发到带此标签的群）。"""
    from models.services import groups

    def work(session: Any, _now: datetime, _zone: Any) -> str:
        return _("已加标签：") + _described(groups.add_tags(session, groups.find_group(session, group), tags, "cli"))

    typer.echo(_in_session(ctx, work))


@groups_commands.command("untag", N_("去掉群的标签。"))
def untag(ctx: typer.Context, group: GroupArg, tags: TagsArg) -> None:
    """去掉群的标签。"""
    from models.services import groups

    def work(session: Any, _now: datetime, _zone: Any) -> str:
        return _("已去掉标签：") + _described(groups.remove_tags(session, groups.find_group(session, group), tags, "cli"))

    typer.echo(_in_session(ctx, work))


@groups_commands.command("set-province", N_("设定群所在的省份：province:省份 广播会发到该群，只负责该省的管理员也能发到该群。"))
def set_province(
    ctx: typer.Context,
    group: GroupArg,
    province: Annotated[str, typer.Argument(help=_("省份全称或简称（四川省 / 四川、广西）；空字符串 \"\" 清除"))],
) -> None:
    """设定群所在的省份：province:省份 广播会发到该群，只负责该省的管理员也能发到该群。"""
    from models.services import groups

    def work(session: Any, _now: datetime, _zone: Any) -> str:
        row = groups.set_province(session, groups.find_group(session, group), province, "cli")
        return (_("已设定省份：") if row.province else _("已清除省份：")) + _described(row)

    typer.echo(_in_session(ctx, work))


@groups_commands.command("create-wecom-chat", N_("通过企业微信接口（appchat/create）创建应用群聊，并登记为群（appchat:群聊id）。首条消息发出后群才会出现在成员的企业微信中：登记时写入一条欢迎消息，由运行中的 pairbot run 或 worker 发送。"))
def create_wecom_chat(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help=_("群名（最多 50 个字）"))],
    owner: Annotated[str, typer.Option("--owner", help=_("群主的企业微信 userid"))],
    member: Annotated[list[str], typer.Option("--member", help=_("成员的企业微信 userid，可重复；含群主至少 2 人"))],
    chat_id: Annotated[Optional[str], typer.Option(
        "--chat-id", help=_("群聊 id（最多 32 个字母或数字）；不填由企业微信生成"))] = None,
    province: ProvinceOption = "",
    tags: Annotated[Optional[list[str]], typer.Option("--tag", help=_("标签，可重复"))] = None,
) -> None:
    """通过企业微信接口（appchat/create）创建应用群聊，并登记为群（appchat:群聊id）。

    首条消息发出后群才会出现在成员的企业微信中：登记时写入一条欢迎消息，由运行中的 pairbot run 或 worker 发送。
    """
    from bot.channels.base import SendError
    from bot.channels.wecom import NAME, create_app_chat
    from bot.cli.support import handed_over
    from bot.i18n import translate_in
    from models.services import groups
    from models.services.outbox import queue_message

    settings = settings_from(ctx)
    name = name.strip()
    if not name or len(name) > 50:
        raise fail(_("--name 应为 1–50 个字的群名"), 2)
    if chat_id is not None and not groups.APPCHAT_ID.match(chat_id):
        raise fail(_("--chat-id 应为最多 32 个字母或数字"), 2)

    def checked(session: Any, _now: datetime, _zone: Any) -> tuple[list[str], str, list[str]]:
        return (groups.app_chat_members(owner, member), groups.province_of(session, province),
                groups.checked_tags(tags or []))

    userlist, full_province, tag_list = _in_session(ctx, checked)
    try:
        created = create_app_chat(settings.wecom, name, owner.strip(), userlist, chat_id)
    except SendError as exc:
        raise fail(_("创建群聊失败：{reason}").format(reason=exc)) from None

    def record(session: Any, _now: datetime, _zone: Any) -> tuple[str, int]:
        row = groups.record_app_chat(session, created, name, "cli", owner=owner.strip(), members=userlist,
                                     province=full_province, tags=tag_list)
        welcome = queue_message(session, NAME, row.chat_id, translate_in(settings.app.locale or None, WELCOME).format(name=name), group_id=row.id,
                                dedupe_key=f"appchat-welcome:{created}")
        return _described(row), welcome.id  # type: ignore[return-value]

    described, welcome_id = _in_session(ctx, record)
    typer.echo(_("已创建企业微信群聊 {chat}，成员 {n} 位。{group}").format(
        chat=f"appchat:{created}", n=len(userlist), group=described))
    typer.echo(_("欢迎消息发出后，群会出现在成员的企业微信中。") + handed_over(settings, [welcome_id]))


@groups_commands.command("add-robot", N_("登记一个群机器人（保存在数据库中，无需修改 config.toml）；同名再次登记即更换地址。"))
def add_robot(
    ctx: typer.Context,
    tag_name: Annotated[str, typer.Argument(metavar="TAG", help=_("机器人名称，也是它的标签（group:名称）"))],
    webhook: Annotated[str, typer.Argument(metavar="WEBHOOK_URL_OR_KEY",
                                           help=_("群机器人的 Webhook 地址，或其中 key= 之后的部分"))],
    province: ProvinceOption = "",
) -> None:
    """登记一个群机器人（保存在数据库中，无需修改 config.toml）；同名再次登记即更换地址。"""
    from models.services import groups

    wecom = settings_from(ctx).wecom

    def work(session: Any, _now: datetime, _zone: Any) -> str:
        row, created = groups.register_robot(session, tag_name, webhook, "cli",
                                             province=groups.province_of(session, province),
                                             configured=wecom.webhooks, api_base_url=wecom.api_base_url)
        host = groups.webhook_host(row.webhook, wecom.api_base_url)
        text = _("已登记群机器人“{name}”（{host}）：{group}") if created else _("已更换群机器人“{name}”的地址（{host}）：{group}")
        return text.format(name=row.chat_id, host=host, group=_described(row))

    typer.echo(_in_session(ctx, work))


def register(app: typer.Typer) -> None:
    groups_commands.register(app)
