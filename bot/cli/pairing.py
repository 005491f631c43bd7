"""`pairbot pairing …`: list, show, add, suspend, resume, end, replace pairings — each with a reason and a day."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Optional, TypeVar

import typer

from bot.i18n import N_, _

from bot.cli.common import Group, fail, settings_from

pairing_commands = Group("pairing", N_("结对关系的调整：新增、暂停、恢复、结束、更换组织；每次调整都记录原因、生效日期和操作人。"))
T = TypeVar("T")

PairingArg = Annotated[str, typer.Argument(help=_("结对编号，或“组织名/县名”（县可写 6 位区划代码）"))]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help=_("原因（必填，最多 500 字），写入结对的变更记录"))]
DateOption = Annotated[Optional[str], typer.Option("--date", help=_("生效日期 YYYY-MM-DD，不晚于今天，不早于 2000-01-01 和上一次变更的生效日期；不填为今天"))]
JsonOption = Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))]


def _day(value: str | None) -> date | None:
    from models.services.pairings import PairingError, parse_day

    try:
        return parse_day(value or "")
    except PairingError as exc:
        raise fail(str(exc), 2) from None


def _in_session(ctx: typer.Context, work: Callable[..., T]) -> T:
    from bot.cli.support import in_session
    from models.services.pairings import PairingError

    return in_session(settings_from(ctx), work, (PairingError,))


def _describe(session: Any, pairing: Any, kind: str = "") -> dict[str, Any]:
    from models.pairing import PairingGroup, PairingStatus
    from models.registry import County, Organization

    org = session.get(Organization, pairing.organization_id)
    county = session.get(County, pairing.county_id)
    group = session.get(PairingGroup, pairing.group_id) if pairing.group_id else None
    return {"id": pairing.id, "organization": org.name if org else "", "province": county.province if county else "",
            "county": county.name if county else "", "status": PairingStatus(pairing.status).label,
            "type": kind, "group": group.name if group else ""}


@pairing_commands.command("list", N_("结对列表，含结对类型（一对一、一对多、多对一、组团式）。"))
def list_pairings(
    ctx: typer.Context,
    province: Annotated[Optional[str], typer.Option(help=_("只看这个省份（全称、简称或繁体）"))] = None,
    county: Annotated[Optional[str], typer.Option(help=_("只看这个县（县名或区划代码）"))] = None,
    organization: Annotated[Optional[str], typer.Option("--org", help=_("只看这个社会组织（全称）"))] = None,
    status: Annotated[Optional[str], typer.Option(
        help=_("只看这个状态：proposed/拟结对、active/结对中、suspended/暂停、ended/已结束（同义词如 已结对 亦可）"))] = None,
    as_json: JsonOption = False,
) -> None:
    """结对列表，含结对类型（一对一、一对多、多对一、组团式）。"""
    from sqlmodel import col, select

    from models.pairing import Pairing
    from models.registry import County, Organization
    from bot.vocabulary import PAIRING_STATUS
    from models.services import pairings
    from models.services.provinces import UnknownProvince, canonical

    def work(session: Any, _now: datetime, _zone: Any) -> list[dict[str, Any]]:
        query = select(Pairing).join(County, col(County.id) == Pairing.county_id).join(
            Organization, col(Organization.id) == Pairing.organization_id)
        if province:
            try:
                query = query.where(County.province == canonical([province])[0])
            except UnknownProvince as exc:
                raise pairings.PairingError(str(exc)) from None
        if county:
            query = query.where((County.name == county) | (County.code == county))
        if organization:
            query = query.where(Organization.name == organization)
        if status:
            wanted = PAIRING_STATUS.read(status)
            if wanted is None:
                raise pairings.PairingError(_("状态“{status}”无法识别（可用：{allowed}）。").format(
                    status=status, allowed=PAIRING_STATUS.allowed()))
            query = query.where(Pairing.status == wanted)
        rows = list(session.exec(query.order_by(County.province, County.name, Pairing.id)).all())
        kinds = pairings.kinds(session, rows)
        return [_describe(session, p, kinds[p.id]) for p in rows]

    from bot.cli.support import print_listing

    rows = _in_session(ctx, work)
    print_listing(rows, as_json, _("结对 {n} 个").format(n=len(rows)),
                  (_("编号"), _("社会组织"), _("省份"), _("县"), _("状态"), _("类型"), _("组团")),
                  lambda row: (str(row["id"]), row["organization"], row["province"], row["county"], row["status"],
                               row["type"], row["group"]))


@pairing_commands.command("show", N_("一个结对的状态、类型和全部变更记录（谁、何时、为何）。"))
def show(ctx: typer.Context, pairing: PairingArg, as_json: JsonOption = False) -> None:
    """一个结对的状态、类型和全部变更记录（谁、何时、为何）。"""
    from models.services import pairings

    def work(session: Any, _now: datetime, zone: Any) -> dict[str, Any]:
        row = pairings.find(session, pairing)
        return {**_describe(session, row, pairings.kinds(session, [row])[row.id]),
                "history": pairings.history_text(session, row.id, zone).splitlines()}

    data = _in_session(ctx, work)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    typer.echo(_("结对 #{id}：{organization} ↔ {province}{county}，{status}，{type}").format(
        id=data["id"], organization=data["organization"], province=data["province"], county=data["county"],
        status=data["status"], type=data["type"]) + (_("（组团：{group}）").format(group=data["group"]) if data["group"] else ""))
    for line in data["history"]:
        typer.echo(f"  {line}")


def _change(ctx: typer.Context, pairing: str, action: str, reason: str, when: str | None) -> None:
    from models.pairing import PairingStatus
    from models.services import pairings

    day = _day(when)

    def work(session: Any, now: datetime, zone: Any) -> str:
        row = pairings.find(session, pairing)
        pairings.change_status(session, row, action, pairings.Change("cli", reason, day), now, zone)
        return _(pairings.DONE[action]).format(id=row.id, status=PairingStatus(row.status).label)

    typer.echo(_in_session(ctx, work))


@pairing_commands.command("suspend", N_("暂停结对：暂停期间不再提醒签协议和报送进展。"))
def suspend(ctx: typer.Context, pairing: PairingArg, reason: ReasonOption, when: DateOption = None) -> None:
    """暂停结对：暂停期间不再提醒签协议和报送进展。"""
    _change(ctx, pairing, "suspend", reason, when)


@pairing_commands.command("resume", N_("恢复暂停的结对。"))
def resume(ctx: typer.Context, pairing: PairingArg, reason: ReasonOption, when: DateOption = None) -> None:
    """恢复暂停的结对。"""
    _change(ctx, pairing, "resume", reason, when)


@pairing_commands.command("activate", N_("确认拟结对（例如项目库接单后新建的结对）为结对中。"))
def activate(ctx: typer.Context, pairing: PairingArg, reason: ReasonOption, when: DateOption = None) -> None:
    """确认拟结对（例如项目库接单后新建的结对）为结对中。"""
    _change(ctx, pairing, "activate", reason, when)


@pairing_commands.command("end", N_("结束结对：历史记录和台账保留。"))
def end(ctx: typer.Context, pairing: PairingArg, reason: ReasonOption, when: DateOption = None) -> None:
    """结束结对：历史记录和台账保留。"""
    _change(ctx, pairing, "end", reason, when)


@pairing_commands.command("add", N_("新增结对（已结束的同一对组织和县会重新启用）；可加入组团。"))
def add(
    ctx: typer.Context,
    organization: Annotated[str, typer.Option("--org", help=_("社会组织全称或统一社会信用代码"))],
    county: Annotated[str, typer.Option(help=_("县名或 6 位区划代码"))],
    reason: ReasonOption,
    when: DateOption = None,
    group: Annotated[str, typer.Option(help=_("组团式帮扶的组团名称（同一县内；首次使用即新建）"))] = "",
    leading: Annotated[bool, typer.Option("--leading", help=_("该组织为组团的牵头单位"))] = False,
) -> None:
    """新增结对（已结束的同一对组织和县会重新启用）；可加入组团。"""
    from models.services import pairings

    day = _day(when)

    def work(session: Any, now: datetime, zone: Any) -> str:
        row = pairings.add(session, organization, county, pairings.Change("cli", reason, day), group=group,
                           leading=leading, now=now, zone=zone)
        return _("已新增结对 #{id}。").format(id=row.id)

    typer.echo(_in_session(ctx, work))


@pairing_commands.command("replace", N_("更换组织：结束原结对，由另一组织与同一县结对（组团中的位置和牵头身份随之转移）。"))
def replace(
    ctx: typer.Context,
    pairing: PairingArg,
    organization: Annotated[str, typer.Option("--org", help=_("接替的社会组织全称或统一社会信用代码"))],
    reason: ReasonOption,
    when: DateOption = None,
) -> None:
    """更换组织：结束原结对，由另一组织与同一县结对（组团中的位置和牵头身份随之转移）。"""
    from models.services import pairings

    day = _day(when)

    def work(session: Any, now: datetime, zone: Any) -> str:
        row = pairings.find(session, pairing)
        successor = pairings.replace(session, row, organization, pairings.Change("cli", reason, day), now, zone)
        return _("结对 #{id} 已结束，由结对 #{successor} 接替。").format(id=row.id, successor=successor.id)

    typer.echo(_in_session(ctx, work))


def register(app: typer.Typer) -> None:
    pairing_commands.register(app)
