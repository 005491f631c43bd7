"""Seasons: the default obligations, and one agreement deadline per season made ahead of time.

A season is the year whose agreement day (`[reminders] agreement_due`, 31 August) an agreement is
due by. The rule:

1. The current season of a day is that day's year up to and including its agreement day, and the
   next year from the day after: on 31 August 2026 it is 2026, from 1 September 2026 it is 2027.
2. The current season's deadline must exist. `pairbot init` (at any date) and the scheduler (on
   its first tick, and again whenever the season changes) create `{season}年帮扶协议签订` when it is
   missing: due on the agreement day of the season's year (moved to a working day as every due
   date is), with `[reminders] agreement_stages`, for every active pairing.
   So the next season's deadline appears on 1 September, eleven months before its first reminder,
   and a past season's deadline is never created: `init` in November 2026 makes 2027's, not 2026's.
3. The year-end statistics need no row per season: the annual cycle `年度统计` has one period per
   year (2026, 2027 …), each reminded and fulfilled on its own.

Once per season however many writers: the row carries its `season`, and the unique index on
(kind, season) and the unique name let only one of two racing inserts through (`init` beside a
running scheduler, two schedulers); the other's INSERT … ON CONFLICT DO NOTHING changes nothing.
A season whose deadline was renamed, re-dated or paused still has it; a deadline added by hand
under the same name counts as that season's. Changes made with `pairbot cycles set` apply to that
season's row only; later seasons take `[reminders] agreement_stages` again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, or_, select

from models.base import upsert_insert, utcnow
from models.reporting import Deadline, ReportCycle
from models.services.audit import audit
from models.services.obligations import AGREEMENT, add_obligation, check_stages, clamped_date


def agreement_day(defaults: Any) -> tuple[int, int] | None:
    """(month, day) of `[reminders] agreement_due`; None when it is empty (no yearly agreement deadline)."""
    if not defaults.agreement_due:
        return None
    month, day = map(int, defaults.agreement_due.split("-"))
    return month, day


def current_season(defaults: Any, today: date) -> int | None:
    """The season whose agreement deadline is the next one due on `today` (rule 1 above)."""
    day = agreement_day(defaults)
    if day is None:
        return None
    return today.year if (today.month, today.day) <= day else today.year + 1


def season_name(season: int) -> str:
    return f"{season}年帮扶协议签订"


def ensure_season(session: Session, defaults: Any, today: date, actor: str,
                  now: datetime | None = None) -> str | None:
    """Create the current season's agreement deadline unless it exists; its name when this call created it."""
    season = current_season(defaults, today)
    if season is None:
        return None
    name = season_name(season)
    found = select(Deadline.id).where(Deadline.kind == AGREEMENT,
                                      or_(Deadline.season == season, Deadline.name == name))  # type: ignore[arg-type]
    if session.exec(found).first() is not None:
        return None
    month, day = agreement_day(defaults)  # type: ignore[misc]
    due = clamped_date(season, month, day)
    stages = list(check_stages(defaults.agreement_stages))
    table = Deadline.__table__  # type: ignore[attr-defined]
    inserted = session.execute(
        upsert_insert(session.get_bind().dialect, table)
        .values(name=name, kind=AGREEMENT, due_on=due, stages=stages, scope={}, active=True, season=season,
                created_at=now or utcnow())
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ).scalar()
    if inserted is None:  # another writer made it first
        return None
    audit(session, actor, "obligation.add", f"deadline:{inserted}", name=name, kind=AGREEMENT, due=due.isoformat(),
          stages=stages, scope={}, season=season)
    return name


def ensure_defaults(session: Session, defaults: Any, today: date, actor: str = "pairbot",
                    now: datetime | None = None) -> list[str]:
    """What `pairbot init` and a leading scheduler make sure of; returns the names of what it created.

    The current season's agreement deadline always; the `[reminders]` cycles (monthly progress,
    year-end statistics) only on a database with no obligations yet.
    """
    fresh = session.exec(select(Deadline.id)).first() is None and session.exec(select(ReportCycle.id)).first() is None
    made = []
    season = ensure_season(session, defaults, today, actor, now)
    if season is not None:
        made.append(season)
    if fresh:
        made += [add_obligation(session, "月度进展", "monthly", defaults.monthly_due, defaults.monthly_stages,
                                actor=actor, now=now).name,
                 add_obligation(session, "年度统计", "annual", defaults.year_end_due, defaults.year_end_stages,
                                actor=actor, now=now).name]
    return made
