"""The set-wise write path (staged batch, one claim, one Delivery insert, one link) writes exactly the rows the
one-at-a-time path wrote: once per contact, obligation, period and stage; paused contacts only for mandatory kinds;
nothing in quiet hours; a second tick writes nothing."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot.db import unit_of_work
from jobs.reminders import run_tick
from models.base import upsert_insert, utcnow
from models.messaging import Delivery
from models.registry import ChannelIdentity, Contact
from models.reminders import ReminderSent
from models.services import obligations
from models.services.outbox import queue_message
from models.services.registry import bind_identity, contact_address, pause_contact
from models.services.reminders import KEY_COLUMNS, MANDATORY_NOTE, Due, Policy, plan_reminders, queue_reminders
from tests.factories import pair
from tests.reminders.test_agreements import engine, world  # noqa: F401  (fixtures: the reminder world)
from tests.reminders.world import SHANGHAI, World, agreement_deadline, local

CREATED = local("2026-08-01 00:00")
POLICY = Policy(zone=SHANGHAI)
Row = tuple[str, int, str, str, int, str | None, str | None, str | None]


def _varied_world(engine: Engine, world: World) -> None:
    """Obligations due on 26 August (agreement stage 7, monthly stage 5) and contacts that exercise every rule:
    several chat accounts with a preferred one blocked, an unreachable contact, a paused one, several pairings."""
    with unit_of_work(engine) as session:
        obligations.add_obligation(session, "月度进展", "monthly", "end", [5, 1], actor="test", now=CREATED)
    agreement_deadline(engine, CREATED)
    pair(engine, world.organizations["B"], world.counties["A"])  # orgB and countyA now have two pairings each
    with unit_of_work(engine) as session:
        org_a = session.get(Contact, world.contacts["orgA"])
        assert org_a is not None
        bind_identity(session, org_a, "telegram", "1001")
        bind_identity(session, org_a, "wecom", "zhangsan")
        org_a.preferred_channel, org_a.last_channel = "wecom", "telegram"
        session.add(org_a)
        blocked = [session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "wecom")).one(),
                   session.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == "countyB")).one()]
        for identity in blocked:  # orgA's preferred channel, and countyB's only chat
            identity.unreachable_since = utcnow()
            session.add(identity)
        pause_contact(session, session.get(Contact, world.contacts["countyA"]), "test", CREATED)  # type: ignore[arg-type]


def _one_at_a_time(session: Session, dues: list[Due], now: datetime) -> None:
    """The path before the set-wise one, kept here as the oracle: claim, address and write each reminder alone."""
    ledger = ReminderSent.__table__  # type: ignore[attr-defined]
    for due in dues:
        claimed = session.execute(
            upsert_insert(session.get_bind().dialect, ledger)
            .values(obligation=due.obligation.value, obligation_id=due.obligation_id, period=due.period,
                    stage=due.stage, contact_id=due.contact_id, due_on=due.due_on, created_at=now)
            .on_conflict_do_nothing(index_elements=KEY_COLUMNS).returning(ledger.c.id)).first()
        contact = session.get(Contact, due.contact_id)
        address = contact_address(session, contact) if claimed and contact else None
        if claimed is None or address is None:
            continue
        delivery = queue_message(session, address[0], address[1], due.text, contact_id=due.contact_id,
                                 dedupe_key=due.key)
        session.execute(update(ledger).where(ledger.c.id == claimed[0]).values(delivery_id=delivery.id))


def _written(session: Session) -> set[Row]:
    """Every ledger row with the Delivery it points to (None where the contact could not be reached)."""
    rows = session.execute(
        select(ReminderSent.obligation, ReminderSent.obligation_id, ReminderSent.period, ReminderSent.stage,
               ReminderSent.contact_id, Delivery.channel, Delivery.chat_id, Delivery.text, Delivery.dedupe_key)
        .outerjoin(Delivery, Delivery.id == ReminderSent.delivery_id)).all()
    for row in rows:
        assert row[8] is None or row[8] == f"reminder:{row[0]}:{row[1]}:{row[2]}:{row[3]}:{row[4]}"
    return {tuple(row[:8]) for row in rows}  # type: ignore[misc]


def _claimed_elsewhere(session: Session, due: Due) -> None:
    session.add(ReminderSent(obligation=due.obligation.value, obligation_id=due.obligation_id, period=due.period,
                             stage=due.stage, contact_id=due.contact_id, due_on=due.due_on, created_at=CREATED))


def test_set_wise_rows_equal_one_at_a_time_rows(engine: Engine, world: World) -> None:
    _varied_world(engine, world)
    now = local("2026-08-26 09:00")
    with Session(engine) as session:
        dues = plan_reminders(session, now, POLICY)
    taken = next(d for d in dues if d.contact_id == world.contacts["countyC"])  # another scheduler claimed it first
    with Session(engine) as session:  # the oracle, rolled back
        _claimed_elsewhere(session, taken)
        _one_at_a_time(session, dues, now)
        expected = _written(session)
        session.rollback()
    with unit_of_work(engine) as session:
        _claimed_elsewhere(session, taken)
        queue_reminders(session, dues, now)
    with Session(engine) as session:
        written = _written(session)

    assert written == expected
    by_contact: dict[int, list[Row]] = {}
    for row in written:
        by_contact.setdefault(row[4], []).append(row)
    assert ("telegram", "1001") in {row[5:7] for row in by_contact[world.contacts["orgA"]]}  # preferred one blocked
    assert world.contacts["countyB"] not in by_contact  # no reachable chat: nothing planned
    paused = by_contact[world.contacts["countyA"]]
    assert len(paused) == 1 and paused[0][7].endswith(MANDATORY_NOTE)  # the agreement only, saying why
    two = [row[7] for row in by_contact[world.contacts["orgB"]]]
    assert len(two) == 2 and all("、" in text for text in two)  # both of orgB's pairings named in each
    assert len(written) == len(dues)  # one row per due; the one claimed elsewhere is that scheduler's row


def test_a_tick_writes_once_and_nothing_in_quiet_hours(engine: Engine, world: World) -> None:
    _varied_world(engine, world)
    queued: list[int] = []
    assert run_tick(engine, POLICY, local("2026-08-26 07:30"), queued.extend).planned == 0  # quiet until 08:00
    with Session(engine) as session:
        expected = {(d.obligation.value, d.obligation_id, d.period, d.stage, d.contact_id)
                    for d in plan_reminders(session, local("2026-08-26 09:00"), POLICY)}
    first = run_tick(engine, POLICY, local("2026-08-26 09:00"), queued.extend)
    with Session(engine) as session:
        ledger = [(r.obligation, r.obligation_id, r.period, r.stage, r.contact_id)
                  for r in session.exec(select(ReminderSent)).all()]
        delivery_ids = sorted(d.id for d in session.exec(select(Delivery)).all())
    assert sorted(ledger) == sorted(expected) and len(ledger) == len(set(ledger))
    assert first.planned == len(expected) and sorted(first.queued) == sorted(queued) == delivery_ids
    second = run_tick(engine, POLICY, local("2026-08-26 09:01"), queued.extend)
    assert (second.planned, second.queued) == (0, [])
    with Session(engine) as session:
        assert len(session.exec(select(ReminderSent)).all()) == len(ledger)
        assert sorted(d.id for d in session.exec(select(Delivery)).all()) == delivery_ids


def test_batches_of_any_size_write_the_same(engine: Engine, world: World) -> None:
    """A due set split across batches (the tick's transactions) claims each reminder once."""
    _varied_world(engine, world)
    now = local("2026-08-26 09:00")
    with Session(engine) as session:
        dues = plan_reminders(session, now, POLICY)
    assert len(dues) > 3
    ids: list[int] = []
    for first in range(0, len(dues), 2):
        with unit_of_work(engine) as session:
            ids += queue_reminders(session, dues[first:first + 2] + dues[:first], now)  # earlier ones again: no-ops
    with Session(engine) as session:
        assert len(session.exec(select(ReminderSent)).all()) == len(dues)
        assert sorted(d.id for d in session.exec(select(Delivery)).all()) == sorted(ids)


def test_a_tick_in_batches_of_one_writes_each_reminder_once(engine: Engine, world: World) -> None:
    """Batches written beside the planning (two writer connections at once on PostgreSQL) claim, write and enqueue
    each reminder once, the same rows as one batch."""
    _varied_world(engine, world)
    now = local("2026-08-26 09:00")
    with Session(engine) as session:
        expected = sorted((d.obligation.value, d.obligation_id, d.period, d.stage, d.contact_id)
                          for d in plan_reminders(session, now, POLICY))
    enqueued: list[list[int]] = []
    report = run_tick(engine, POLICY, now, lambda ids: enqueued.append(list(ids)), batch=1)
    with Session(engine) as session:
        ledger = sorted((r.obligation, r.obligation_id, r.period, r.stage, r.contact_id)
                        for r in session.exec(select(ReminderSent)).all())
        deliveries = sorted(d.id for d in session.exec(select(Delivery)).all() if d.id is not None)
    assert len(expected) > 3 and ledger == expected
    assert report.planned == len(expected) and all(len(ids) == 1 for ids in enqueued)
    assert sorted(report.queued) == sorted(i for ids in enqueued for i in ids) == deliveries


def test_a_batch_that_fails_stops_the_tick_and_the_next_tick_writes_the_rest(
        engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer's error reaches the scheduler; batches committed before it stay, and nothing is written twice."""
    import jobs.reminders

    _varied_world(engine, world)
    now = local("2026-08-26 09:00")
    real, calls = jobs.reminders.queue_reminders, itertools.count(1)

    def third_fails(session: Session, dues: list[Due], at: datetime) -> list[int]:
        if next(calls) == 3:  # atomic: writers run in threads
            raise RuntimeError("数据库断开")
        return real(session, dues, at)

    monkeypatch.setattr(jobs.reminders, "queue_reminders", third_fails)
    with pytest.raises(RuntimeError, match="数据库断开"):
        run_tick(engine, POLICY, now, lambda ids: None, batch=1)
    monkeypatch.setattr(jobs.reminders, "queue_reminders", real)
    with Session(engine) as session:
        written = len(session.exec(select(ReminderSent)).all())
        left = len(plan_reminders(session, now, POLICY))
    assert written >= 2 and left > 0  # the batches before the failure are kept, the failed one and later are not
    rest = run_tick(engine, POLICY, now, lambda ids: None, batch=1)
    with Session(engine) as session:
        keys = [(r.obligation, r.obligation_id, r.period, r.stage, r.contact_id)
                for r in session.exec(select(ReminderSent)).all()]
        assert len(keys) == len(set(keys)) == written + left == written + len(rest.queued)
        assert len(session.exec(select(Delivery)).all()) == len(keys)
        assert plan_reminders(session, now, POLICY) == []
