"""`pairbot contacts …`: list, show, deactivate, reactivate, unbind and merge contacts — audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Optional, TypeVar

import typer

from bot.cli.common import Group, settings_from

contacts_commands = Group("contacts", "联系人管理：查看、停用、重新启用、解绑聊天账号、合并同一人的多条登记；每次操作记入操作日志。")
T = TypeVar("T")
ContactArg = Annotated[str, typer.Argument(help="联系人编号或姓名（重名时用编号）")]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="原因（必填），记入操作日志")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]


def _in_session(ctx: typer.Context, work: Callable[..., T]) -> T:
    from bot.cli.support import in_session
    from models.services.contacts import ContactError

    return in_session(settings_from(ctx), work, (ContactError,))


@contacts_commands.command("list")
def list_contacts(
    ctx: typer.Context,
    role: Annotated[Optional[str], typer.Option(help="只看这一角色：county、organization 或 admin")] = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="包括已停用的联系人")] = False,
    as_json: JsonOption = False,
) -> None:
    """联系人列表：身份、电话、绑定的聊天账号，是否停用、是否退订。"""
    from models.services import contacts

    if role is not None and role not in ("county", "organization", "admin"):
        raise typer.BadParameter("应为 county、organization 或 admin", param_hint="--role")
    from bot.cli.support import print_listing

    rows = _in_session(ctx, lambda session, _now, _zone: [r.as_dict() for r in contacts.listing(session, role, inactive)])
    print_listing(rows, as_json, f"联系人 {len(rows)} 位", ("编号", "姓名", "身份", "电话", "聊天账号", "状态"),
                  lambda row: (str(row["id"]), row["name"], row["scope"], row["phone"],
                               "\n".join(row["channels"]) or "—",
                               "已停用" if not row["active"] else "已退订" if row["paused"] else "正常"))


@contacts_commands.command("show")
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
    state = "已停用" if not data["active"] else "已退订" if data["paused"] else "正常"
    typer.echo(f"#{data['id']} {data['name']}，{data['scope']}，电话 {data['phone'] or '—'}，{state}")
    for channel in data["channels"]:
        typer.echo(f"  账号 {channel}")
    for line in data["history"]:
        typer.echo(f"  {line}")


def _act(ctx: typer.Context, contact: str, action: Callable[[Any, Any], str]) -> None:
    from models.services import contacts

    typer.echo(_in_session(ctx, lambda session, _now, _zone: action(session, contacts.find(session, contact))))


@contacts_commands.command("deactivate")
def deactivate(ctx: typer.Context, contact: ContactArg, reason: ReasonOption) -> None:
    """停用：不再收到提醒和通知，也不能报送（例如已调离）；历史记录保留。"""
    from models.services import contacts

    def act(session: Any, row: Any) -> str:
        contacts.deactivate(session, row, reason, "cli")
        return f"已停用联系人 {row.name}（#{row.id}）。"

    _act(ctx, contact, act)


@contacts_commands.command("reactivate")
def reactivate(ctx: typer.Context, contact: ContactArg, reason: ReasonOption) -> None:
    """重新启用已停用的联系人。"""
    from models.services import contacts

    def act(session: Any, row: Any) -> str:
        contacts.reactivate(session, row, reason, "cli")
        return f"已重新启用联系人 {row.name}（#{row.id}）。"

    _act(ctx, contact, act)


@contacts_commands.command("unbind")
def unbind(
    ctx: typer.Context,
    contact: ContactArg,
    channel: Annotated[str, typer.Option(help="渠道：telegram、wecom 或 console")],
    account: Annotated[str, typer.Option("--id", help="只解绑这个账号（不填则解绑该渠道的全部账号）")] = "",
) -> None:
    """解绑聊天账号（例如手机号换了人）；该账号之后发来的消息视为未登记。"""
    from models.services import contacts

    def act(session: Any, row: Any) -> str:
        removed = contacts.unbind(session, row, channel, account, "cli")
        return f"已为 {row.name}（#{row.id}）解绑：{'、'.join(removed)}。"

    _act(ctx, contact, act)


@contacts_commands.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="要并入的联系人（编号或姓名），合并后停用")],
    target: Annotated[str, typer.Argument(help="保留的联系人（编号或姓名）")],
) -> None:
    """合并同一个人的两条登记：聊天账号、进展、附件移到保留的联系人，另一条停用。"""
    from models.services import contacts

    def work(session: Any, _now: datetime, _zone: Any) -> str:
        kept, gone = contacts.find(session, target), contacts.find(session, source)
        moved = contacts.merge(session, gone, kept, "cli")
        return (f"已将 {gone.name}（#{gone.id}）并入 {kept.name}（#{kept.id}）：聊天账号 {moved['identities']} 个，"
                f"进展 {moved['updates']} 条，附件 {moved['attachments']} 个。")

    typer.echo(_in_session(ctx, work))


def register(app: typer.Typer) -> None:
    contacts_commands.register(app)
