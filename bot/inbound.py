"""Inbound messages: stored first, then handled (`Inbox`), each step a group commit (`GroupCommit`).

A channel hands each message to `Inbox.submit` and answers its platform once the future says the
raw row is committed: a process killed at any moment loses nothing it acknowledged, and the
platform's answer does not wait for parsing and the ledger. The router then handles the stored row
(its reply rows written in the same transaction), in the order the chat's messages arrived; a
restart (`resume`) finishes whatever was stored but not handled.

Group commit: one writer thread, several messages per transaction under load.

Channels hand each message to `GroupCommit.submit` and wait on the future it returns. The writer
takes whatever is waiting (up to `max_batch`) and passes it to the router in one call, so the
messages share one transaction and one commit, each handled in its own savepoint (see
bot.router). When messages arrive one at a time, a batch is one message and nothing waits: a
batch forms only while the previous one is being written.

Writers work in lanes: one on SQLite (one writer at a time is all the file allows), `PG_LANES` on
PostgreSQL, where a transaction spends much of its time waiting for the server and another lane
can use that time. A chat always lands on the same lane, which writes in the order messages
arrived, so one person's messages are handled in the order they were sent.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import Engine

from bot.messages import Incoming

if TYPE_CHECKING:
    from bot.router import Router

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 16  # enough to share a commit; small enough that a batch holds the SQLite lock briefly
# Two, not more: on two cores the inbound bench filed 104–112 reports a second with two lanes, 57–97 with
# four (their threads take turns on the interpreter lock and each batch is smaller) and 69 with one.
PG_LANES = 2


def lanes_for(engine: Engine) -> int:
    return 1 if engine.dialect.name == "sqlite" else PG_LANES


class GroupCommit(Generic[T, R]):
    """Items in, `run(batch)` on the writer thread, each item's result (or exception) back in its future."""

    def __init__(self, run: Callable[[Sequence[T]], Sequence[R | BaseException]], name: str, lanes: int = 1,
                 max_batch: int = MAX_BATCH) -> None:
        self.run = run
        self.name = name
        self.max_batch = max_batch
        self._lanes: list[queue.SimpleQueue[tuple[T, concurrent.futures.Future[R]] | None]] = [
            queue.SimpleQueue() for _ in range(lanes)]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._unfinished = 0
        self._finished = threading.Condition(self._lock)

    def submit(self, item: T, key: str = "") -> concurrent.futures.Future[R]:
        """Queue `item` on the lane of `key` (a chat id: its items are written in order)."""
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                future.set_exception(RuntimeError(f"{self.name} is closed"))
                return future
            if not self._threads:
                for n, lane in enumerate(self._lanes):
                    thread = threading.Thread(target=self._write, args=(lane,), name=f"{self.name}-{n}", daemon=True)
                    thread.start()
                    self._threads.append(thread)
            self._unfinished += 1
            self._lanes[zlib.crc32(key.encode()) % len(self._lanes)].put((item, future))
        return future

    @property
    def closed(self) -> bool:
        return self._closed

    def join(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far was written (tests, benchmarks, a clean stop)."""
        with self._finished:
            return self._finished.wait_for(lambda: self._unfinished == 0, timeout)

    def _write(self, lane: queue.SimpleQueue[tuple[T, concurrent.futures.Future[R]] | None]) -> None:
        stopping = False
        while not stopping:
            first = lane.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    entry = lane.get_nowait()
                except queue.Empty:
                    break
                if entry is None:
                    stopping = True
                    break
                batch.append(entry)
            self._write_batch(batch)

    def _write_batch(self, batch: list[tuple[T, concurrent.futures.Future[R]]]) -> None:
        try:
            results = list(self.run([item for item, _ in batch]))
        except BaseException as exc:  # the runner should report per item; never leave a caller waiting
            log.exception("%s: a batch of %d failed", self.name, len(batch))
            results = [exc] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
        with self._finished:
            self._unfinished -= len(batch)
            self._finished.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        """Write what was submitted so far, then stop the writer."""
        with self._lock:
            self._closed = True
            threads = self._threads
        for lane in self._lanes[: len(threads)]:
            lane.put(None)
        for thread in threads:
            thread.join(timeout)


class Inbox:
    """Store, then handle: messages committed as raw rows (group commit), then handled in order.

    A stored row whose handling failed (the database's doing: a handler's own error is answered with an
    apology and counts as handled) is tried again after 1, 2, 4 … seconds, at most `MAX_DELAY` apart, for as
    long as the process runs: a `ledger rebuild` or a long lock must not leave an answered message unhandled
    until the next start. A restart hands the rows still unhandled to the router again (`resume`).
    """

    MAX_DELAY = 30.0

    def __init__(self, router: Router, first_delay: float = 1.0) -> None:
        self.router = router
        self.first_delay = first_delay
        lanes = lanes_for(router.engine)
        self.storing: GroupCommit[Incoming, int | None] = GroupCommit(self._store, "inbound-store", lanes)
        self.handling: GroupCommit[int, list[int]] = GroupCommit(router.handle_stored, "inbound-handle", lanes)

    def ping(self) -> None:
        """Always ready: its writers are threads of this process, started on the first message (`/healthz`)."""

    def submit(self, message: Incoming, key: str = "") -> concurrent.futures.Future[int | None]:
        """The message's row id once it is durable (None: stored before); raises when it could not be stored.

        `key` is the chat id: a chat's messages are stored and handled in the order submitted."""
        return self.storing.submit(message, key)

    def _store(self, messages: Sequence[Incoming]) -> list[int | None | BaseException]:
        outcomes = self.router.store(messages)
        for message, outcome in zip(messages, outcomes, strict=True):
            if isinstance(outcome, int):  # handed on from the writer itself: handled in the order received
                self._handle(outcome, message.chat_id)
        return outcomes

    def _handle(self, inbound_id: int, chat_id: str, attempt: int = 1) -> None:
        def done(future: concurrent.futures.Future[list[int]]) -> None:
            if future.exception() is None:
                return
            if self.handling.closed:  # stopping: the row stays unhandled, and the next start handles it
                log.warning("inbound message %s not handled before the stop; it is handled at the next start",
                            inbound_id)
                return
            delay = min(self.first_delay * 2 ** (attempt - 1), self.MAX_DELAY)
            if attempt == 3:
                log.error("inbound message %s still not handled (%r); trying again every %.0f s at most",
                          inbound_id, future.exception(), self.MAX_DELAY)
            timer = threading.Timer(delay, self._handle, (inbound_id, chat_id, attempt + 1))
            timer.daemon = True
            timer.start()

        self.handling.submit(inbound_id, chat_id).add_done_callback(done)

    def resume(self) -> int:
        """Hand every stored but unhandled message to the router (at start-up); how many there were."""
        ids = self.router.unhandled()
        for inbound_id, chat_id in ids:
            self._handle(inbound_id, chat_id)
        if ids:
            log.warning("handling %d messages stored before the last stop", len(ids))
        return len(ids)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until everything received so far was stored and handled (tests, benchmarks, a clean stop)."""
        return self.storing.join(timeout) and self.handling.join(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Store and handle what was received, then stop."""
        self.storing.close(timeout)
        self.handling.close(timeout)
