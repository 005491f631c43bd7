"""`pairbot cycles …`: the obligations (报送事项) reminders are sent for, and the defaults `pairbot init` makes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from bot.cli.common import Group, fail, settings_from

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.config import Settings
    from models.services.obligations import Obligation, Occurrence

cycles_commands = Group("cycles", "报送事项（协议截止、月度进展、年度统计…）及其提醒节点：list, add, set, pause, resume。"
                              "每个年度的“YYYY年帮扶协议签订”由 init 和调度器自动创建（9 月 1 日起为次年度）。")
register = cycles_commands.register

NameArg = Annotated[str, typer.Argument(help="事项名称，例如 “月度进展”")]
StagesOption = Annotated[Optional[str], typer.Option(help="截止前几天提醒，逗号分隔，例如 30,14,7,3,1")]
ProvinceOption = Annotated[Optional[list[str]], typer.Option(help="只针对这些省份的结对（可重复）")]
PairingOption = Annotated[Optional[list[int]], typer.Option(help="只针对这些结对编号（可重复）")]
AudienceOption = Annotated[Optional[str], typer.Option(help="提醒谁：organization、county 或 organization,county")]


def create_default_obligations(engine: Engine, settings: Settings, now: datetime | None = None) -> list[str]:
    """`pairbot init`: the current season's agreement deadline, and the `[reminders]` cycles on a new database."""
    from bot.db import unit_of_work
    from models.base import utcnow
    from models.services.seasons import ensure_defaults

    now = now or utcnow()
    with unit_of_work(engine) as session:
        return ensure_defaults(session, settings.reminders, now.astimezone(settings.zone).date(),
                               actor="pairbot init", now=now)


