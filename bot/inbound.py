"""Group commit for inbound messages: one writer thread, several messages per transaction under load.

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
from typing import Generic, TypeVar

from sqlalchemy import Engine

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 16  # enough to share a commit; small enough that a batch holds the SQLite lock briefly
PG_LANES = 4


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
