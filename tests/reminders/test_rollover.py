"""Seasons roll over: one agreement deadline per season, made by `init` at any date and by the scheduler on
1 September, never twice (init run again, two writers racing, a renamed or hand-made deadline), on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.config import RemindersSettings
from bot.db import alembic_config, make_engine, unit_of_work
from models.messaging import AuditLog
from models.reporting import Deadline
from models.services import obligations
from models.services.obligations import load_obligations, next_occurrence
from models.services.seasons import current_season, ensure_defaults, ensure_season
from models.services.workcalendar import WorkCalendar
from tests.reminders.world import SHANGHAI, day, local

DEFAULTS = RemindersSettings()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _deadlines(engine: Engine) -> list[tuple[str, int | None, str, list[int]]]:
    with Session(engine) as session:
        rows = session.exec(select(Deadline).order_by(Deadline.id)).all()
        return [(row.name, row.season, row.due_on.isoformat(), list(row.stages)) for row in rows]


def _ensure(engine: Engine, today: str, actor: str = "test") -> list[str]:
    with unit_of_work(engine) as session:
        return ensure_defaults(session, DEFAULTS, day(today), actor=actor, now=local(f"{today} 10:00"))


@pytest.mark.parametrize(("today", "season"), [
    ("2026-01-01", 2026), ("2026-08-31", 2026), ("2026-09-01", 2027), ("2026-11-10", 2027), ("2026-12-31", 2027)])
def test_the_season_of_a_day(today: str, season: int) -> None:
    assert current_season(DEFAULTS, day(today)) == season
    assert current_season(RemindersSettings(agreement_due=""), day(today)) is None


def test_init_in_november_makes_this_years_statistics_and_next_seasons_agreement(engine: Engine) -> None:
    assert _ensure(engine, "2026-11-10") == ["2027年帮扶协议签订", "月度进展", "年度统计"]
    assert _deadlines(engine) == [("2027年帮扶协议签订", 2027, "2027-08-31", [30, 14, 7, 3, 1])]  # not 2026's: past
    with Session(engine) as session:
        found = {o.name: o for o in load_obligations(session)}
    statistics = next_occurrence(found["年度统计"], day("2026-11-10"), WorkCalendar(), SHANGHAI)
    assert statistics is not None and (statistics.period, statistics.due) == ("2026", date(2026, 12, 31))
    assert _ensure(engine, "2026-11-10") == [] and _ensure(engine, "2027-08-31") == []  # again: nothing new
    assert _ensure(engine, "2027-09-01", actor="scheduler") == ["2028年帮扶协议签订"]  # the day after: next season
    assert [row[:3] for row in _deadlines(engine)] == [("2027年帮扶协议签订", 2027, "2027-08-31"),
                                                       ("2028年帮扶协议签订", 2028, "2028-08-31")]
    with Session(engine) as session:
        made = session.exec(select(AuditLog).where(AuditLog.action == "obligation.add")).all()
    assert [(a.actor, a.details["name"]) for a in made][-1] == ("scheduler", "2028年帮扶协议签订")


def test_init_before_the_agreement_day_makes_this_seasons_deadline(engine: Engine) -> None:
    assert _ensure(engine, "2027-03-15")[0] == "2027年帮扶协议签订"
    assert _deadlines(engine)[0][:3] == ("2027年帮扶协议签订", 2027, "2027-08-31")


def test_a_renamed_or_hand_made_seasons_deadline_counts(engine: Engine) -> None:
    _ensure(engine, "2026-11-10")
    with unit_of_work(engine) as session:
        obligations.change_obligation(session, "2027年帮扶协议签订", actor="test", new_name="2027协议（延至9月）",
                                      due="2027-09-15", stages=[7])
        obligations.add_obligation(session, "2028年帮扶协议签订", "agreement", "2028-08-31", [14], actor="test")
    assert _ensure(engine, "2027-05-01") == []  # renamed and re-dated, still 2027's
    assert _ensure(engine, "2027-09-20") == []  # 2028's was added by hand under its name
    assert [(name, season) for name, season, *_ in _deadlines(engine)] == [("2027协议（延至9月）", 2027),
                                                                           ("2028年帮扶协议签订", None)]


def test_no_yearly_deadline_when_agreement_due_is_empty(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert ensure_defaults(session, RemindersSettings(agreement_due=""), day("2026-11-10")) == ["月度进展", "年度统计"]
    assert _deadlines(engine) == []


def test_racing_writers_make_one_deadline(engine: Engine) -> None:
    """init beside a running scheduler, or two schedulers: each in its own transaction at the same moment."""
    writers = 4
    start = threading.Barrier(writers)
    made: list[str | None] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with unit_of_work(engine) as session:
                session.exec(select(Deadline.id)).all()  # each has looked before anyone wrote
                start.wait()
                made.append(ensure_season(session, DEFAULTS, day("2026-11-10"), actor="racer"))
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(made, key=str) == ["2027年帮扶协议签订"] + [None] * (writers - 1)
    assert [row[:2] for row in _deadlines(engine)] == [("2027年帮扶协议签订", 2027)]
    with Session(engine) as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.actor == "racer")).all()) == 1


def test_the_migration_puts_inits_deadlines_in_their_season(tmp_path: Path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config(engine)
    seasons = next(r for r in ScriptDirectory.from_config(config).walk_revisions() if r.doc.startswith("seasons:"))
    command.upgrade(config, seasons.down_revision)  # the schema just before deadlines had seasons
    with engine.begin() as connection:
        for name, due in (("2026年帮扶协议签订", "2026-08-31"), ("2027年帮扶协议签订", "2027-08-31"),
                          ("四川补签", "2027-06-30"), ("2025年帮扶协议签订", "2026-01-31")):
            connection.execute(text("INSERT INTO deadline (name, kind, due_on, stages, scope, active, created_at) "
                                    "VALUES (:name, 'agreement', :due, '[7]', '{}', 1, '2026-01-01 00:00:00')"),
                               {"name": name, "due": due})
    command.upgrade(config, "head")
    assert [(name, season) for name, season, *_ in _deadlines(engine)] == [
        ("2026年帮扶协议签订", 2026), ("2027年帮扶协议签订", 2027), ("四川补签", None), ("2025年帮扶协议签订", None)]
    assert _ensure(engine, "2026-11-10") == []  # 2027's is there already
    engine.dispose()
