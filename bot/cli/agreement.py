"""`pairbot agreement {record,list}`: signed agreements (帮扶协议) per pairing and season."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

import json

import typer

from bot.i18n import N_, _

from bot.cli.common import Group, fail, settings_from
from models.services.amounts import amount_text


agreement_commands = Group("agreement", N_("帮扶协议：record 登记或修订某年度已签订的协议（登记后该年度的协议提醒即停止）；list 查看。"))
register = agreement_commands.register


@agreement_commands.command("record", N_("登记某年度已签订的帮扶协议；同一结对同一年度再次登记即为修订。"))
def agreement_record(
    ctx: typer.Context,
    organization: Annotated[str, typer.Option(help=_("社会组织的名称"))],
    county: Annotated[str, typer.Option(help=_("县名或 6 位代码"))],
    signed: Annotated[str, typer.Option(help=_("签订日期 YYYY-MM-DD"))],
    amount: Annotated[Optional[float], typer.Option(help=_("协议金额（万元）"))] = None,
    document: Annotated[str, typer.Option(help=_("协议文件的位置或编号（可选）"))] = "",
    season: Annotated[Optional[int], typer.Option(
        help=_("协议年度：满足哪一年 8 月 31 日的截止要求；默认按签订日期（9 月 1 日起签订的算次年）"))] = None,
) -> None:
    """Record a signed agreement for a season; another record for the same pairing and season amends it."""
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services.agreements import AgreementError, record_agreement, result_text

    signed_on = _day(signed, "--signed")
    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    try:
        with unit_of_work(engine) as session:
            result = record_agreement(session, organization, county, signed_on, amount, actor="cli", document=document,
                                      season=season, today=utcnow().astimezone(settings.zone).date())
            text = result_text(result)
    except AgreementError as exc:
        raise fail(_("未登记：{reason}").format(reason=exc), 2) from None
    finally:
        engine.dispose()
    typer.echo(text)


def _day(text: str, option: str) -> date:
    """A YYYY-MM-DD option value; exits 2 with a Chinese message otherwise."""

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise fail(_("{option} 应为 YYYY-MM-DD，例如 2026-08-20，而不是“{text}”").format(option=option, text=text), 2) from None


@agreement_commands.command("list", N_("列出现行的帮扶协议（加 --history 列出全部版本，最新的在前）。"))
def agreement_list(
    ctx: typer.Context,
    organization: Annotated[Optional[str], typer.Option(help=_("只看这个社会组织"))] = None,
    county: Annotated[Optional[str], typer.Option(help=_("只看这个县（县名或 6 位代码）"))] = None,
    season: Annotated[Optional[int], typer.Option(help=_("只看这个协议年度"), min=2000, max=2100)] = None,
    history: Annotated[bool, typer.Option("--history", help=_("也列出被修订取代的旧版本"))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
) -> None:
    """List the current agreements (with --history, every version, newest first)."""
    from sqlmodel import Session

    from bot.db import make_engine
    from models.services.agreements import AgreementError, listing

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            rows = listing(session, organization=organization, county=county, season=season, history=history)
    except AgreementError as exc:
        raise fail(str(exc), 2) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo(_("没有符合条件的帮扶协议。用 pairbot agreement record 登记。"))
    for row in rows:
        typer.echo(_agreement_line(row))


def _agreement_line(row: dict[str, Any]) -> str:
    money = _("协议金额未填") if row["amount_wan"] is None else _("协议金额 {amount} 万元").format(
        amount=amount_text(row["amount_wan"]))
    document = _("，文件 {document}").format(document=row["document"]) if row["document"] else ""
    state = "" if row["current"] else _("（已被 {day} 签订的版本取代）").format(day=row["superseded_by_signed_on"])
    return _("结对 {id} {organization}—{county} {season} 年度：{signed} 签订，{money}{document}{state}").format(
        id=row["pairing_id"], organization=row["organization"], county=row["county"], season=row["season"],
        signed=row["signed_on"], money=money, document=document, state=state)
