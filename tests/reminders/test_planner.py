"""The planner: scope, audience, pausing, fulfilment, quiet hours and addressing, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import make_engine, unit_of_work
from models.base import utcnow
from models.messaging import Delivery
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, Role
from models.reporting import ProgressUpdate
from models.services import obligations
from models.services.registry import bind_identity, contact_address, set_pairing_status
from models.services.reminders import Due, Policy, plan_reminders, queue_reminders
from models.services.seasons import ensure_defaults
from models.services.workcalendar import WorkCalendar
from tests.reminders.world import SHANGHAI, World, add_contact, build_world, local

POLICY = Policy(zone=SHANGHAI)
CREATED = local("2026-08-01 00:00")  # July is not overdue: the cycle did not exist then


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)  # db_url is migrated already
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _monthly(engine: Engine, **scope: object) -> None:
    with unit_of_work(engine) as session:
        obligations.add_obligation(session, "月度进展", "monthly", "end", [5, 1], actor="test", now=CREATED,
                                   **scope)  # type: ignore[arg-type]


def _plan(engine: Engine, at: datetime, policy: Policy = POLICY) -> list[Due]:
    with Session(engine) as session:
        return plan_reminders(session, at, policy)


def _who(world: World, dues: list[Due]) -> list[str]:
    names = {v: k for k, v in world.contacts.items()}
    return sorted(names[d.contact_id] for d in dues)


def test_scope_provinces_pairings_and_audience(engine: Engine, world: World) -> None:
    _monthly(engine, provinces=["云南省"])
    assert _who(world, _plan(engine, local("2026-08-26 09:00"))) == ["countyC", "orgC"]
    with unit_of_work(engine) as session:
        obligations.change_obligation(session, "月度进展", actor="test", provinces=[], pairings=[world.pairings["A"]])
    assert _who(world, _plan(engine, local("2026-08-26 09:00"))) == ["countyA", "orgA"]
    with unit_of_work(engine) as session:
        obligations.change_obligation(session, "月度进展", actor="test", pairings=[], roles=["organization"])
    assert _who(world, _plan(engine, local("2026-08-26 09:00"))) == ["orgA", "orgB", "orgC"]
    with pytest.raises(obligations.ObligationError, match="结对编号不存在：999"):
        with unit_of_work(engine) as session:
            obligations.change_obligation(session, "月度进展", actor="test", pairings=[999])


def test_paused_sends_nothing_and_resumes_with_the_latest_stage(engine: Engine, world: World) -> None:
    _monthly(engine)
    with unit_of_work(engine) as session:
        obligations.set_active(session, "月度进展", False, actor="test")
    assert _plan(engine, local("2026-08-26 09:00")) == []
    with unit_of_work(engine) as session:
        obligations.set_active(session, "月度进展", True, actor="test")
    assert _plan(engine, local("2026-08-30 09:00")) == []  # a Sunday: nothing goes out
    assert {d.stage for d in _plan(engine, local("2026-08-28 09:00"))} == {"1"}  # Sunday's stage 1, on Friday


def test_quiet_hours_hold_reminders_until_they_end(engine: Engine, world: World) -> None:
    _monthly(engine)
    assert _plan(engine, local("2026-08-26 00:00")) == []
    assert _plan(engine, local("2026-08-26 07:59")) == []
    assert len(_plan(engine, local("2026-08-26 08:00"))) == 6
    assert _plan(engine, local("2026-08-26 21:00")) == []
    late = Policy(zone=SHANGHAI, quiet_start=datetime.min.time(), quiet_end=datetime.min.time())
    assert len(_plan(engine, local("2026-08-26 00:00"), late)) == 6  # quiet hours switched off


def _update(engine: Engine, world: World, side: str, at: datetime, **fields: object) -> None:
    with unit_of_work(engine) as session:
        session.add(ProgressUpdate(contact_id=world.contacts[f"org{side}"], pairing_id=world.pairings[side],
                                   channel="console", raw_text="投入资金1万元", created_at=at, **fields))


def test_a_progress_update_in_the_period_fulfils_the_monthly_cycle(engine: Engine, world: World) -> None:
    _monthly(engine)
    _update(engine, world, "A", local("2026-08-10 10:00"))  # counts for August
    _update(engine, world, "B", local("2026-07-31 23:00"))  # July's: does not
    _update(engine, world, "C", local("2026-08-12 10:00"), withdrawn_at=utcnow())  # withdrawn: does not
    assert _who(world, _plan(engine, local("2026-08-26 09:00"))) == ["countyB", "countyC", "orgB", "orgC"]


def test_a_holiday_moves_the_due_date_and_the_stages_with_it(engine: Engine, world: World) -> None:
    _monthly(engine)
    holiday = Policy(zone=SHANGHAI, calendar=WorkCalendar(holidays=[local("2026-08-31 00:00").date()]))
    assert _plan(engine, local("2026-08-26 09:00"), holiday) == []  # due 1 September: stage 5 is on the 27th
    dues = _plan(engine, local("2026-08-27 09:00"), holiday)
    assert {(d.stage, d.due_on.isoformat()) for d in dues} == {("5", "2026-09-01")}  # type: ignore[union-attr]
    assert "请于9月1日（周二）前报送，还有 5 天" in dues[0].text


def test_ended_pairings_inactive_and_unreachable_contacts_are_left_out(engine: Engine, world: World) -> None:
    _monthly(engine)
    with unit_of_work(engine) as session:
        ended = session.get(Pairing, world.pairings["C"])
        set_pairing_status(session, ended, PairingStatus.ended, "test")  # type: ignore[arg-type]
        contact = session.get(Contact, world.contacts["orgA"])
        contact.active = False  # type: ignore[union-attr]
        session.add(contact)
        for identity in session.exec(select(ChannelIdentity).where(
                ChannelIdentity.contact_id == world.contacts["countyB"])).all():
            identity.unreachable_since = utcnow()
            session.add(identity)
    assert _who(world, _plan(engine, local("2026-08-26 09:00"))) == ["countyA", "orgB"]


def test_reminders_go_where_contact_address_says(engine: Engine, world: World) -> None:
    _monthly(engine)
    with unit_of_work(engine) as session:
        contact = session.get(Contact, world.contacts["orgA"])
        assert contact is not None
        bind_identity(session, contact, "telegram", "1001")
        bind_identity(session, contact, "wecom", "zhangsan")
        contact.preferred_channel = "wecom"
        contact.last_channel = "telegram"
        session.add(contact)
        wecom = session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "wecom")).one()
        wecom.unreachable_since = utcnow()  # preferred, but blocked: the last used one is next
        session.add(wecom)
    now = local("2026-08-26 09:00")
    dues = _plan(engine, now)
    with unit_of_work(engine) as session:
        queue_reminders(session, dues, now)
    with Session(engine) as session:
        by_contact = {d.contact_id: (d.channel, d.chat_id) for d in session.exec(select(Delivery)).all()}
        for contact_id, address in by_contact.items():
            assert address == contact_address(session, session.get(Contact, contact_id))  # type: ignore[arg-type]
    assert by_contact[world.contacts["orgA"]] == ("telegram", "1001")
    with unit_of_work(engine) as session:
        assert queue_reminders(session, dues, now) == []  # claimed already: nothing written twice


def test_an_admin_without_scope_and_a_province_admin_get_digests(engine: Engine, world: World) -> None:
    _monthly(engine)
    add_contact(engine, "adminGZ", Role.admin, provinces=["贵州省"])
    dues = _plan(engine, local("2026-09-01 09:00"))
    overdue = {d.contact_name: d for d in dues if d.stage == "overdue"}
    assert sorted(overdue) == ["adminAll", "adminSC", "adminYN", "countyA", "countyB", "countyC"]
    assert "四川省 2 个" in overdue["adminSC"].text and "云南省" not in overdue["adminSC"].text
    assert "四川省 2 个" in overdue["adminAll"].text and "云南省 1 个" in overdue["adminAll"].text
    weekly = {d.contact_name for d in dues if d.stage == "weekly"}
    assert weekly == {"adminAll", "adminSC", "adminYN"}  # nothing overdue in Guizhou: no summary


def test_defaults_are_created_once(engine: Engine) -> None:
    from bot.config import RemindersSettings

    with unit_of_work(engine) as session:
        made = ensure_defaults(session, RemindersSettings(), local("2026-09-10 00:00").date())
    assert made == ["2027年帮扶协议签订", "月度进展", "年度统计"]
    with unit_of_work(engine) as session:
        assert ensure_defaults(session, RemindersSettings(), local("2026-09-10 00:00").date()) == []
        found = {o.name: o for o in obligations.load_obligations(session)}
    assert found["2027年帮扶协议签订"].due_rule == "2027-08-31"
    assert found["2027年帮扶协议签订"].stages == (30, 14, 7, 3, 1)
    assert (found["年度统计"].kind, found["年度统计"].due_rule) == ("annual", "12-31")


def test_recording_an_agreement_is_idempotent_and_refuses_unknown_pairs(engine: Engine, world: World) -> None:
    signed = local("2026-08-20 00:00").date()
    with unit_of_work(engine) as session:
        first = obligations.record_agreement(session, "中国自动化学会", "昭觉县", signed, 30.0, actor="test")
        again = obligations.record_agreement(session, "中国自动化学会", "昭觉县", signed, 30.0, actor="test")
        changed = obligations.record_agreement(session, "中国自动化学会", "昭觉县", signed, 35.0, actor="test")
    assert (first.outcome, again.outcome, changed.outcome) == ("created", "unchanged", "amended")
    assert first.pairing.id == world.pairings["B"] and changed.agreement.amount_wan == 35
    for org, county, message in (("无此组织", "昭觉县", "未找到社会组织"), ("中国自动化学会", "无此县", "未找到县"),
                                 ("中国自动化学会", "布拖县", "没有结对关系")):
        with pytest.raises(obligations.AgreementError, match=message):
            with unit_of_work(engine) as session:
                obligations.record_agreement(session, org, county, signed, None, actor="test")
