"""One scheduler leads per database; a second copy waits and takes over when the leader's process dies."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.db import make_engine, unit_of_work
from jobs.scheduler import AdvisoryLock, FileLock, SchedulerService, leader_lock, tick_trigger
from models.base import utcnow
from models.services.obligations import add_obligation
from tests.conftest import make_settings
from tests.reminders.world import CONSOLE, SHANGHAI, Clock, agreement_deadline, build_world, ledger, local

REPO = Path(__file__).resolve().parents[2]
HOLD_LOCK = """
import sys, time
from bot.db import make_engine, unit_of_work
from jobs.scheduler import leader_lock
lock = leader_lock(make_engine(sys.argv[1]))
assert lock.acquire()
print("leader", flush=True)
time.sleep(120)
"""


def _eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _takeover(url: str) -> None:
    """A child process takes the lock; ours cannot; the child is killed; ours gets it."""
    child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, url], cwd=REPO, stdout=subprocess.PIPE, text=True)
    engine = make_engine(url)
    lock = leader_lock(engine)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "leader"
        assert not lock.acquire() and not lock.held()
        child.kill()
        child.wait(timeout=10)
        assert _eventually(lock.acquire)
        assert lock.held()
        rival = leader_lock(engine)
        assert not rival.acquire()
        lock.release()
        assert rival.acquire()
        rival.release()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
        lock.release()
        engine.dispose()


def test_postgres_advisory_lock_passes_to_the_survivor(pg_database: str) -> None:
    assert isinstance(leader_lock(make_engine(pg_database)), AdvisoryLock)
    _takeover(pg_database)


def test_postgres_lock_lost_with_its_connection_is_noticed(pg_database: str) -> None:
    from sqlalchemy import text

    engine = make_engine(pg_database)
    lock = AdvisoryLock(engine)
    try:
        assert lock.acquire()
        with engine.connect() as admin:
            # Only the holder of our key in this test's own database (pg_locks spans the server).
            admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                               "WHERE locktype = 'advisory' AND classid = :high AND objid = :low AND database = "
                               "(SELECT oid FROM pg_database WHERE datname = current_database())"),
                          {"high": lock.key >> 32, "low": lock.key & 0xFFFFFFFF})
            admin.commit()
        assert _eventually(lambda: not lock.held())
        assert lock.acquire()  # a new connection, a new lock
    finally:
        lock.dispose()
        engine.dispose()


def test_sqlite_file_lock_passes_to_the_survivor(sqlite_url: str) -> None:
    assert isinstance(leader_lock(make_engine(sqlite_url)), FileLock)
    _takeover(sqlite_url)


def test_the_running_scheduler_ticks_and_a_second_copy_takes_over(db_url: str) -> None:
    clock = Clock(local("2026-07-20 09:00"))
    apps = [App(make_settings(db_url), channels={CONSOLE: ConsoleChannel()}, clock=clock) for _ in range(2)]
    services = [SchedulerService(app, tick_seconds=1, retry_seconds=0.2) for app in apps]
    try:
        build_world(apps[0].engine)
        agreement_deadline(apps[0].engine, created=clock.now)
        for service in services:
            service.start()
        assert _eventually(lambda: any(s.leading.is_set() for s in services))
        time.sleep(0.5)
        assert sum(s.leading.is_set() for s in services) == 1
        leader, follower = sorted(services, key=lambda s: not s.leading.is_set())
        assert _eventually(lambda: leader.ticks >= 1)
        clock.set(local("2026-07-31 09:00"))  # stage 30 (Saturday 1 August: the Friday before): the next tick sends it
        assert _eventually(lambda: len(ledger(apps[0].engine)) == 4)  # A and B, both sides
        leader.stop()
        assert _eventually(lambda: follower.leading.is_set(), 5)
        clock.set(local("2026-08-18 09:00"))
        assert _eventually(lambda: len(ledger(apps[0].engine)) == 8)
        assert follower.ticks >= 1
    finally:
        for service in services:
            service.stop()
        for app in apps:
            app.close()


@pytest.mark.parametrize(("seconds", "text"), [(60, "cron[minute='*/1', second='0']"), (1, "cron[second='*/1']"),
                                               (300, "cron[minute='*/5', second='0']"), (90, "interval")])
def test_tick_triggers(seconds: int, text: str) -> None:
    assert str(tick_trigger(seconds, SHANGHAI)).startswith(text)


def _exit_code(child: subprocess.Popen[str], log: list[str], seconds: float = 30) -> int:
    """The child's exit code; if it has not exited in time, fail with its log and every thread's stack."""
    try:
        return child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGUSR1)  # `pairbot` dumps its threads' stacks to stderr (faulthandler)
        time.sleep(2)
        pytest.fail(f"no exit {seconds} s after SIGTERM; its log and stacks:\n" + "".join(log))


def _spawn(args: list[str], env: dict[str, str],
           cwd: Path) -> tuple[subprocess.Popen[str], list[str], threading.Thread]:
    """Start a child and collect its stderr (where logging goes) in the background."""
    child = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def read() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return child, lines, reader


def test_pairbot_scheduler_processes_one_leads_and_the_other_takes_over(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    build_world(engine)
    today = utcnow().astimezone(SHANGHAI).date()
    with unit_of_work(engine) as session:  # due within days, whatever today is: some stage is due now
        add_obligation(session, "近期协议", "agreement", (today + timedelta(days=3)).isoformat(), list(range(15)),
                       actor="test", now=utcnow() - timedelta(days=1))
    engine.dispose()
    config = tmp_path / "empty.toml"
    config.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_SCHEDULE__TICK_SECONDS": "1",
        "PAIRBOT_SCHEDULE__LEADER_RETRY_SECONDS": "0.2",
        "PAIRBOT_SCHEDULE__QUIET_START": "00:00", "PAIRBOT_SCHEDULE__QUIET_END": "00:00",  # no quiet hours
        "PAIRBOT_SCHEDULE__WORKDAYS": today.isoformat(),  # nothing goes out on a non-working day: make today one
        "PAIRBOT_REMINDERS__DIGEST_TIME": "",  # no daily digest: only the stage reminders are counted
        "PAIRBOT_REMINDERS__AGREEMENT_DUE": ""}  # no season's deadline: its stages would depend on the date
    first, first_log, first_reader = _spawn(["--config", str(config), "scheduler"], env, tmp_path)
    spawned = [(first, first_reader)]
    try:
        check = make_engine(db_url)
        assert _eventually(lambda: len(ledger(check)) == 4, 30), "".join(first_log)  # A and B, both sides
        second, second_log, second_reader = _spawn(["--config", str(config), "scheduler"], env, tmp_path)
        spawned.append((second, second_reader))
        assert _eventually(lambda: any("another scheduler is the leader" in l for l in second_log), 30)
        first.kill()
        took_over = lambda: any("is the leader: reminders tick" in line for line in second_log)  # noqa: E731
        assert _eventually(took_over, 30), "".join(second_log)
        second.send_signal(signal.SIGUSR1)  # where a hung process waits: every thread's stack, and it goes on
        # faulthandler heads each thread's stack so; "Current thread" only when a Python thread took the signal
        assert _eventually(lambda: any("(most recent call first)" in line for line in second_log), 10), (
            f"no stack dump; exit code {second.poll()}; its log:\n" + "".join(second_log))
        assert second.poll() is None
        second.send_signal(signal.SIGTERM)
        assert _exit_code(second, second_log) == 0
        assert len(ledger(check)) == 4  # the new leader found them sent: nothing twice
        check.dispose()
    finally:
        for child, reader in spawned:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=10)
            reader.join(timeout=10)
            if child.stderr is not None:
                child.stderr.close()


def test_pairbot_run_includes_the_scheduler_unless_told_not_to(sqlite_url: str) -> None:
    from bot.components import build_components

    for in_run, expected in ((True, 1), (False, 0)):
        app = App(make_settings(sqlite_url, schedule={"in_run": in_run}))
        try:
            assert sum(isinstance(c, SchedulerService) for c in build_components(app)) == expected
        finally:
            app.close()


def test_the_scheduler_warns_at_start_up_about_years_the_calendar_does_not_know(
        sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(local("2027-03-01 09:00"))  # this year and next are beyond chinese-calendar 1.11
    app = App(make_settings(sqlite_url, schedule={"holidays": ["2027-10-01..2027-10-07"]}), clock=clock)
    service = SchedulerService(app, tick_seconds=1, retry_seconds=0.2)
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    try:
        service.start()  # `pairbot run` and `pairbot scheduler` start it: the lines are in their log at once
        notes = [(r.levelname, r.getMessage()) for r in caplog.records if r.getMessage().startswith("日历")]
    finally:
        service.stop()
        app.close()
    assert [level for level, _ in notes] == ["INFO", "WARNING"]
    assert "2027 年" in notes[0][1] and "7 个节假日" in notes[0][1]  # configured: where its days come from
    assert "没有 2028 年的法定节假日数据" in notes[1][1] and "PAIRBOT_SCHEDULE__HOLIDAYS=2028-01-01" in notes[1][1]