def _audience(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


def _row(obligation: Obligation, upcoming: Occurrence | None) -> dict[str, Any]:
    from models.services.obligations import KIND_LABELS

    return {"name": obligation.name, "kind": obligation.kind, "kind_label": KIND_LABELS[obligation.kind],
            "due": obligation.due_rule, "stages": list(obligation.stages), "provinces": list(obligation.provinces),
            "pairings": list(obligation.pairings), "roles": list(obligation.roles), "active": obligation.active,
            "season": obligation.season,
            "next_period": upcoming.period if upcoming else None,
            "next_due": upcoming.due.isoformat() if upcoming else None,
            "stage_days": {str(s): upcoming.stage_day(s).isoformat() for s in obligation.stages} if upcoming else {}}


def _show(obligation: Obligation, upcoming: Occurrence | None = None) -> str:
    from models.services.obligations import KIND_LABELS
    from models.services.workcalendar import WEEKDAYS_ZH

    state = "" if obligation.active else "（已暂停）"
    text = (f"{obligation.name}{state}：{KIND_LABELS[obligation.kind]}，截止 {obligation.due_rule}，"
            f"提前 {','.join(map(str, obligation.stages))} 天提醒，范围：{obligation.scope_text()}")
    if upcoming is not None:
        days = "、".join(dict.fromkeys(f"{d.month}月{d.day}日" for d in map(upcoming.stage_day, obligation.stages)))
        text += f"；下次截止 {upcoming.due.isoformat()}（周{WEEKDAYS_ZH[upcoming.due.weekday()]}），提醒日 {days}"
    return text


def _edit(ctx: typer.Context, action: str, **kwargs: Any) -> None:
    """Run one obligation verb in a unit of work and print the result; refusals exit 2 with the reason."""
    from bot.db import make_engine, unit_of_work
    from models.services import obligations

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    try:
        with unit_of_work(engine) as session:
            if action == "add":
                result = obligations.add_obligation(session, actor="cli", **kwargs)
            elif action == "set":
                result = obligations.change_obligation(session, actor="cli", **kwargs)
            else:
                result = obligations.set_active(session, kwargs["name"], action == "resume", actor="cli")
    except obligations.ObligationError as exc:
        raise fail(str(exc), 2) from None
    finally:
        engine.dispose()
    typer.echo({"add": "已添加", "set": "已修改", "pause": "已暂停", "resume": "已恢复"}[action] + "：" + _show(result))


@cycles_commands.command("list")
def cycles_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """List every obligation (paused ones too): due rule, stages, scope, and the next due date with its reminder days.

    Due dates on a non-working day move to the next working day, reminder days to the working day
    before. Years chinese-calendar does not know are named at the end (stderr with --json), with
    how to add their holidays ([schedule] holidays or PAIRBOT_SCHEDULE__HOLIDAYS).
    """
    from sqlmodel import Session

    from bot.db import make_engine
    from models.base import utcnow
    from models.services.obligations import load_obligations, next_occurrence
    from models.services.reminders import Policy
    from models.services.workcalendar import years_ahead

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        found = load_obligations(session, active_only=False)
    engine.dispose()
    policy = Policy.from_settings(settings)
    today = policy.today(utcnow())
    upcoming = [next_occurrence(o, today, policy.calendar, policy.zone) for o in found]
    notes = [note.text for note in policy.calendar.calendar_notes(years_ahead(today))]
    if as_json:
        typer.echo(json.dumps([_row(o, u) for o, u in zip(found, upcoming)], ensure_ascii=False, indent=2))
        for note in notes:
            typer.echo(note, err=True)
        return
    if not found:
        typer.echo("还没有报送事项。运行 pairbot init 创建默认事项，或用 pairbot cycles add 添加。")
    for obligation, occurrence in zip(found, upcoming):
        typer.echo(_show(obligation, occurrence))
    for note in notes:
        typer.echo(note)


@cycles_commands.command("add")
def cycles_add(
    ctx: typer.Context,
    name: NameArg,
    kind: Annotated[str, typer.Option(help="agreement（协议截止日）、monthly、quarterly 或 annual")],
    due: Annotated[str, typer.Option(help="agreement: YYYY-MM-DD；monthly/quarterly: end 或 day:N；annual: MM-DD")],
    stages: StagesOption = None,
    province: ProvinceOption = None,
    pairing: PairingOption = None,
    audience: AudienceOption = None,
) -> None:
    """Add an obligation for all active pairings, some provinces, or a list of pairings."""
    from models.services.obligations import ObligationError, parse_stages

    try:
        stage_list = parse_stages(stages) if stages else list(settings_from(ctx).reminders.stages)
    except ObligationError as exc:
        raise fail(str(exc), 2) from None
    _edit(ctx, "add", name=name, kind=kind, due=due, stages=stage_list, provinces=province or [],
          pairings=pairing or [], roles=_audience(audience))


@cycles_commands.command("set")
def cycles_set(
    ctx: typer.Context,
    name: NameArg,
    due: Annotated[Optional[str], typer.Option(help="新的截止日期或规则")] = None,
    stages: StagesOption = None,
    province: ProvinceOption = None,
    pairing: PairingOption = None,
    all_pairings: Annotated[bool, typer.Option("--all-pairings", help="范围改回全部结对")] = False,
    audience: AudienceOption = None,
    rename: Annotated[Optional[str], typer.Option(help="新名称")] = None,
) -> None:
    """Change an obligation's due date or rule, stages, scope, audience or name."""
    from models.services.obligations import ObligationError, parse_stages

    try:
        stage_list = parse_stages(stages) if stages else None
    except ObligationError as exc:
        raise fail(str(exc), 2) from None
    provinces = [] if all_pairings else province
    pairings = [] if all_pairings else pairing
    _edit(ctx, "set", name=name, due=due, stages=stage_list, provinces=provinces, pairings=pairings,
          roles=_audience(audience), new_name=rename)


@cycles_commands.command("pause")
def cycles_pause(ctx: typer.Context, name: NameArg) -> None:
    """Pause: no reminders, digests or summary lines for it until resumed."""
    _edit(ctx, "pause", name=name)


@cycles_commands.command("resume")
def cycles_resume(ctx: typer.Context, name: NameArg) -> None:
    """Resume a paused obligation (only its latest due stage goes out, not the missed ones)."""
    _edit(ctx, "resume", name=name)
