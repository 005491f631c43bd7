"""Running totals and the ledger's stored sums: every write path keeps them right, on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.db import make_engine, unit_of_work
from models.ledger import LedgerCountyMonth, LedgerMonth
from models.reporting import ProgressUpdate, ReviewStatus
from models.services import review
from models.services.ledger import Scope, totals
from models.services.parsing import YEAR_TO_DATE
from models.services.sums import Entry, figures_by, ledger_month, rebuild_all, walk
from tests.ledger.world import World, build, month_sums


def test_walk_adds_increments_and_lets_a_running_total_replace_them() -> None:
    entries = [Entry(1, {"funds_wan": 20}), Entry(2, {"funds_wan": 120}, frozenset({"funds_wan"})),
               Entry(3, {"funds_wan": 10, "households": 5}), Entry(4, {"households": 40}, frozenset({"households"}))]
    assert walk(entries) == {1: {"funds_wan": 20}, 2: {"funds_wan": 100}, 3: {"funds_wan": 10, "households": 5},
                             4: {"households": 35}}


def test_walk_lets_a_lower_running_total_correct_the_account_and_ignores_nulls() -> None:
    deltas = walk([Entry(1, {"people": 300}), Entry(2, {"people": 250, "funds_wan": None}, frozenset({"people"}))])
    assert deltas == {1: {"people": 300}, 2: {"people": -50}}
    assert sum(d.get("people", 0) for d in deltas.values()) == 250


def test_ledger_month_is_beijing_time() -> None:
    from datetime import UTC, datetime
    assert ledger_month(datetime(2026, 3, 31, 17, 0, tzinfo=UTC)) == "2026-04"
    assert ledger_month(datetime(2026, 3, 31, 15, 59, tzinfo=UTC)) == "2026-03"


@pytest.fixture
def world(engine: Engine) -> World:
    return build(engine)


def _totals(engine: Engine) -> dict[str, float]:
    with Session(engine) as session:
        _, overall = totals(session, Scope())
    return {"funds_wan": overall.funds_wan, "households": overall.households, "people": overall.people,
            "updates": overall.updates}


def test_running_total_then_increment_then_withdraw(world: World) -> None:
    world.add("布拖联络员", "一-布拖", funds_wan=20)
    running = world.add("布拖联络员", "一-布拖", cumulative=("funds_wan",), funds_wan=120)
    assert _totals(world.engine)["funds_wan"] == 120  # not 140
    world.add("布拖联络员", "一-布拖", funds_wan=15)
    assert month_sums(world.engine, pairing_id=world.pairings["一-布拖"])["funds_wan"] == 135
    with unit_of_work(world.engine) as session:
        update = session.get(ProgressUpdate, running)
        update.withdrawn_at = world.tick()
        session.add(update)
    assert _totals(world.engine)["funds_wan"] == 35
    with Session(world.engine) as session:
        withdrawn = session.get(ProgressUpdate, running)
        assert withdrawn.ledger_delta == {}


def test_accounts_are_separate_per_pairing_and_per_unfiled_sender(world: World) -> None:
    world.add("布拖联络员", "一-布拖", funds_wan=50)
    world.add("布拖联络员", "二-布拖", cumulative=("funds_wan",), funds_wan=30)  # another pairing's total
    world.add("布拖联络员", None, households=12)  # no pairing chosen: the sender's county
    world.add("一号联络人", None, people=7)  # an organization contact: no county known
    assert _totals(world.engine) == {"funds_wan": 80, "households": 12, "people": 7, "updates": 4}
    with Session(world.engine) as session:
        by_county = figures_by(session, Scope(), "county")
        sichuan = figures_by(session, Scope(("四川省",)), "all")[None]
    butuo = world.pairings["一-布拖"]
    with Session(world.engine) as session:
        from models.pairing import Pairing
        county = session.get(Pairing, butuo).county_id
    assert by_county[county].households == 12 and by_county[None].people == 7
    assert (sichuan.funds_wan, sichuan.households, sichuan.people) == (80, 12, 0)  # unknown county: not in a province


def test_choosing_a_pairing_moves_the_update_between_accounts(world: World) -> None:
    unfiled = world.add("布拖联络员", None, funds_wan=8)
    sender = world.contacts["布拖联络员"]
    assert month_sums(world.engine, sender_id=sender)["funds_wan"] == 8
    with unit_of_work(world.engine) as session:
        update = session.get(ProgressUpdate, unfiled)
        update.pairing_id = world.pairings["二-布拖"]
        session.add(update)
    assert month_sums(world.engine, sender_id=sender)["funds_wan"] == 0
    assert month_sums(world.engine, pairing_id=world.pairings["二-布拖"])["funds_wan"] == 8


def test_review_decisions_recompute_the_account(world: World) -> None:
    world.add("布拖联络员", "一-布拖", funds_wan=20)
    flagged = world.add("布拖联络员", "一-布拖", status=ReviewStatus.flagged, cumulative=("funds_wan",), funds_wan=120)
    assert _totals(world.engine)["funds_wan"] == 20  # flagged: not counted yet
    with unit_of_work(world.engine) as session:
        review.accept(session, Scope(), flagged, "test", world.tick())
    assert _totals(world.engine)["funds_wan"] == 120
    with unit_of_work(world.engine) as session:
        figures = review.read_figures({"funds_wan": "100"}, ["产业"])  # the 累计 box left unticked
        review.correct(session, Scope(), flagged, figures, "test", world.tick())
    assert _totals(world.engine)["funds_wan"] == 120  # 20 + 100, now an increment
    with unit_of_work(world.engine) as session:
        review.reject(session, Scope(), flagged, "test", world.tick(), "重复报送")
    assert _totals(world.engine)["funds_wan"] == 20


def test_months_and_years_split_an_account(world: World) -> None:
    world.add("布拖联络员", "一-布拖", funds_wan=20)
    world.clock += timedelta(days=365)  # into 2027
    world.add("布拖联络员", "一-布拖", cumulative=("funds_wan",), funds_wan=50)
    with Session(world.engine) as session:
        assert figures_by(session, Scope(), "all", year=2026)[None].funds_wan == 20
        assert figures_by(session, Scope(), "all", year=2027)[None].funds_wan == 30  # 50 to date, 20 of it in 2026
        assert totals(session, Scope(), 2027)[1].funds_wan == 30


def test_a_running_total_of_this_year_keeps_the_years_before(world: World) -> None:
    """今年以来累计投入40万元 after 96 in 2026 and 30 in 2027: 136 in all, 40 in 2027 — on the appended path
    (a report in chat), after a recount, and after a rebuild alike."""
    world.add("布拖联络员", "一-布拖", funds_wan=96)
    world.clock += timedelta(days=365)  # into 2027
    world.add("布拖联络员", "一-布拖", funds_wan=30)
    this_year = world.add("布拖联络员", "一-布拖", cumulative=("funds_wan", YEAR_TO_DATE), funds_wan=40)
    world.add("布拖联络员", "一-布拖", funds_wan=5)

    def check() -> None:
        with Session(world.engine) as session:
            assert figures_by(session, Scope(), "all", year=2026)[None].funds_wan == 96
            assert figures_by(session, Scope(), "all", year=2027)[None].funds_wan == 45
            assert totals(session, Scope())[1].funds_wan == 141
            assert session.get(ProgressUpdate, this_year).ledger_delta == {"funds_wan": 10}

    check()
    with world.engine.begin() as connection:
        rebuild_all(connection)
    check()
    with unit_of_work(world.engine) as session:  # a change to an earlier update recounts the account
        first = session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).first()
        first.funds_wan = 100
        session.add(first)
    with Session(world.engine) as session:
        assert figures_by(session, Scope(), "all", year=2027)[None].funds_wan == 45  # the year is still 40 + 5
        assert totals(session, Scope())[1].funds_wan == 145


def test_walk_starts_a_year_to_date_total_from_the_years_opening() -> None:
    ytd = frozenset({"funds_wan", YEAR_TO_DATE})
    entries = [Entry(1, {"funds_wan": 96}, year=2026), Entry(2, {"funds_wan": 30}, year=2027),
               Entry(3, {"funds_wan": 40}, ytd, year=2027), Entry(4, {"funds_wan": 20}, ytd, year=2028)]
    assert walk(entries) == {1: {"funds_wan": 96}, 2: {"funds_wan": 30}, 3: {"funds_wan": 10}, 4: {"funds_wan": 20}}
    # appended after stored sums: 126 stored, 96 of them before the year began
    assert walk([Entry(5, {"funds_wan": 50}, ytd, year=2027)], {"funds_wan": 126}, {"funds_wan": 96}) == {
        5: {"funds_wan": 20}}


def test_rebuild_reproduces_the_stored_sums(world: World) -> None:
    world.add("布拖联络员", "一-布拖", funds_wan=20, households=3)
    world.add("昭觉联络员", "一-昭觉", cumulative=("households",), households=40)
    world.add("布拖联络员", None, people=9)
    with Session(world.engine) as session:
        before = sorted((r.pairing_id or 0, r.sender_id or 0, r.month, r.funds_wan, r.households, r.people)
                        for r in session.exec(select(LedgerMonth)).all())
    with world.engine.begin() as connection:
        assert rebuild_all(connection) == 3
    with Session(world.engine) as session:
        after = sorted((r.pairing_id or 0, r.sender_id or 0, r.month, r.funds_wan, r.households, r.people)
                       for r in session.exec(select(LedgerMonth)).all())
    assert after == before and len(after) == 3
    with Session(world.engine) as session:  # the county table is the accounts' months added up
        for county in session.exec(select(LedgerCountyMonth)).all():
            months = session.exec(select(LedgerMonth).where(LedgerMonth.county_id == county.county_id,
                                                            LedgerMonth.month == county.month)).all()
            assert county.households == sum(m.households for m in months) and county.updates == sum(m.updates for m in months)


def test_parallel_reports_for_one_pairing_are_all_summed(world: World, db_url: str) -> None:
    """Many workers filing updates for one pairing at once: the stored sum still equals every delta."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    engines = [make_engine(db_url) for _ in range(6)]
    errors: list[BaseException] = []

    def worker(engine: Engine, n: int) -> None:
        try:
            for i in range(5):
                with unit_of_work(engine) as session:
                    session.add(ProgressUpdate(contact_id=world.contacts["布拖联络员"], pairing_id=world.pairings["一-布拖"],
                                               channel="console", raw_text=f"{n}-{i}", created_at=world.tick(0.01),
                                               funds_wan=1.0, cumulative=["funds_wan"] if (n, i) == (0, 0) else []))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(engine, n)) for n, engine in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert not errors
    with Session(world.engine) as session:
        deltas = [u.ledger_delta.get("funds_wan", 0) for u in session.exec(select(ProgressUpdate)).all()]
        stored = session.exec(select(func.sum(LedgerMonth.funds_wan))).one()
        by_county = session.exec(select(func.sum(LedgerCountyMonth.funds_wan))).one()
    assert len(deltas) == 30 and stored == pytest.approx(sum(deltas)) and by_county == pytest.approx(stored)
    with world.engine.begin() as connection:
        rebuild_all(connection)
    assert month_sums(world.engine, pairing_id=world.pairings["一-布拖"])["funds_wan"] == pytest.approx(stored)


