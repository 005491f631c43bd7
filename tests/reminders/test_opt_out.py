"""退订 / 恢复: a paused contact gets no routine reminders or notices, mandatory ones say why they still come,
and admins can see who paused (broadcast preview and status)."""

from __future__ import annotations


from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import App
from bot.db import unit_of_work
from models.messaging import AuditLog
from models.registry import Contact
from models.reporting import ProgressUpdate
from models.services import obligations
from models.services.broadcast import parse_segment, paused_contacts, resolve_audience
from models.services.reminders import MANDATORY_NOTE, Policy, plan_reminders
from models.services.registry import pause_contact
from tests.conftest import simulator
from tests.handlers.test_reporting import county_contact
from tests.reminders.test_agreements import engine, world  # noqa: F401  (fixtures: the reminder world)
from tests.reminders.world import SHANGHAI, World, agreement_deadline, local

CREATED = local("2026-08-01 00:00")


def _pause(engine: Engine, contact_id: int) -> None:
    with unit_of_work(engine) as session:
        pause_contact(session, session.get(Contact, contact_id), "test", CREATED)  # type: ignore[arg-type]


def _plan(engine: Engine, at: str, policy: Policy = Policy(zone=SHANGHAI)):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return plan_reminders(session, local(at), policy)


def test_a_paused_contact_gets_mandatory_reminders_only_and_is_told_why(engine: Engine, world: World) -> None:
    with unit_of_work(engine) as session:
        obligations.add_obligation(session, "月度进展", "monthly", "end", [5, 1], actor="test", now=CREATED)
    agreement_deadline(engine, CREATED)
    _pause(engine, world.contacts["countyA"])
    dues = _plan(engine, "2026-08-26 09:00")
    to_county_a = [d for d in dues if d.contact_id == world.contacts["countyA"]]
    assert [d.name for d in to_county_a] == ["2026年帮扶协议签订"]  # the monthly reminder is skipped
    assert to_county_a[0].text.endswith(MANDATORY_NOTE)
    assert not any(d.text.endswith(MANDATORY_NOTE) for d in dues if d.contact_id != world.contacts["countyA"])
    nothing_mandatory = Policy(zone=SHANGHAI, mandatory=())
    assert not [d for d in _plan(engine, "2026-08-26 09:00", nothing_mandatory)
                if d.contact_id == world.contacts["countyA"]]


def test_notices_skip_paused_contacts_and_admins_see_them(engine: Engine, world: World) -> None:
    _pause(engine, world.contacts["orgA"])
    with Session(engine) as session:
        audience = resolve_audience(session, parse_segment("all"))
        assert world.contacts["orgA"] in audience.paused
        assert world.contacts["orgA"] not in {r.contact_id for r in audience.recipients}
        assert "1 位联系人已退订通知，不会收到" in audience.summary_zh()
        assert [c.name for c in paused_contacts(session)] == ["orgA"]
        assert [c.name for c in paused_contacts(session, ["四川省"])] == ["orgA"]  # 中国社会福利基金会 helps 布拖县
        assert paused_contacts(session, ["云南省"]) == []


def test_the_chat_words_pause_and_resume_and_are_audited(app: App) -> None:
    user = county_contact(app)
    [paused] = user.send("退订")
    assert paused.startswith("已为您暂停报送提醒和通知。") and "签订帮扶协议、年度报送" in paused
    assert user.send("停止提醒")[0].startswith("您已退订")
    assert user.send("恢復") == ["已恢复，您会重新收到报送提醒和通知。"]  # Traditional
    assert user.send("恢复") == ["您没有退订，提醒和通知照常发送。"]
    with Session(app.engine) as session:
        actions = session.exec(select(AuditLog.action).where(col(AuditLog.action).like("contact.%"))
                               .order_by(col(AuditLog.id))).all()
        assert session.exec(select(ProgressUpdate)).all() == []
    assert actions == ["contact.pause", "contact.resume"]


def test_a_stranger_cannot_opt_anyone_out(app: App) -> None:
    stranger = simulator(app, "nobody")
    assert "还没有登记" in stranger.send("退订")[0]

