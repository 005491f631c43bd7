"""Two schedulers ticking at the same moment on the same database send each reminder once."""

from __future__ import annotations

import threading
from collections import Counter

from bot.app import App
from bot.channels.console import ConsoleChannel
from jobs.reminders import TickReport
from jobs.scheduler import SchedulerService
from models.registry import Role
from tests.conftest import make_settings
from tests.factories import add_org, load_counties, pair
from tests.reminders.world import CONSOLE, Clock, add_contact, agreement_deadline, deliveries, ledger, local

PAIRINGS = 40
# Working days on which a stage is due (30: Saturday 1 August moves to Friday; 3 and 1 are both Friday 28 August).
MOMENTS = ["2026-07-31 09:00", "2026-08-18 09:00", "2026-08-25 09:00", "2026-08-28 09:00", "2026-09-01 09:00"]


def _registry(app: App) -> int:
    """PAIRINGS pairings in Sichuan, a contact on each side, one admin; returns how many counties are paired."""
    from sqlmodel import Session, select

    from models.registry import County

    load_counties(app.engine)
    with Session(app.engine) as session:
        counties = session.exec(select(County.id).where(County.province == "四川省").order_by(County.id)).all()
    for n in range(PAIRINGS):
        org = add_org(app.engine, f"测试社会组织{n:02d}", f"TEST{n:014d}")
        county = counties[n % len(counties)]
        pair(app.engine, org, county)
        add_contact(app.engine, f"org{n}", Role.organization, org=org)
    for n, county in enumerate(counties):
        add_contact(app.engine, f"county{n}", Role.county, county=county)
    add_contact(app.engine, "admin", Role.admin)
    return min(PAIRINGS, len(counties))


def test_two_schedulers_at_once_send_each_reminder_once(db_url: str) -> None:
    clock = Clock(local("2026-07-20 09:00"))
    apps = [App(make_settings(db_url), channels={CONSOLE: ConsoleChannel()}, clock=clock) for _ in range(2)]
    try:
        counties = _registry(apps[0])
        agreement_deadline(apps[0].engine, created=clock.now)
        schedulers = [SchedulerService(app) for app in apps]
        per_moment: list[int] = []
        raced: list[bool] = []  # both planned the same reminders; the ledger's unique key let one through
        for moment in MOMENTS:
            clock.set(local(moment))
            reports: list[TickReport] = []
            errors: list[BaseException] = []
            start = threading.Barrier(len(schedulers))

            def tick(scheduler: SchedulerService) -> None:
                start.wait()
                try:
                    for _ in range(3):  # and again, as the next ticks would
                        reports.append(scheduler.tick())
                except BaseException as exc:  # noqa: BLE001 — reported below
                    errors.append(exc)

            threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not errors, errors
            per_moment.append(sum(len(r.queued) for r in reports))
            raced.append(sum(r.planned for r in reports) > per_moment[-1])
        rows = ledger(apps[0].engine)
        keys = Counter((r.obligation, r.obligation_id, r.period, r.stage, r.contact_id) for r in rows)
        assert keys and max(keys.values()) == 1
        sent = deliveries(apps[0].engine)
        assert len(sent) == len(rows) and len({d.dedupe_key for d in sent}) == len(sent)
        # Four stages to every organization and county contact; then a digest to each county, the admin's
        # digest, the admin's weekly summary and the admin's daily digest (agreements now overdue).
        assert per_moment == [PAIRINGS + counties] * 4 + [counties + 3]
        assert any(raced)
    finally:
        for app in apps:
            app.close()
