"""Two years on a simulated clock: `pairbot init` in November 2026, then the scheduler's reminder job once a
day at 08:00 (when quiet hours end) until January 2029, on SQLite and PostgreSQL.

The registry is the reminder world (A and B in Sichuan, C in Yunnan with a 2026 agreement) and what
happens to it:
- 2026-12-10 orgA answers its 2026 year-end reminder (pairing A is done for 2026);
- 2027-06-01 C records its 2027 agreement, 2027-08-20 A records its 2027 agreement; B never does;
- 2027-12-20 countyB answers its 2027 year-end reminder (pairing B is done for 2027);
- 2028-03-01 B records its 2028 agreement early;
- 2027-03-01 orgB moves to a new chat: an invite for the existing contact binds it, the old chat is unbound;
- 2028-05-08 pairing C is replaced (pairbot pairing replace): a new organization (D) takes C's county;
- 2028-06-01 a Sichuan group is tagged with its province and a `province:四川省` notice reaches it.

Holidays for the years chinese-calendar does not know come from `[schedule] holidays` (ranges
included); 31 August 2027 is made a local holiday, so that season's deadline moves to 1 September and
its stages count back from there. Checked: who got which stage of which season's agreement deadline
and year-end statistics and when, that nothing went out twice or on a non-working day, and that
each season's deadline exists exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.cli.cycles import create_default_obligations
from bot.db import unit_of_work
from bot.messages import Incoming
from jobs.scheduler import SchedulerService
from models.messaging import Delivery
from models.pairing import Pairing
from models.registry import Role
from models.reminders import ObligationKind, ReminderSent
from models.reporting import Deadline, ProgressUpdate, ReportCycle
from models.services.obligations import record_agreement
from models.registry import Contact
from models.services import contacts, pairings
from models.services.broadcast import parse_segment, queue_broadcast
from models.services.groups import record_group, tag_group
from models.services.invites import create_invite
from tests.conftest import make_settings
from tests.factories import CODES, add_org
from tests.reminders.world import CONSOLE, SHANGHAI, Clock, World, add_contact, build_world, ledger, local

HOLIDAYS = ["2027-01-01", "2027-02-05..2027-02-11", "2027-08-31", "2027-10-01..2027-10-07",
            "2028-01-25..2028-01-31", "2028-10-01..2028-10-06", "2029-01-01"]
START, END = "2026-11-10", "2029-01-20"
EVERYONE = ("orgA", "countyA", "orgB", "countyB", "orgC", "countyC")

# Stage → day, worked out by hand from the rules (due date moved forward, stage days moved back).
STATISTICS_2026 = {"30": "2026-12-01", "14": "2026-12-17", "7": "2026-12-24", "3": "2026-12-28", "1": "2026-12-30"}
# Due 31 August 2027 is a holiday → Wednesday 1 September; 3 before is Sunday 29 August → Friday 27;
# 1 before is the holiday → Monday 30 August.
AGREEMENT_2027 = {"30": "2027-08-02", "14": "2027-08-18", "7": "2027-08-25", "3": "2027-08-27", "1": "2027-08-30"}
STATISTICS_2027 = {"30": "2027-12-01", "14": "2027-12-17", "7": "2027-12-24", "3": "2027-12-28", "1": "2027-12-30"}
AGREEMENT_2028 = {"30": "2028-08-01", "14": "2028-08-17", "7": "2028-08-24", "3": "2028-08-28", "1": "2028-08-30"}
# Due Sunday 31 December 2028 → 1 January 2029 is a holiday → Tuesday 2 January 2029. 30 before is Sunday
# 3 December → Friday 1; 3 before (Saturday 30th) and 1 before (the holiday) are both Friday 29 December: one message.
STATISTICS_2028 = {"30": "2028-12-01", "14": "2028-12-19", "7": "2028-12-26", "1": "2028-12-29"}


@pytest.fixture
def two_years(db_url: str) -> Iterator[tuple[App, Clock]]:
    clock = Clock(local(f"{START} 10:00"))
    settings = make_settings(db_url, schedule={"holidays": HOLIDAYS})
    app = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    app.queue.start_worker()
    yield app, clock
    app.close()


def _reply_to_statistics(app: App, world: World, name: str, year: str) -> Callable[[], None]:
    """The contact answers (threaded) its latest reminder of that year's statistics with a report."""
    def reply() -> None:
        with Session(app.engine) as session:
            reminder = session.exec(
                select(ReminderSent).join(ReportCycle, ReportCycle.id == ReminderSent.obligation_id)
                .where(ReminderSent.contact_id == world.contacts[name], ReminderSent.period == year,
                       ReminderSent.obligation == ObligationKind.cycle, ReportCycle.kind == "annual")
                .order_by(ReminderSent.id.desc())).first()  # type: ignore[union-attr]
            assert reminder is not None, (name, year)
            message_id = session.get(Delivery, reminder.delivery_id).platform_message_id  # type: ignore[union-attr]
        app.router.handle(Incoming(channel=CONSOLE, chat_id=name, sender_id=name, message_id=uuid.uuid4().hex,
                                   text=f"{year}年全年投入帮扶资金120万元，带动300户增收", reply_to_message_id=message_id))
        app.queue.join()
    return reply


