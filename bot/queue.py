"""The delivery queue: dramatiq, with the broker chosen by `[queue] url`.

`memory://` is dramatiq's StubBroker with worker threads inside this process (the embedded
default); `redis://` and `amqp://` are the real brokers shared by `pairbot worker` processes.
The queue only carries delivery ids; the rows in the database are the truth, so a message the
broker loses or delivers twice changes nothing (the relay re-enqueues, the claim dedupes).
The embedded queue also remembers the ids it holds and drops an id handed to it again (by the
writer after its commit and by the hand-off or the relay), so a row is not raced for by two threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from dramatiq.middleware import default_middleware

log = logging.getLogger(__name__)

QUEUE_NAME = "deliveries"
ACTOR_NAME = "send_delivery"
INLINE_RETRY_SECONDS = 2.0


def build_broker(url: str) -> dramatiq.Broker:
    middleware = [m() for m in default_middleware]
    if url.startswith("memory://"):
        broker: dramatiq.Broker = StubBroker(middleware=middleware)
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url, middleware=middleware)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    else:
        raise ValueError(f"unsupported queue url {url!r}")
    return broker


@dataclass(frozen=True)
class Retry:
    """When to try a delivery again, and the recipient's rate-limit slot already reserved for it (time.time(); the
    message carries it through the broker, so the chat keeps its place in line while no thread waits)."""

    after: float
    held: float | None = None


STOP_TIMEOUT_MS = 15_000
ERROR_RETRY_SECONDS = 5.0  # longer than INLINE_RETRY_SECONDS: back to the broker, the thread is freed


class DeliveryQueue:
    """Enqueue delivery ids; run workers that call `send(id, held)`, which returns a Retry or None (settled)."""

    def __init__(self, url: str, send: Callable[[int, float | None], Retry | None], threads: int = 4,
                 queue_name: str = QUEUE_NAME) -> None:
        self.url = url
        self.broker = build_broker(url)
        self.threads = threads
        self.queue_name = queue_name
        self._send = send
        self.actor = dramatiq.Actor(
            self._run, broker=self.broker, actor_name=ACTOR_NAME, queue_name=queue_name, priority=0,
            options={"max_retries": 0},
        )
        self.worker: dramatiq.Worker | None = None
        self._held: set[int] = set()  # embedded only: ids queued, delayed or being sent here
        self._held_lock = threading.Lock()

    @property
    def where(self) -> str:
        """The broker's address fit for a log line: scheme, host and path, no user or password."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}" if rest else self.url

    @property
    def embedded(self) -> bool:
        return isinstance(self.broker, StubBroker)

    def _run(self, delivery_id: int, held: float | None = None) -> None:
        """Send; a short wait (a quick retry, a rate-limit slot) is slept here, so the retry does not queue up
        behind a whole broadcast; a longer one, or one that holds a recipient's slot, goes back to the broker as
        a delayed message."""
        try:
            while (retry := self._attempt(delivery_id, held)) is not None:
                if retry.held is not None or retry.after > INLINE_RETRY_SECONDS:
                    self._release(delivery_id)
                    self.enqueue([delivery_id], delay=retry.after, held=retry.held)  # broker down: the relay will
                    return
                time.sleep(max(retry.after, 0.0))
                held = None
        except BaseException:
            self._release(delivery_id)
            raise
        self._release(delivery_id)

    def _release(self, delivery_id: int) -> None:
        if self.embedded:
            with self._held_lock:
                self._held.discard(delivery_id)

    def _attempt(self, delivery_id: int, held: float | None) -> Retry | None:
        """One send; an unexpected error (the database briefly locked or unreachable) is retried shortly,
        rather than dropping the broker message and leaving the row for the relay."""
        try:
            return self._send(delivery_id, held)
        except Exception:
            log.exception("delivery %s: send step failed, retrying", delivery_id)
            return Retry(ERROR_RETRY_SECONDS)

    def enqueue(self, delivery_ids: Sequence[int], delay: float | None = None, held: float | None = None) -> bool:
        """Hand ids to the broker; False if it is unreachable (the relay will pick the rows up later).

        `held`: the recipient's slot reserved for them (Retry.held)."""
        if self.embedded:
            with self._held_lock:
                delivery_ids = [i for i in dict.fromkeys(delivery_ids) if i not in self._held]
                self._held.update(delivery_ids)
        try:
            for delivery_id in delivery_ids:
                self.actor.send_with_options(args=(delivery_id,) if held is None else (delivery_id, held),
                                             delay=max(1, int(delay * 1000)) if delay else None)
        except Exception as exc:  # broker down: the rows stay pending
            for delivery_id in delivery_ids:
                self._release(delivery_id)
            log.warning("could not enqueue %d deliveries: %s", len(delivery_ids), exc)
            return False
        return True

    def start_worker(self) -> None:
        self.worker = dramatiq.Worker(self.broker, queues={self.queue_name}, worker_threads=self.threads,
                                      worker_timeout=100)
        self.worker.start()

    def join(self, timeout_ms: int = 30_000) -> None:
        """Wait until everything queued so far was processed (embedded queue only; used by the simulator and tests)."""
        if isinstance(self.broker, StubBroker):
            self.broker.join(self.queue_name, timeout=timeout_ms)
            if self.worker is not None:
                self.worker.join()

    def ready(self) -> int:
        """Messages waiting in the broker to be picked up (not counting delayed retries or ones in a worker's hands).

        Raises if the broker cannot be reached.
        """
        if isinstance(self.broker, StubBroker):
            return self.broker.queues[self.queue_name].qsize()
        if self.url.startswith(("redis://", "rediss://")):
            broker = self.broker
            return int(broker.client.llen(f"{broker.namespace}:{self.queue_name}"))  # type: ignore[attr-defined]
        ready, _delayed, _dead = self.broker.get_queue_message_counts(self.queue_name)  # type: ignore[attr-defined]
        return int(ready)

    def delayed(self) -> int:
        """Messages scheduled for later (retries, rate-limit waits) not yet taken by a worker."""
        if isinstance(self.broker, StubBroker):
            return self.broker.queues[dq_name(self.queue_name)].qsize()
        if self.url.startswith(("redis://", "rediss://")):
            broker = self.broker
            return int(broker.client.llen(f"{broker.namespace}:{dq_name(self.queue_name)}"))  # type: ignore[attr-defined]
        _ready, delayed, _dead = self.broker.get_queue_message_counts(self.queue_name)  # type: ignore[attr-defined]
        return int(delayed)

    def ping(self) -> None:
        """Raise if the broker cannot be reached."""
        if self.url.startswith(("redis://", "rediss://")):
            self.broker.client.ping()  # type: ignore[attr-defined]
        elif self.url.startswith(("amqp://", "amqps://")):
            self.broker.connection  # type: ignore[attr-defined]  # opens (or reuses) the connection

    def close(self) -> None:
        if self.worker is not None:
            # dramatiq waits 10 minutes by default; a send cut short stays `sending` and is settled by the
            # relay's at-most-once rule, so a bounded wait loses nothing and keeps shutdowns prompt.
            self.worker.stop(timeout=STOP_TIMEOUT_MS)
            self.worker = None
        self.broker.close()
