"""Hand-off: rows another process wrote reach this process's embedded queue within a fraction of a second.

With a real broker (Redis, RabbitMQ) every writer enqueues after its commit, and any worker takes
the id. With the embedded `memory://` queue only `pairbot run` holds the queue, so rows written by
`pairbot broadcast`, `pairbot needs push` or `pairbot scheduler` in another process would wait
for the relay (`relay_after_seconds`). Instead, `pairbot run` watches the outbox:

1. a `Signal` says cheaply that the database may hold new rows: on SQLite `PRAGMA data_version`
   polled every POLL_SECONDS on a connection of its own (it changes when any other connection
   commits); on PostgreSQL a `LISTEN` on NOTIFY_CHANNEL, which a transaction that wrote outbox rows
   notifies as it commits (so a rolled-back row wakes nobody), the notifications of a burst taken
   together (SETTLE_SECONDS);
2. on a wake-up, `Handoff.pick_up` reads the rows above its high-water mark (the largest id seen)
   that are `pending` and never tried, and enqueues them; ids this process enqueued itself are
   dropped by the embedded queue, which remembers what it holds.

A row the hand-off misses (a PostgreSQL transaction that committed a lower id after a higher one
was seen, a lost connection) is still sent by the relay, which stays the safety net.

Rows for the console are not handed off: they are the replies of a `pairbot simulate` in another
terminal, which prints them itself at once; taken here, they raced it and were printed in the
server's log instead. One whose simulator has gone is left to the relay.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.db import unit_of_work
from bot.channels.console import NAME as CONSOLE
from models.messaging import Delivery, DeliveryStatus
from models.services.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # SQLite: how often data_version is read (a few microseconds each)
QUIET_SECONDS = 1.0  # PostgreSQL: longest wait for a notification before checking the stop flag
SETTLE_SECONDS = 0.05  # PostgreSQL: after one, the others of a burst are awaited and answered by one look
BATCH = 1000


class Signal(Protocol):
    def wait(self, stop: threading.Event) -> bool:
        """Block until the outbox may have changed (True) or `stop` is set (False)."""
        ...

    def close(self) -> None: ...


class SqliteSignal:
    """`PRAGMA data_version` on a connection of its own: it changes whenever another connection commits."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._version = self._read()

    def _read(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, stop: threading.Event) -> bool:
        while not stop.wait(POLL_SECONDS):
            version = self._read()
            if version != self._version:
                self._version = version
                return True
        return False

    def close(self) -> None:
        self._connection.close()


class PostgresSignal:
    """`LISTEN` on the outbox channel, on a connection of its own in autocommit mode."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._connection = psycopg.connect(url, autocommit=True)
        self._connection.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def wait(self, stop: threading.Event) -> bool:
        while not stop.is_set():
            # read to its end (it stops after one), so the connection's lock is released before the drain below
            if list(self._connection.notifies(timeout=QUIET_SECONDS, stop_after=1)):
                stop.wait(SETTLE_SECONDS)  # a burst of commits is one wake-up, not a look per commit
                for _ in self._connection.notifies(timeout=0):  # the burst's other notifications
                    pass
                return True
        return False

    def close(self) -> None:
        self._connection.close()


def signal_for(engine: Engine) -> Signal:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return SqliteSignal(url.database or "")
    return PostgresSignal(url.set(drivername="postgresql").render_as_string(hide_password=False))


class Handoff:
    """Enqueues rows that other processes committed, soon after `Signal` says there may be some."""

    def __init__(self, engine: Engine, enqueue: Callable[[Sequence[int]], bool]) -> None:
        self.engine = engine
        self.enqueue = enqueue
        self.seen = 0  # the largest delivery id looked at; 0 at start, so rows left pending go out at once
        self._thread: threading.Thread | None = None

    def pick_up(self) -> int:
        """Enqueue the new, never tried `pending` rows above the high-water mark; returns how many."""
        picked = 0
        while True:
            with unit_of_work(self.engine) as session:
                top = session.exec(select(func.max(Delivery.id))).one() or 0
                ids = [row for row in session.exec(
                    select(Delivery.id).where(
                        col(Delivery.id) > self.seen, col(Delivery.id) <= top,
                        col(Delivery.status) == DeliveryStatus.pending, col(Delivery.next_attempt_at).is_(None),
                        col(Delivery.channel) != CONSOLE,
                    ).order_by(col(Delivery.id)).limit(BATCH)
                ).all() if row is not None]
            if ids and not self.enqueue(ids):
                return picked  # the queue refused: the relay will send them, the mark stays to try again
            picked += len(ids)
            self.seen = ids[-1] if len(ids) == BATCH else top
            if len(ids) < BATCH:
                return picked

    def start(self, stop: threading.Event) -> None:
        def loop() -> None:
            signal: Signal | None = None
            while not stop.is_set():
                try:
                    if signal is None:
                        signal = signal_for(self.engine)
                        self.pick_up()  # whatever was written before we listened
                    if signal.wait(stop):
                        self.pick_up()
                except Exception:  # the database went away: listen again shortly, the relay covers the gap
                    log.exception("hand-off round failed")
                    if signal is not None:
                        signal.close()
                        signal = None
                    stop.wait(QUIET_SECONDS)
            if signal is not None:
                signal.close()

        self._thread = threading.Thread(target=loop, name="pairbot-handoff", daemon=True)
        self._thread.start()
