"""Agreements per season: amendments supersede (never add up), re-recording is idempotent, refusals,
season defaulting, and a season's agreement fulfilling only that season's deadline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import make_engine, unit_of_work
from models.messaging import AuditLog
from models.pairing import Agreement, Pairing, PairingStatus
from models.services import agreements
from models.services.agreements import AgreementError, agreement_history, current_agreements, record_agreement
from models.services.registry import set_pairing_status
from models.services.reminders import Policy, plan_reminders
from tests.reminders.world import SHANGHAI, World, agreement_deadline, build_world, local

TODAY = date(2027, 11, 1)  # "today" for the recordings below, so that 2027 signing dates are not in the future
ORG_A, COUNTY_A = "中国社会福利基金会", "布拖县"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _record(engine: Engine, signed: str, amount: float | None = None, *, org: str = ORG_A, county: str = COUNTY_A,
            document: str = "", season: int | None = None, today: date = TODAY) -> agreements.AgreementResult:
    with unit_of_work(engine) as session:
        result = record_agreement(session, org, county, date.fromisoformat(signed), amount, actor="test",
                                  document=document, season=season, today=today)
        session.flush()
        session.expunge_all()  # keep the loaded values readable after the commit
        return result


def _history(engine: Engine, pairing_id: int) -> list[Agreement]:
    with Session(engine) as session:
        return agreement_history(session, pairing_id)


def _audits(engine: Engine, prefix: str = "agreement.") -> list[str]:
    with Session(engine) as session:
        return [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id)).all()
                if a.action.startswith(prefix)]


def test_an_amendment_supersedes_and_is_never_added(engine: Engine, world: World) -> None:
    first = _record(engine, "2026-08-20", 30, document="协议A")
    amended = _record(engine, "2026-08-25", 31)
    assert (first.outcome, amended.outcome) == ("created", "amended")
    assert amended.superseded is not None and amended.superseded.id == first.agreement.id
    assert amended.agreement.document == "协议A"  # an omitted document is kept from the version it replaces
    text = agreements.result_text(amended)
    assert text.startswith("已修订") and "2026-08-20 签订，协议金额 30 万元" in text and "31 万元" in text

    pairing = world.pairings["A"]
    newest, oldest = _history(engine, pairing)
    assert (newest.id, newest.amount_wan, newest.superseded_by_id) == (amended.agreement.id, 31, None)
    assert (oldest.id, oldest.superseded_by_id) == (first.agreement.id, newest.id)
    assert oldest.superseded_at is not None
    with Session(engine) as session:
        current = current_agreements(session, [pairing], season=2026)
        assert [(a.id, a.amount_wan) for a in current] == [(newest.id, 31)]
        assert agreements.current_agreement(session, pairing, 2026).id == newest.id  # type: ignore[union-attr]
        assert agreements.current_agreement(session, pairing, 2027) is None
        assert sum(a.amount_wan or 0 for a in current_agreements(session, season=2026)
                   if a.pairing_id == pairing) == 31  # not 61
    assert _audits(engine) == ["agreement.created", "agreement.amended"]


def test_recording_the_same_thing_again_changes_nothing(engine: Engine, world: World) -> None:
    _record(engine, "2026-08-20", 30, document="协议A")
    for amount, document in ((30, "协议A"), (None, ""), (30, ""), (None, "协议A")):
        again = _record(engine, "2026-08-20", amount, document=document)
        assert again.outcome == "unchanged" and agreements.result_text(again).startswith("已存在，未改动")
    assert len(_history(engine, world.pairings["A"])) == 1
    assert _audits(engine) == ["agreement.created"]
    # A version of another season is a separate agreement, not an amendment.
    other = _record(engine, "2026-09-01", 40)
    assert (other.outcome, other.agreement.season, other.superseded) == ("created", 2027, None)
    with Session(engine) as session:
        assert [(a.season, a.amount_wan) for a in current_agreements(session, [world.pairings["A"]])] == [
            (2026, 30), (2027, 40)]


def test_the_season_defaults_from_the_signing_date(engine: Engine, world: World) -> None:
    assert _record(engine, "2026-08-31", 10).agreement.season == 2026
    assert _record(engine, "2026-09-01", 10).agreement.season == 2027
    late = _record(engine, "2026-09-01", 10, org="中国自动化学会", county="昭觉县", season=2026)  # a late signing
    assert (late.outcome, late.agreement.season) == ("created", 2026)


@pytest.mark.parametrize(("org", "county", "signed", "amount", "season", "message"), [
    ("无此组织", COUNTY_A, "2026-08-20", None, None, "未找到社会组织“无此组织”"),
    (ORG_A, "无此县", "2026-08-20", None, None, "未找到县“无此县”"),
    (ORG_A, "昭觉县", "2026-08-20", None, None, "没有结对关系"),
    (ORG_A, COUNTY_A, "2026-08-20", float("nan"), None, "协议金额应为 0 到 1,000,000 万元"),
    (ORG_A, COUNTY_A, "2026-08-20", float("inf"), None, "协议金额应为"),
    (ORG_A, COUNTY_A, "2026-08-20", -1.0, None, "协议金额应为"),
    (ORG_A, COUNTY_A, "2026-08-20", 1_000_000.5, None, "协议金额应为"),
    (ORG_A, COUNTY_A, "2026-08-20", None, 1999, "不早于 2000 年"),
    (ORG_A, COUNTY_A, "2026-08-20", None, 2028, "相差超过一年"),
    (ORG_A, COUNTY_A, "2026-08-20", None, 2024, "相差超过一年"),
    (ORG_A, COUNTY_A, "2027-11-03", None, None, "晚于今天"),
])
def test_refusals_say_why(engine: Engine, world: World, org: str, county: str, signed: str, amount: float | None,
                          season: int | None, message: str) -> None:
    with pytest.raises(AgreementError, match=message):
        _record(engine, signed, amount, org=org, county=county, season=season)
    with Session(engine) as session:
        assert session.exec(select(Agreement).where(Agreement.pairing_id == world.pairings["A"])).all() == []


def test_the_bounds_themselves_are_accepted(engine: Engine, world: World) -> None:
    assert _record(engine, "2027-11-02", 1_000_000).outcome == "created"  # tomorrow: time zones differ by a day
    assert _record(engine, "2026-08-20", 0).agreement.amount_wan == 0


def test_an_ended_pairing_is_refused(engine: Engine, world: World) -> None:
    with unit_of_work(engine) as session:
        pairing = session.get(Pairing, world.pairings["A"])
        set_pairing_status(session, pairing, PairingStatus.ended, "test")  # type: ignore[arg-type]
    with pytest.raises(AgreementError, match="状态为“已结束”"):
        _record(engine, "2026-08-20", 30)


def _owing(engine: Engine, at: datetime, name: str) -> set[str]:
    with Session(engine) as session:
        return {d.contact_name for d in plan_reminders(session, at, Policy(zone=SHANGHAI)) if d.name == name}


def test_a_season_agreement_fulfils_only_that_seasons_deadline(engine: Engine, world: World) -> None:
    agreement_deadline(engine, created=local("2026-07-01 00:00"), due="2026-08-31", name="2026年帮扶协议签订")
    agreement_deadline(engine, created=local("2026-07-01 00:00"), due="2027-08-31", name="2027年帮扶协议签订")
    _record(engine, "2026-08-20", 30)  # pairing A, season 2026
    assert _owing(engine, local("2026-08-24 10:00"), "2026年帮扶协议签订") == {"orgB", "countyB"}
    # C's 2026 agreement (from the world) and A's do not meet the 2027 deadline.
    at_2027 = local("2027-08-24 10:00")
    assert _owing(engine, at_2027, "2027年帮扶协议签订") == {"orgA", "countyA", "orgB", "countyB", "orgC", "countyC"}
    _record(engine, "2026-09-15", 35)  # default season 2027: A's 2027 reminders stop, the others go on
    assert _owing(engine, at_2027, "2027年帮扶协议签订") == {"orgB", "countyB", "orgC", "countyC"}
    # An amendment keeps the season fulfilled.
    assert _record(engine, "2027-03-01", 36).outcome == "amended"
    assert _owing(engine, at_2027, "2027年帮扶协议签订") == {"orgB", "countyB", "orgC", "countyC"}