def _sign(app: App, organization: str, county: str, signed: str) -> Callable[[], None]:
    def sign() -> None:
        with unit_of_work(app.engine) as session:
            result = record_agreement(session, organization, county, date.fromisoformat(signed), 30, actor="test",
                                      today=date.fromisoformat(signed))
            assert result.outcome == "created"
    return sign


def _replace_c(app: App, world: World) -> Callable[[], None]:
    def replace() -> None:
        world.organizations["D"] = add_org(app.engine, "中国人口福利基金会", CODES[2])
        with unit_of_work(app.engine) as session:
            ended = session.get(Pairing, world.pairings["C"])
            successor = pairings.replace(session, ended, "中国人口福利基金会",  # type: ignore[arg-type]
                                         pairings.Change("test", "到期结束"), app.clock(), SHANGHAI)
            world.pairings["D"] = successor.id  # type: ignore[assignment]
        world.contacts["orgD"] = add_contact(app.engine, "orgD", Role.organization, org=world.organizations["D"])
    return replace


def _move_org_b(app: App, world: World) -> Callable[[], None]:
    """orgB's person changes phones: a code for the existing contact binds the new chat, the old one is unbound."""
    def move() -> None:
        with unit_of_work(app.engine) as session:
            code = create_invite(session, Role.organization, actor="test", expires_days=365,  # made now, redeemed in 2027
                                 contact=session.get(Contact, world.contacts["orgB"])).code
        app.router.handle(Incoming(channel=CONSOLE, chat_id="orgB-new", sender_id="orgB-new",
                                   message_id=uuid.uuid4().hex, text=f"绑定 {code}"))
        app.queue.join()
        with unit_of_work(app.engine) as session:
            contacts.unbind(session, session.get(Contact, world.contacts["orgB"]), CONSOLE, "orgB", "test")  # type: ignore[arg-type]
    return move


def _sichuan_group_notice(app: App) -> Callable[[], None]:
    def notice() -> None:
        with unit_of_work(app.engine) as session:
            group, _ = record_group(session, CONSOLE, "sc-group", "四川结对工作群")
            tag_group(session, group, "test", province="四川省")
            queued = queue_broadcast(session, parse_segment("province:四川省"), "请各结对单位按期续签帮扶协议。",
                                     require_ack=False, actor="test", now=app.clock())
        app.queue.enqueue(queued.delivery_ids)
        app.queue.join()
    return notice


def _county_name(app: App, world: World, side: str) -> str:
    from models.registry import County

    with Session(app.engine) as session:
        county = session.get(County, world.counties[side])
        assert county is not None
        return county.name


