"""Replies close the loop: an answer to a reminder is filed under its cycle and period and stops its reminders."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.db import unit_of_work
from bot.messages import Incoming
from jobs.scheduler import SchedulerService
from models.messaging import Delivery
from models.reporting import ProgressUpdate, ReportCycle
from models.services.obligations import add_obligation
from tests.conftest import make_settings
from tests.factories import CODES, add_org, county_id, pair
from tests.reminders.world import CONSOLE, Clock, World, agreement_deadline, build_world, ledger, local, sent_to


@pytest.fixture
def clocked(db_url: str) -> Iterator[tuple[App, Clock]]:
    clock = Clock(local("2026-11-20 10:00"))
    app = App(make_settings(db_url, reminders={"reply_window_hours": 48}), channels={CONSOLE: ConsoleChannel()},
              clock=clock)
    app.queue.start_worker()
    yield app, clock
    app.close()


def _year_end(app: App, clock: Clock) -> int:
    with unit_of_work(app.engine) as session:
        return add_obligation(session, "年度统计", "annual", "12-31", [30, 7, 1], actor="test", now=clock.now).id


def _tick(app: App) -> None:
    SchedulerService(app).tick()
    app.queue.join()


def _reminder_message_id(app: App, name: str) -> str:
    with Session(app.engine) as session:
        [row] = [r for r in ledger(app.engine) if r.contact_id == _contact(app, name)][-1:]
        delivery = session.get(Delivery, row.delivery_id)
        assert delivery is not None and delivery.platform_message_id
        return delivery.platform_message_id


def _contact(app: App, name: str) -> int:
    from models.registry import Contact

    with Session(app.engine) as session:
        return session.exec(select(Contact.id).where(Contact.name == name)).one()  # type: ignore[return-value]


def _say(app: App, name: str, text: str, reply_to: str | None = None) -> str:
    before = len(sent_to(app, name))
    app.router.handle(Incoming(channel=CONSOLE, chat_id=name, sender_id=name, text=text,
                               message_id=uuid.uuid4().hex, reply_to_message_id=reply_to))
    app.queue.join()
    [answer] = sent_to(app, name)[before:]
    return answer


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all())


def _stages(app: App, world: World, name: str) -> list[str]:
    return [r.stage for r in ledger(app.engine) if r.contact_id == world.contacts[name]]


def test_a_threaded_reply_files_under_the_cycle_and_stops_the_pairings_reminders(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    cycle_id = _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    assert _stages(app, world, "orgB") == ["30"]
    answer = _say(app, "orgB", "全年投入帮扶资金120万元，带动300户增收", reply_to=_reminder_message_id(app, "orgB"))
    assert answer.startswith("已记录：") and "已记入“年度统计（2026年）”" in answer
    [update] = _updates(app)
    assert (update.cycle_id, update.period, update.pairing_id) == (cycle_id, "2026", world.pairings["B"])
    [answered] = [r for r in ledger(app.engine) if r.answered_at is not None]
    assert answered.contact_id == world.contacts["orgB"] and answered.update_id == update.id

    clock.set(local("2026-12-24 09:00"))
    _tick(app)
    assert _stages(app, world, "orgB") == ["30"] and _stages(app, world, "countyB") == ["30"]  # pairing B is done
    assert _stages(app, world, "orgA") == ["30", "7"] and _stages(app, world, "countyC") == ["30", "7"]


def test_without_threading_the_latest_recent_reminder_is_answered(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    cycle_id = _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    clock.set(local("2026-12-02 15:00"))  # within the 48-hour window
    assert "已记入“年度统计（2026年）”" in _say(app, "orgA", "全年投入资金80万元")
    clock.set(local("2026-12-05 15:00"))  # too late: an ordinary update
    assert "已记入" not in _say(app, "orgC", "本月投入资金5万元")
    filed = {u.contact_id: (u.cycle_id, u.period) for u in _updates(app)}
    assert filed == {world.contacts["orgA"]: (cycle_id, "2026"), world.contacts["orgC"]: (None, "2026-12")}
    clock.set(local("2026-12-24 09:00"))
    _tick(app)
    assert _stages(app, world, "orgA") == ["30"] and _stages(app, world, "orgC") == ["30", "7"]


def test_a_contact_who_answers_is_not_reminded_even_before_choosing_a_pairing(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    second = pair(app.engine, world.organizations["A"], county_id(app.engine, "美姑县"))
    _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    [reminder] = sent_to(app, "orgA")
    assert "四川省布拖县、四川省美姑县" in reminder
    answer = _say(app, "orgA", "全年捐赠图书价值2万元", reply_to=_reminder_message_id(app, "orgA"))
    assert "哪一个" in answer and "已记入“年度统计（2026年）”" in answer
    clock.set(local("2026-12-24 09:00"))
    _tick(app)
    assert _stages(app, world, "orgA") == ["30"]  # answered, though the update is not yet filed under a pairing
    assert _stages(app, world, "countyA") == ["30", "7"]  # the pairing itself still owes it
    assert second


def test_a_reply_to_an_agreement_reminder_is_an_ordinary_update(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    agreement_deadline(app.engine, created=local("2026-07-20 00:00"))
    clock.set(local("2026-07-31 09:00"))  # stage 30: Saturday 1 August moves to Friday
    _tick(app)
    answer = _say(app, "orgB", "协议已签订，金额30万元", reply_to=_reminder_message_id(app, "orgB"))
    assert "已记入" not in answer
    [update] = _updates(app)
    assert update.cycle_id is None
    clock.set(local("2026-08-17 09:00"))
    _tick(app)
    assert _stages(app, world, "orgB") == ["30", "14"]  # only a recorded agreement fulfils it


def test_an_unrelated_org_sees_no_other_contacts_reminder(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    build_world(app.engine)
    _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    other = add_org(app.engine, "中国人口福利基金会", CODES[2])
    from models.registry import Role
    from tests.reminders.world import add_contact

    add_contact(app.engine, "orgX", Role.organization, org=other)
    pair(app.engine, other, county_id(app.engine, "美姑县"))
    message_id = _reminder_message_id(app, "orgB")  # someone else's reminder
    assert "已记入" not in _say(app, "orgX", "投入资金1万元", reply_to=message_id)
    with Session(app.engine) as session:
        assert session.exec(select(ReportCycle)).one().name == "年度统计"


def test_the_filed_line_stands_before_the_which_pairing_question(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    pair(app.engine, world.organizations["A"], world.counties["B"])  # orgA now has two pairings
    _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    clock.set(local("2026-12-02 15:00"))
    lines = _say(app, "orgA", "全年投入资金80万元").split("\n")
    filed = next(n for n, line in enumerate(lines) if "已记入“年度统计（2026年）”" in line)
    question = next(n for n, line in enumerate(lines) if "这条进展属于哪一个" in line)
    assert filed < question and all(line[0].isdigit() for line in lines[question + 1:]), lines