def test_a_rebuild_waits_for_a_report_in_flight_and_sums_its_new_account(world: World, db_url: str) -> None:
    """A new sender's first report, flushed but not committed when `ledger rebuild` starts: the rebuild waits for
    it, then sums its account (before, the rebuild listed the accounts without it and its sums were lost or
    deleted, so a second rebuild was needed)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race needs PostgreSQL")
    world.add("布拖联络员", "一-布拖", funds_wan=50)
    rebuilt: list[int] = []
    with unit_of_work(world.engine) as session:  # the report: its sums written, not yet committed
        session.add(ProgressUpdate(contact_id=world.contacts["昭觉联络员"], pairing_id=None, channel="console",
                                   raw_text="首次报送", created_at=world.tick(), funds_wan=7.0, households=3))
        session.flush()
        rebuild = threading.Thread(target=lambda: rebuilt.append(_rebuild(world.engine)))
        rebuild.start()
        rebuild.join(0.5)
        assert rebuild.is_alive()  # waiting for the report
    rebuild.join(30)
    assert rebuilt == [2]  # the pairing and the new sender
    assert _totals(world.engine) == {"funds_wan": 57, "households": 3, "people": 0, "updates": 2}
    assert month_sums(world.engine, sender_id=world.contacts["昭觉联络员"])["funds_wan"] == 7


def test_a_report_waits_for_a_rebuild_in_flight(world: World, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race needs PostgreSQL")
    world.add("布拖联络员", "一-布拖", funds_wan=50)
    filed: list[int] = []
    with world.engine.begin() as connection:
        assert rebuild_all(connection) == 1
        report = threading.Thread(target=lambda: filed.append(world.add("昭觉联络员", None, funds_wan=7.0)))
        report.start()
        report.join(0.5)
        assert report.is_alive()  # waiting for the rebuild
    report.join(30)
    assert len(filed) == 1
    assert _totals(world.engine)["funds_wan"] == 57
    with world.engine.begin() as connection:
        rebuild_all(connection)
    assert _totals(world.engine)["funds_wan"] == 57


def _rebuild(engine: Engine) -> int:
    with engine.begin() as connection:
        return rebuild_all(connection)
