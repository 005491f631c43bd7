"""A whole agreement season, hour by hour on a controlled clock, on SQLite and PostgreSQL.

31 August 2026 is made a (local) holiday, so the agreement is due on Tuesday 1 September. The
stages count back from it: 2 August (a Sunday) moves to Friday 31 July, 18 and 25 August stay,
29 August (Saturday) and 31 August (the holiday) both move to Friday 28 August, where they are one
message (stage 1). Pairing A signs on 20 August; pairing B never does; pairing C (Yunnan) signed
long ago.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.db import unit_of_work
from jobs.scheduler import SchedulerService
from models.services.obligations import record_agreement
from tests.conftest import make_settings
from tests.reminders.world import (CONSOLE, SHANGHAI, Clock, agreement_deadline, build_world, deliveries, ledger, local,
                                   sent_to)

STAGE_DAYS = {"30": "2026-07-31", "14": "2026-08-18", "7": "2026-08-25", "1": "2026-08-28"}


@pytest.fixture
def season_app(db_url: str) -> Iterator[tuple[App, Clock]]:
    clock = Clock(local("2026-07-25 02:00"))
    settings: Settings = make_settings(db_url, schedule={"holidays": ["2026-08-31"]},
                                       reminders={"digest_time": ""})  # the daily digest: tests/reminders/test_digest.py
    app = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    app.queue.start_worker()
    yield app, clock
    app.close()


def _run(app: App, clock: Clock, until: str, scheduler: SchedulerService, actions: dict[str, object]) -> None:
    """Tick every 3 hours (local 02:00, 05:00, 08:00 … 23:00): three ticks a night fall in quiet hours."""
    end = local(until)
    while clock.now < end:
        action = actions.get(clock.now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))
        if callable(action):
            action()
        if scheduler.tick().queued:
            app.queue.join()
        clock.advance(hours=3)


def test_an_agreement_season(season_app: tuple[App, Clock]) -> None:
    app, clock = season_app
    world = build_world(app.engine)
    agreement_deadline(app.engine, created=clock.now)
    scheduler = SchedulerService(app)

    def sign_a() -> None:
        with unit_of_work(app.engine) as session:
            record_agreement(session, "中国社会福利基金会", "布拖县", local("2026-08-20 00:00").date(), 30, actor="test")

    _run(app, clock, "2026-09-09 00:00", scheduler, {"2026-08-20 11:00": sign_a})

    rows = ledger(app.engine)
    names = {v: k for k, v in world.contacts.items()}
    got: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        got[names[row.contact_id]].append((row.stage, row.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")))

    every_stage = [(stage, f"{day} 08:00") for stage, day in STAGE_DAYS.items()]
    # Held through the quiet night: each stage goes out when quiet hours end, at 08:00.
    assert got["orgB"] == every_stage
    assert got["countyB"] == every_stage + [("overdue", "2026-09-02 08:00")]
    # A signed on 20 August: its reminders stopped at once.
    assert got["orgA"] == every_stage[:2] and got["countyA"] == every_stage[:2]
    # C signed long ago; Yunnan has nothing overdue.
    assert "orgC" not in got and "countyC" not in got and "adminYN" not in got
    # Admins of Sichuan and of all provinces: one digest when the due date passed, one summary a week.
    expected_admin = [("overdue", "2026-09-02 08:00"), ("weekly", "2026-09-02 08:00"), ("weekly", "2026-09-07 08:00")]
    assert got["adminSC"] == expected_admin and got["adminAll"] == expected_admin
    assert {r.period for r in rows if r.stage == "weekly"} == {"2026-W36", "2026-W37"}

    sent = deliveries(app.engine)
    assert len(sent) == len(rows) and {d.status for d in sent} == {"sent"}
    assert all(r.delivery_id is not None for r in rows)
    assert all(8 <= d.sent_at.astimezone(SHANGHAI).hour < 21 for d in sent)  # type: ignore[union-attr]

    [first_b, *_, last_b] = sent_to(app, "orgB")
    assert first_b.startswith("【2026年帮扶协议签订】请于9月1日（周二）前签订") and "四川省昭觉县" in first_b
    # The text counts the real days left: stage 30 went out two days early, stage 1 on the Friday before.
    assert "还有 32 天" in first_b and "还有 4 天" in sent_to(app, "orgB")[-1]
    assert "中国自动化学会" in last_b or "中国自动化学会" in sent_to(app, "countyB")[-1]
    [digest] = [text for text in sent_to(app, "adminSC") if text.startswith("【逾期】")]
    assert "仍有 1 个结对未登记帮扶协议" in digest and "昭觉县—中国自动化学会" in digest
    assert "布拖县" not in digest


def test_after_downtime_only_the_latest_stage_goes_out(season_app: tuple[App, Clock]) -> None:
    app, clock = season_app
    world = build_world(app.engine)
    agreement_deadline(app.engine, created=clock.now)
    scheduler = SchedulerService(app)
    clock.set(local("2026-07-31 09:00"))
    scheduler.tick()
    clock.set(local("2026-08-27 14:30"))  # down from 31 July to 27 August: stages 14 and 7 were missed
    scheduler.tick()
    scheduler.tick()
    app.queue.join()
    stages = [r.stage for r in ledger(app.engine) if r.contact_id == world.contacts["orgB"]]
    assert stages == ["30", "7"]
    clock.advance(days=11)  # down again past the due date, to Monday 7 September in the escalation window
    scheduler.tick()
    assert [r.stage for r in ledger(app.engine) if r.contact_id == world.contacts["orgB"]] == ["30", "7"]
    assert "overdue" in {r.stage for r in ledger(app.engine) if r.contact_id == world.contacts["countyB"]}
    clock.advance(days=31)  # long after (Thursday 8 October): no stale digests
    before = len(ledger(app.engine))
    scheduler.tick()
    assert {r.stage for r in ledger(app.engine)[before:]} <= {"weekly"}