def _sent(app: App, world: World) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """obligation title → contact name → [(stage, local time)] of every stage reminder, in order."""
    names = {v: k for k, v in world.contacts.items()}
    with Session(app.engine) as session:
        deadlines = {d.id: d.name for d in session.exec(select(Deadline)).all()}
        cycles = {c.id: c.name for c in session.exec(select(ReportCycle)).all()}
    got: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for row in ledger(app.engine):
        if not row.stage.isdigit():
            continue
        title = (deadlines[row.obligation_id] if row.obligation == ObligationKind.deadline
                 else f"{cycles[row.obligation_id]}（{row.period}）")
        got[title][names[row.contact_id]].append(
            (row.stage, row.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")))
    return got


def _at_eight(stages: dict[str, str]) -> list[tuple[str, str]]:
    return [(stage, f"{day} 08:00") for stage, day in stages.items()]


def test_two_years_of_seasons(two_years: tuple[App, Clock], caplog: pytest.LogCaptureFixture) -> None:
    app, clock = two_years
    world = build_world(app.engine)
    assert create_default_obligations(app.engine, app.settings, now=clock.now) == [
        "2027年帮扶协议签订", "月度进展", "年度统计"]
    assert create_default_obligations(app.engine, app.settings, now=clock.now) == []  # init again: nothing new
    actions = {
        "2026-12-10": _reply_to_statistics(app, world, "orgA", "2026"),
        "2027-06-01": _sign(app, "中国扶贫基金会", _county_name(app, world, "C"), "2027-06-01"),
        "2027-08-20": _sign(app, "中国社会福利基金会", "布拖县", "2027-08-20"),
        "2027-12-20": _reply_to_statistics(app, world, "countyB", "2027"),
        "2028-03-01": _sign(app, "中国自动化学会", "昭觉县", "2028-03-01"),
        "2027-03-01": _move_org_b(app, world),
        "2028-05-08": _replace_c(app, world),
        "2028-06-01": _sichuan_group_notice(app),
    }
    scheduler = SchedulerService(app)
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    day = date.fromisoformat(START) + timedelta(days=1)
    while day <= date.fromisoformat(END):
        clock.set(local(f"{day.isoformat()} 08:00"))
        if scheduler.tick().queued:
            app.queue.join()
        if day.isoformat() in actions:
            clock.set(local(f"{day.isoformat()} 12:00"))
            actions[day.isoformat()]()
        day += timedelta(days=1)

    # Each season's agreement deadline exactly once: 2027's from init, the next ones on 1 September.
    with Session(app.engine) as session:
        deadlines = [(d.name, d.season, d.due_on.isoformat(), f"{d.created_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
                     for d in session.exec(select(Deadline).order_by(Deadline.id))]  # type: ignore[arg-type]
        cycles = sorted(c.name for c in session.exec(select(ReportCycle)).all())
    assert deadlines == [("2027年帮扶协议签订", 2027, "2027-08-31", f"{START} 10:00"),
                         ("2028年帮扶协议签订", 2028, "2028-08-31", "2027-09-01 08:00"),
                         ("2029年帮扶协议签订", 2029, "2029-08-31", "2028-09-01 08:00")]
    assert cycles == ["年度统计", "月度进展"]  # the year-end statistics: one cycle, a period per year

    got = _sent(app, world)
    every = {name: _at_eight(STATISTICS_2026) for name in EVERYONE}
    assert got["年度统计（2026）"] == every | {"orgA": _at_eight({"30": "2026-12-01"}),
                                            "countyA": _at_eight({"30": "2026-12-01"})}  # A answered on the 10th
    first_two = _at_eight({"30": AGREEMENT_2027["30"], "14": AGREEMENT_2027["14"]})
    assert got["2027年帮扶协议签订"] == {"orgA": first_two, "countyA": first_two,  # A signed on 20 August
                                    "orgB": _at_eight(AGREEMENT_2027), "countyB": _at_eight(AGREEMENT_2027)}
    first_two = _at_eight({"30": STATISTICS_2027["30"], "14": STATISTICS_2027["14"]})
    assert got["年度统计（2027）"] == {name: _at_eight(STATISTICS_2027) for name in EVERYONE} | {
        "orgB": first_two, "countyB": first_two}  # B answered on the 20th
    # B signed for 2028 in March; C ended in May; D (with C's county contact) took its place.
    assert got["2028年帮扶协议签订"] == {name: _at_eight(AGREEMENT_2028) for name in ("orgA", "countyA", "countyC",
                                                                              "orgD")}
    assert got["年度统计（2028）"] == {name: _at_eight(STATISTICS_2028) for name in ("orgA", "countyA", "orgB",
                                                                            "countyB", "countyC", "orgD")}
    assert "2029年帮扶协议签订" not in got  # its first stage is in July 2029

    # orgB's reminders followed the person to the new chat; nothing went to the unbound one after the move.
    console = app.channels[CONSOLE].sent  # type: ignore[attr-defined]
    with Session(app.engine) as session:
        to_org_b = [(d.chat_id, d.sent_at.astimezone(SHANGHAI).date().isoformat())  # type: ignore[union-attr]
                    for d in session.exec(select(Delivery).where(Delivery.contact_id == world.contacts["orgB"],
                                                                 Delivery.status == "sent")).all()]
    assert {chat for chat, day in to_org_b if day < "2027-03-01"} == {"orgB"}
    assert {chat for chat, day in to_org_b if day > "2027-03-01"} == {"orgB-new"}
    # The province notice reached the tagged group and Sichuan's contacts, not Yunnan's.
    notice = "请各结对单位按期续签帮扶协议。"
    assert sorted(m.chat_id for m in console if notice in m.text) == sorted(
        ["sc-group", "orgA", "countyA", "orgB-new", "countyB", "adminSC"])  # adminSC: responsible for 四川

    rows = ledger(app.engine)
    keys = Counter((r.obligation, r.obligation_id, r.period, r.stage, r.contact_id) for r in rows)
    assert max(keys.values()) == 1  # nothing claimed twice
    with Session(app.engine) as session:
        reminders = {r.delivery_id for r in rows}
        sent = [d for d in session.exec(select(Delivery)).all() if d.id in reminders]
        filed = [u for u in session.exec(select(ProgressUpdate)).all() if u.cycle_id is not None]
    assert len(sent) == len(rows) and {d.status for d in sent} == {"sent"}  # one delivery each, all sent once
    assert len({d.dedupe_key for d in sent}) == len(sent)
    texts = Counter((m.chat_id, m.text) for m in app.channels[CONSOLE].sent)  # type: ignore[attr-defined]
    assert max(texts.values()) == 1  # no chat saw the same message twice
    calendar = scheduler.policy.calendar
    days = ({r.created_at.astimezone(SHANGHAI).date() for r in rows}
            | {d.sent_at.astimezone(SHANGHAI).date() for d in sent})  # type: ignore[union-attr]
    assert sorted(d for d in days if not calendar.is_workday(d)) == []  # digests and summaries included
    assert {(u.period, u.contact_id) for u in filed} == {("2026", world.contacts["orgA"]),
                                                           ("2027", world.contacts["countyB"])}
    # Years beyond chinese-calendar were reported as each new year brought them within reach (this year and
    # next): where their days come from, or — 2030, with nothing configured — a warning with how to add them.
    notes = [(r.levelname, r.getMessage().split(" 年")[0][-4:]) for r in caplog.records
             if r.getMessage().startswith("日历")]
    assert notes == [("INFO", "2027"), ("INFO", "2027"), ("INFO", "2028"), ("INFO", "2028"), ("INFO", "2029"),
                     ("INFO", "2029"), ("WARNING", "2030")]
    assert "PAIRBOT_SCHEDULE__HOLIDAYS" in caplog.records[-1].getMessage()

