"""`pairbot contacts …`: list, show, deactivate, reactivate, unbind and merge contacts — audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Optional, TypeVar

import typer

from bot.i18n import N_, _, joined

from bot.cli.common import Group, settings_from

contacts_commands = Group("contacts", N_("联系人管理：查看、停用、重新启用、解绑聊天账号、合并同一人的多条登记；每次操作记入操作日志。"))
T = TypeVar("T")
ContactArg = Annotated[str, typer.Argument(help=_("联系人编号或姓名（重名时用编号）"))]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help=_("原因（必填），记入操作日志"))]
JsonOption = Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))]


def _in_session(ctx: typer.Context, work: Callable[..., T]) -> T:
    from bot.cli.support import in_session
    from models.services.contacts import ContactError

    return in_session(settings_from(ctx), work, (ContactError,))


@contacts_commands.command("list", N_("联系人列表：身份、电话、绑定的聊天账号，是否停用、是否退订。"))
def list_contacts(
    ctx: typer.Context,
    role: Annotated[Optional[str], typer.Option(help=_("只看这一角色：county、organization 或 admin"))] = None,
    inactive: Annotated[bool, typer.Option("--inactive", help=_("包括已停用的联系人"))] = False,
    as_json: JsonOption = False,
) -> None:
    """联系人列表：身份、电话、绑定的聊天账号，是否停用、是否退订。"""
    from models.services import contacts

    if role is not None and role not in ("county", "organization", "admin"):
        raise typer.BadParameter(_("应为 county、organization 或 admin"), param_hint="--role")
    from bot.cli.support import print_listing

    rows = _in_session(ctx, lambda session, _now, _zone: [r.as_dict() for r in contacts.listing(session, role, inactive)])
    print_listing(rows, as_json, _("联系人 {n} 位").format(n=len(rows)),
                  (_("编号"), _("姓名"), _("身份"), _("电话"), _("聊天账号"), _("状态")),
                  lambda row: (str(row["id"]), row["name"], row["scope"], row["phone"],
                               "\n".join(row["channels"]) or "—", _state(row)))


def _state(row: dict[str, Any]) -> str:
    return _("已停用") if not row["active"] else _("已退订") if row["paused"] else _("正常")


@contacts_commands.command("show", N_("一位联系人的登记信息、聊天账号和最近的操作记录。"))
def show(ctx: typer.Context, contact: ContactArg, as_json: JsonOption = False) -> None:
    """一位联系人的登记信息、聊天账号和最近的操作记录。"""
    from sqlmodel import col, select

    from models.messaging import AuditLog
    from models.services import contacts

    def work(session: Any, _now: datetime, zone: Any) -> dict[str, Any]:
        row = contacts.find(session, contact)
        history = session.exec(select(AuditLog).where(AuditLog.target == f"contact:{row.id}")
                               .order_by(col(AuditLog.id).desc()).limit(20)).all()
        return {**contacts.row_of(session, row).as_dict(),
                "history": [f"{a.at.astimezone(zone):%Y-%m-%d %H:%M} {a.action} {a.actor}" for a in history]}

    data = _in_session(ctx, work)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    typer.echo(_("#{id} {name}，{scope}，电话 {phone}，{state}").format(
        id=data["id"], name=data["name"], scope=data["scope"], phone=data["phone"] or "—", state=_state(data)))
    for channel in data["channels"]:
        typer.echo("  " + _("账号 {account}").format(account=channel))
    for line in data["history"]:
        typer.echo(f"  {line}")


def _act(ctx: typer.Context, contact: str, action: Callable[[Any, Any], str]) -> None:
    from models.services import contacts

    typer.echo(_in_session(ctx, lambda session, _now, _zone: action(session, contacts.find(session, contact))))


@contacts_commands.command("deactivate", N_("停用：不再收到提醒和通知，也不能报送（例如已调离）；历史记录保留。"))
def deactivate(ctx: typer.Context, contact: ContactArg, reason: ReasonOption) -> None:
    """停用：不再收到提醒和通知，也不能报送（例如已调离）；历史记录保留。"""
    from models.services import contacts

    def act(session: Any, row: Any) -> str:
        contacts.deactivate(session, row, reason, "cli")
        return _("已停用联系人 {name}（#{id}）。").format(name=row.name, id=row.id)

    _act(ctx, contact, act)


@contacts_commands.command("reactivate", N_("重新启用已停用的联系人。"))
def reactivate(ctx: typer.Context, contact: ContactArg, reason: ReasonOption) -> None:
    """重新启用已停用的联系人。"""
    from models.services import contacts

    def act(session: Any, row: Any) -> str:
        contacts.reactivate(session, row, reason, "cli")
        return _("已重新启用联系人 {name}（#{id}）。").format(name=row.name, id=row.id)

    _act(ctx, contact, act)


@contacts_commands.command("unbind", N_("解绑聊天账号（例如手机号换了人）；该账号之后发来的消息视为未登记。"))
def unbind(
    ctx: typer.Context,
    contact: ContactArg,
    channel: Annotated[str, typer.Option(help=_("渠道：telegram、wecom 或 console"))],
    account: Annotated[str, typer.Option("--id", help=_("只解绑这个账号（不填则解绑该渠道的全部账号）"))] = "",
) -> None:
    """解绑聊天账号（例如手机号换了人）；该账号之后发来的消息视为未登记。"""
    from models.services import contacts

    def act(session: Any, row: Any) -> str:
        removed = contacts.unbind(session, row, channel, account, "cli")
        return _("已为 {name}（#{id}）解绑：{accounts}。").format(name=row.name, id=row.id, accounts=joined(removed))

    _act(ctx, contact, act)


@contacts_commands.command("merge", N_("合并同一个人的两条登记：聊天账号、进展、附件移到保留的联系人，另一条停用。"))
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help=_("要并入的联系人（编号或姓名），合并后停用"))],
    target: Annotated[str, typer.Argument(help=_("保留的联系人（编号或姓名）"))],
) -> None:
    """合并同一个人的两条登记：聊天账号、进展、附件移到保留的联系人，另一条停用。"""
    from models.services import contacts

    def work(session: Any, _now: datetime, _zone: Any) -> str:
        kept, gone = contacts.find(session, target), contacts.find(session, source)
        moved = contacts.merge(session, gone, kept, "cli")
        return _("已将 {gone}（#{gone_id}）并入 {kept}（#{kept_id}）：聊天账号 {identities} 个，进展 {updates} 条，"
                 "附件 {attachments} 个。").format(gone=gone.name, gone_id=gone.id, kept=kept.name, kept_id=kept.id,
                                                 identities=moved["identities"], updates=moved["updates"],
                                                 attachments=moved["attachments"])

    typer.echo(_in_session(ctx, work))


def register(app: typer.Typer) -> None:
    contacts_commands.register(app)
