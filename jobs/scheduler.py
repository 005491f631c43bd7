"""The scheduler: one leader per database runs APScheduler ticks that send what is due.

Leadership is a lock that dies with its holder: on PostgreSQL a session advisory lock
(`pg_try_advisory_lock`) held on a dedicated connection; on SQLite an exclusive `flock` on a file
beside the database. A copy that is not the leader retries every `[schedule] leader_retry_seconds`
and takes over when the leader's process (and so its connection or file handle) is gone. The
ticks themselves are safe to run twice — the reminder ledger's unique key sends each reminder
once — so the lock saves work and noise, it does not carry correctness.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from bot.db import unit_of_work
from jobs.reminders import TickReport, run_tick
from models.services.reminders import Policy
from models.services.seasons import current_season, ensure_defaults, ensure_season
from models.services.workcalendar import years_ahead

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# A fixed 64-bit key for pg_try_advisory_lock (advisory locks are per database).
ADVISORY_KEY = 0x7061697262_6F74  # "pairbot"
JOB_ID = "reminders"


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock without waiting; True if this copy now holds it (or already did)."""
        ...

    def held(self) -> bool:
        """Whether the lock is still ours (the connection behind it is alive)."""
        ...

    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL session advisory lock on its own connection (not from the pool, never in a transaction)."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.key = key
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        if self._connection is not None:
            return True
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        except Exception:
            connection.close()
            raise
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            self._drop()
            return False

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception:  # the connection is gone, and the lock with it
            pass
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


class FileLock:
    """An exclusive, non-blocking flock; the operating system drops it when the holder's process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def acquire(self) -> bool:
        import fcntl

        if self._handle is not None:
            return True
        handle = open(self.path, "a+b")  # noqa: SIM115 — kept open while the lock is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        import fcntl

        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def dispose(self) -> None:
        self.release()


def leader_lock(engine: Engine) -> AdvisoryLock | FileLock:
    """The right lock for the database behind `engine`."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = engine.url.database or ""
    if not database or database == ":memory:":
        import tempfile

        return FileLock(Path(tempfile.gettempdir()) / f"pairbot-scheduler-{id(engine)}.lock")
    return FileLock(Path(database).resolve().with_name(Path(database).name + ".scheduler.lock"))


def tick_trigger(seconds: int, zone: Any) -> Any:
    """A cron trigger on round times when `seconds` divides a minute or an hour, else a plain interval."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if seconds < 60 and 60 % seconds == 0:
        return CronTrigger(second=f"*/{seconds}", timezone=zone)
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        return CronTrigger(minute=f"*/{seconds // 60}", second=0, timezone=zone)
    return IntervalTrigger(seconds=seconds, timezone=zone)


class SchedulerService:
    """A Component of `pairbot run` and the body of `pairbot scheduler`: elect a leader, tick while leading."""

    name = "scheduler"

    def __init__(self, app: App, lock: LeaderLock | None = None, tick_seconds: int | None = None,
                 retry_seconds: float | None = None) -> None:
        self.app = app
        self.policy = Policy.from_settings(app.settings)
        self.lock = lock if lock is not None else leader_lock(app.engine)
        self.tick_seconds = tick_seconds or app.settings.schedule.tick_seconds
        self.retry_seconds = retry_seconds or app.settings.schedule.leader_retry_seconds
        self.leading = threading.Event()
        self.ticks = 0
        self._season: int | None = None  # the season whose agreement deadline is known to exist
        self._calendar_years: tuple[int, ...] = ()  # the years the calendar was last checked for
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> TickReport:
        """One round: the season's deadline exists, then what is due now goes to the outbox and the queue."""
        now = now or self.app.clock()
        self._check_calendar(now)
        self._roll_over(now)
        return run_tick(self.app.engine, self.policy, now, self.app.queue.enqueue)

    def _roll_over(self, now: datetime) -> None:
        """When the season changes (1 September), create its agreement deadline (see models.services.seasons)."""
        today = self.policy.today(now)
        season = current_season(self.app.settings.reminders, today)
        if season is None or season == self._season:
            return
        with unit_of_work(self.app.engine) as session:
            made = ensure_season(session, self.app.settings.reminders, today, actor="scheduler", now=now)
        if made:
            log.info("new season: %s created", made)
        self._season = season

    def _check_calendar(self, now: datetime) -> None:
        """Log the years ahead that chinese-calendar does not know: at start-up, and again when a new year comes in."""
        years = years_ahead(self.policy.today(now))
        if years == self._calendar_years:
            return
        self._calendar_years = years
        for note in self.policy.calendar.calendar_notes(years):
            log.log(logging.WARNING if note.warning else logging.INFO, "%s", note.text)

    def start(self) -> None:
        self._check_calendar(self.app.clock())
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pairbot-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        dispose = getattr(self.lock, "dispose", None)
        if dispose is not None:
            dispose()

    def _run(self) -> None:
        told = False
        while not self._stop.is_set():
            try:
                acquired = self.lock.acquire()
            except Exception as exc:  # the database may be down; keep trying
                log.warning("scheduler lock unavailable: %s", exc)
                acquired = False
            if not acquired:
                if not told:
                    log.info("another scheduler is the leader; this one waits and takes over if it stops")
                    told = True
                self._stop.wait(self.retry_seconds)
                continue
            told = False
            try:
                self._lead()
            except Exception:
                log.exception("scheduler failed while leading")
            finally:
                self.leading.clear()
                self.lock.release()

    def _lead(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        log.info("scheduler is the leader: reminders tick every %s s", self.tick_seconds)
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not two lines a minute
        self._ensure_defaults()
        scheduler = BackgroundScheduler(timezone=self.policy.zone)
        # The first run is at once: after downtime the latest due stage goes out without waiting a tick.
        scheduler.add_job(self._safe_tick, tick_trigger(self.tick_seconds, self.policy.zone), id=JOB_ID,
                          max_instances=1, coalesce=True, misfire_grace_time=max(self.tick_seconds, 30),
                          next_run_time=datetime.now(self.policy.zone))
        scheduler.start()
        self.leading.set()
        try:
            while not self._stop.wait(self.retry_seconds):
                if not self.lock.held():
                    log.warning("scheduler lost its leader lock; stopping ticks and trying again")
                    break
        finally:
            scheduler.shutdown(wait=True)

    def _ensure_defaults(self) -> None:
        try:
            with unit_of_work(self.app.engine) as session:
                now = self.app.clock()
                made = ensure_defaults(session, self.app.settings.reminders, self.policy.today(now), actor="scheduler",
                                       now=now)
            self._season = current_season(self.app.settings.reminders, self.policy.today(now))
            if made:
                log.info("default obligations created: %s", ", ".join(made))
        except Exception:
            log.exception("could not create the default obligations")

    def _safe_tick(self) -> None:
        try:
            self.tick()
            self.ticks += 1
        except Exception:  # the database may be briefly unavailable; the next tick tries again
            log.exception("reminder tick failed")


def scheduler_component(app: App) -> SchedulerService | None:
    """The scheduler for `pairbot run`, unless `[schedule] in_run = false` (a separate `pairbot scheduler`)."""
    return SchedulerService(app) if app.settings.schedule.in_run else None


def run_scheduler(app: App, stop: threading.Event) -> None:
    """`pairbot scheduler`: run until `stop` is set (SIGINT / SIGTERM)."""
    service = SchedulerService(app)
    service.start()
    try:
        stop.wait()
    finally:
        service.stop()
