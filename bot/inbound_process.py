"""The inbox in a process of its own: handling messages no longer shares one interpreter lock with serving them.

In one process the web server, the channels' event loops, the delivery workers and the inbound
writer take turns on one core (Python's interpreter lock): a webhook request waits for the writer's
parsing and SQL, and the writer for the request's JSON. `pairbot run` therefore runs the inbox
(bot.inbound.Inbox: store, then handle) in a child process, `InboundProcess`, with the inbox's own
interface:

- `submit` sends the message down a pipe as it arrives and returns a future that the child
  resolves once the raw row is committed (the channel then answers its platform);
- the child stores and handles exactly as the inbox does in one process (group commits, lanes by
  chat) and sends the reply ids of each handled batch back; the parent enqueues them on its queue,
  so delivery does not change;
- `join` and `resume` ask the child and wait for its answer.

The child never waits for the parent, and stops when the parent does (the pipe closes). If it
dies, every message it had not yet reported stored is answered with `WriterGone` (the platform
sends those again; one that was in fact stored is then recognised as a duplicate) and a new child
is started, which handles what the old one stored but did not handle.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from bot.config import Settings
from bot.logs import configure
from bot.messages import Incoming

log = logging.getLogger(__name__)

Enqueue = Callable[[Sequence[int]], Any]
START_SECONDS = 60.0  # the child imports the handlers and the parser and connects to the database first


class WriterGone(RuntimeError):
    """The inbox's child process ended before it reported the message stored; it may or may not be."""


