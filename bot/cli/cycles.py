"""`pairbot cycles …`: the obligations (报送事项) reminders are sent for, and the defaults `pairbot init` makes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from bot.i18n import N_, _, joined

from bot.cli.common import Group, fail, settings_from

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.config import Settings
    from models.services.obligations import Obligation, Occurrence

cycles_commands = Group("cycles", N_("报送事项（协议截止、月度进展、年度统计…）及其提醒节点：list、add、set、pause、resume。"
                                 "每个年度的“YYYY年帮扶协议签订”由 init 和调度器自动创建（9 月 1 日起为次年度）。"))
register = cycles_commands.register

NameArg = Annotated[str, typer.Argument(help=_("事项名称，例如“月度进展”"))]
StagesOption = Annotated[Optional[str], typer.Option(help=_("截止前几天提醒，逗号分隔，例如 30,14,7,3,1"))]
ProvinceOption = Annotated[Optional[list[str]], typer.Option(help=_("只针对这些省份的结对（可重复）"))]
PairingOption = Annotated[Optional[list[int]], typer.Option(help=_("只针对这些结对编号（可重复）"))]
AudienceOption = Annotated[Optional[str], typer.Option(help=_("提醒谁：organization、county 或 organization,county"))]


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


def _due_rule_text(rule: str) -> str:
    """The stored rule as people read it: end → 期末最后一天, day:5 → 下期第 5 天, 12-31 → 每年 12-31."""
    if rule == "end":
        return _("期末最后一天")
    if rule.startswith("day:"):
        return _("下期第 {n} 天").format(n=rule.removeprefix("day:"))
    if len(rule) == 5:
        return _("每年 {day}").format(day=rule)
    return rule


def _show(obligation: Obligation, upcoming: Occurrence | None = None) -> str:
    from models.services.obligations import KIND_LABELS
    from models.services.workcalendar import weekday_name

    state = "" if obligation.active else _("（已暂停）")
    text = _("{name}{state}：{kind}，截止 {due}，提前 {stages} 天提醒，范围：{scope}").format(
        name=obligation.name, state=state, kind=_(KIND_LABELS[obligation.kind]), due=_due_rule_text(obligation.due_rule),
        stages=",".join(map(str, obligation.stages)), scope=obligation.scope_text())
    if upcoming is not None:
        days = joined(dict.fromkeys(_("{month}月{day}日").format(month=d.month, day=d.day)
                                      for d in map(upcoming.stage_day, obligation.stages)))
        text += _("；下次截止 {due}（{weekday}），提醒日 {days}").format(
            due=upcoming.due.isoformat(), weekday=weekday_name(upcoming.due), days=days)
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
    done = {"add": N_("已添加"), "set": N_("已修改"), "pause": N_("已暂停"), "resume": N_("已恢复")}[action]
    typer.echo(_("{done}：{obligation}").format(done=_(done), obligation=_show(result)))


@cycles_commands.command("list", N_("列出全部报送事项（含已暂停的）：截止规则、提醒节点、范围、下次截止日期和提醒日。截止日遇非工作日顺延到下一个工作日，提醒日提前到前一个工作日。节假日库（chinese-calendar）尚不认识的年份列在最后（加 --json 时在标准错误），并说明如何补充节假日（[schedule] holidays 或 PAIRBOT_SCHEDULE__HOLIDAYS）。"))
def cycles_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
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
        typer.echo(_("还没有报送事项。运行 pairbot init 创建默认事项，或用 pairbot cycles add 添加。"))
    for obligation, occurrence in zip(found, upcoming):
        typer.echo(_show(obligation, occurrence))
    for note in notes:
        typer.echo(note)


@cycles_commands.command("add", N_("为全部结对、某些省份或指定结对添加一个报送事项。"))
def cycles_add(
    ctx: typer.Context,
    name: NameArg,
    kind: Annotated[str, typer.Option(help=_("agreement（协议截止日）、monthly、quarterly 或 annual"))],
    due: Annotated[str, typer.Option(help=_("agreement：YYYY-MM-DD；monthly/quarterly：end 或 day:N；annual：MM-DD"))],
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


@cycles_commands.command("set", N_("修改报送事项的截止日期或规则、提醒节点、范围、提醒对象或名称。"))
def cycles_set(
    ctx: typer.Context,
    name: NameArg,
    due: Annotated[Optional[str], typer.Option(help=_("新的截止日期或规则"))] = None,
    stages: StagesOption = None,
    province: ProvinceOption = None,
    pairing: PairingOption = None,
    all_pairings: Annotated[bool, typer.Option("--all-pairings", help=_("范围改回全部结对"))] = False,
    audience: AudienceOption = None,
    rename: Annotated[Optional[str], typer.Option(help=_("新名称"))] = None,
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


@cycles_commands.command("pause", N_("暂停：恢复前不再为它发提醒、摘要或汇总。"))
def cycles_pause(ctx: typer.Context, name: NameArg) -> None:
    """Pause: no reminders, digests or summary lines for it until resumed."""
    _edit(ctx, "pause", name=name)


@cycles_commands.command("resume", N_("恢复已暂停的报送事项（只发最近一个到期的提醒节点，不补发错过的）。"))
def cycles_resume(ctx: typer.Context, name: NameArg) -> None:
    """Resume a paused obligation (only its latest due stage goes out, not the missed ones)."""
    _edit(ctx, "resume", name=name)
