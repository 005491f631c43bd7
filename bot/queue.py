"""The delivery queue: dramatiq, with the broker chosen by `[queue] url`.

`memory://` is dramatiq's StubBroker with worker threads inside this process (the embedded
default); `redis://` and `amqp://` are the real brokers shared by `pairbot worker` processes.
The queue only carries delivery ids; the rows in the database are the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import default_middleware

log = logging.getLogger(__name__)

QUEUE_NAME = "deliveries"
ACTOR_NAME = "send_delivery"


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


class DeliveryQueue:
    """Enqueue delivery ids; run workers that call `send(id)`, which returns seconds until a retry or None."""

    def __init__(self, url: str, send: Callable[[int], float | None], threads: int = 4) -> None:
        self.url = url
        self.broker = build_broker(url)
        self.threads = threads
        self._send = send
        self.actor = dramatiq.Actor(
            self._run, broker=self.broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, priority=0,
            options={"max_retries": 0},
        )
        self.worker: dramatiq.Worker | None = None

    @property
    def embedded(self) -> bool:
        return isinstance(self.broker, StubBroker)

    def _run(self, delivery_id: int) -> None:
        retry_in = self._send(delivery_id)
        if retry_in is not None:
            self.enqueue([delivery_id], delay=retry_in)

    def enqueue(self, delivery_ids: Sequence[int], delay: float | None = None) -> bool:
        """Hand ids to the broker; False if it is unreachable (the relay will pick the rows up later)."""
        try:
            for delivery_id in delivery_ids:
                self.actor.send_with_options(args=(delivery_id,), delay=int(delay * 1000) if delay else None)
        except Exception as exc:  # broker down: the rows stay pending
            log.warning("could not enqueue deliveries %s: %s", list(delivery_ids), exc)
            return False
        return True

    def start_worker(self) -> None:
        self.worker = dramatiq.Worker(self.broker, queues={QUEUE_NAME}, worker_threads=self.threads,
                                      worker_timeout=100)
        self.worker.start()

    def join(self, timeout_ms: int = 30_000) -> None:
        """Wait until everything queued so far was processed (embedded queue only; used by the simulator and tests)."""
        if isinstance(self.broker, StubBroker):
            self.broker.join(QUEUE_NAME, timeout=timeout_ms)
            if self.worker is not None:
                self.worker.join()

    def ping(self) -> None:
        """Raise if the broker cannot be reached."""
        if self.url.startswith(("redis://", "rediss://")):
            self.broker.client.ping()  # type: ignore[attr-defined]
        elif self.url.startswith(("amqp://", "amqps://")):
            self.broker.connection  # type: ignore[attr-defined]  # opens (or reuses) the connection

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        self.broker.close()