class InboundProcess:
    """`submit` / `join` / `resume` / `close` like bot.inbound.Inbox, the work done by a child process."""

    def __init__(self, settings: Settings, enqueue: Enqueue) -> None:
        self.settings = settings
        self.enqueue = enqueue
        self._lock = threading.Lock()
        self._waiting: dict[int, concurrent.futures.Future[Any]] = {}  # serial -> a store's or a request's answer
        self._serial = 0
        self._closed = False
        self._pipe: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._receiver: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = START_SECONDS) -> None:
        """Start the child and wait until it can store messages (it imports the handlers and connects first)."""
        with self._lock:
            self._spawn()
            process = self._process
        assert process is not None
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if not process.is_alive() or time.monotonic() > deadline:
                self.close(0)
                raise RuntimeError("the inbox's child process ended before it was ready (see the log above)"
                                   if not process.is_alive() else f"the inbox's child process was not ready within "
                                   f"{timeout:.0f} s")

    def _spawn(self) -> None:
        self._ready.clear()
        context = multiprocessing.get_context("spawn")  # not fork: the parent runs threads and event loops
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(self.settings, theirs), name="pairbot-inbound", daemon=True)
        process.start()
        theirs.close()
        self._pipe, self._process = ours, process
        self._receiver = threading.Thread(target=self._receive, args=(ours, process), name="pairbot-inbound-answers",
                                          daemon=True)
        self._receiver.start()

    @property
    def pid(self) -> int | None:
        """The child's process id (logs, tests)."""
        return self._process.pid if self._process is not None else None

    def ping(self) -> None:
        """Raise unless the child is running and taking messages (`/healthz`)."""
        with self._lock:
            process, closed = self._process, self._closed
        if closed or process is None:
            raise RuntimeError("the inbox is closed")
        if not process.is_alive():
            raise RuntimeError(f"the inbox's child process ended (exit code {process.exitcode}); starting another")

    def submit(self, message: Incoming, key: str = "") -> concurrent.futures.Future[int | None]:
        """The message's row id once the child committed it (None: stored before), as `Inbox.submit`."""
        return self._ask("message", key, message)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far was stored and handled (tests, benchmarks)."""
        try:
            return bool(self._ask("join").result(timeout))
        except (concurrent.futures.TimeoutError, WriterGone, RuntimeError):
            return False

    def resume(self) -> int:
        """Have the child hand every stored but unhandled message to the router; how many there were."""
        return int(self._ask("resume").result())

    def _ask(self, *request: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._closed or self._pipe is None:
                future.set_exception(RuntimeError("the inbox is closed"))
                return future
            self._serial += 1
            self._waiting[self._serial] = future
            try:
                self._pipe.send((request[0], self._serial, *request[1:]))
            except (OSError, ValueError) as exc:  # the child is gone; the receiver starts another
                self._waiting.pop(self._serial)
                future.set_exception(WriterGone(f"the inbox's child process ended: {exc!r}"))
        return future

    def _receive(self, pipe: Connection, process: multiprocessing.process.BaseProcess) -> None:
        while True:
            try:
                kind, payload = pipe.recv()
            except (EOFError, OSError):
                break
            if kind == "ready":
                self._ready.set()
                continue
            answers, replies = payload
            if replies:
                try:
                    self.enqueue(replies)
                except Exception:  # the rows are committed: the relay sends them
                    log.exception("enqueueing %d replies failed", len(replies))
            with self._lock:
                answered = [(self._waiting.pop(serial), outcome) for serial, outcome in answers]
            for future, outcome in answered:
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        pipe.close()
        process.join(5)
        with self._lock:
            lost, self._waiting = self._waiting, {}
            if not self._ready.is_set():  # it never started (start() reports that): starting another would fail alike
                self._closed = True
            if not self._closed:
                log.error("the inbox's child process ended (exit code %s) with %d messages unanswered; starting it "
                          "again", process.exitcode, len(lost))
                self._spawn()
        for future in lost.values():
            future.set_exception(WriterGone(f"the inbox's child process ended (exit code {process.exitcode})"))
        if not self._closed:
            self._ask("resume")  # what the old child stored but did not handle

    def close(self, timeout: float = 30.0) -> None:
        """Store and handle what was submitted, then stop the child."""
        with self._lock:
            self._closed = True
            pipe, process, receiver = self._pipe, self._process, self._receiver
        if pipe is None or process is None or receiver is None:
            return
        try:
            pipe.send(None)
        except (OSError, ValueError):
            pass
        process.join(timeout)
        if process.is_alive():
            process.kill()
        receiver.join(timeout)


def serve(settings: Settings, pipe: Connection) -> None:
    """The child: an inbox of its own, until the parent sends None or goes away."""
    from bot.app import build_router
    from bot.db import make_engine
    from bot.i18n import set_installation_locale
    from bot.inbound import Inbox
    from bot.server import SWITCH_INTERVAL

    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the parent stops the child by
    # closing the pipe once it has stopped taking messages, so the child finishes what it holds first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.setswitchinterval(SWITCH_INTERVAL)
    configure()
    set_installation_locale(settings.app.locale)
    engine = make_engine(settings.database.url)
    # What goes back to the parent is queued and sent by one thread, whatever is waiting in one piece: the
    # writers hand it over without waiting for the pipe.
    outgoing: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outgoing, pipe), name="pairbot-inbound-send", daemon=True)
    sender.start()
    inbox = Inbox(build_router(settings, engine, lambda ids: outgoing.put(("replies", list(ids))), hands_over=True))
    try:
        pipe.send(("ready", None))
    except (OSError, ValueError):  # the parent died while this child started (kill -9): nothing to finish
        inbox.close()
        outgoing.put(None)
        engine.dispose()
        return

    def answer(serial: int, work: Callable[[], Any]) -> None:
        try:
            outgoing.put(("answer", (serial, work())))
        except Exception as exc:
            outgoing.put(("answer", (serial, _picklable(exc))))

    while True:
        try:
            request = pipe.recv()
        except (EOFError, OSError):  # the parent is gone: finish what was received
            break
        if request is None:
            break
        kind, serial, *rest = request
        if kind == "message":
            key, message = rest
            inbox.submit(message, key).add_done_callback(
                lambda future, serial=serial: outgoing.put(("answer", (serial, _outcome(future)))))
        elif kind == "join":
            threading.Thread(target=answer, args=(serial, inbox.join), daemon=True).start()
        elif kind == "resume":
            answer(serial, inbox.resume)
    inbox.close()
    outgoing.put(None)
    sender.join()
    engine.dispose()


def _send_all(outgoing: queue.SimpleQueue[tuple[str, Any] | None], pipe: Connection) -> None:
    """Send what the writers queued: the answers and the reply ids waiting, as one ("batch", …) each time."""
    stopping = False
    while not stopping:
        items = [outgoing.get()]
        while True:
            try:
                items.append(outgoing.get_nowait())
            except queue.Empty:
                break
        answers, replies = [], []
        for item in items:
            if item is None:
                stopping = True
            elif item[0] == "answer":
                answers.append(item[1])
            else:
                replies.extend(item[1])
        try:
            pipe.send(("batch", (answers, replies)))
        except (OSError, ValueError):  # the parent is gone; what was stored is handled at the next start
            return


def _outcome(future: concurrent.futures.Future[int | None]) -> int | None | BaseException:
    exc = future.exception()
    return future.result() if exc is None else _picklable(exc)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(repr(exc))
