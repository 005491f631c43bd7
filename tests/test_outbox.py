"""The outbox: each Delivery row is sent once; failures retry with backoff; the relay picks up stragglers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import Session, select

from bot.channels.base import SendError
from bot.config import Settings
from bot.db import make_engine, unit_of_work
from bot.messages import Outgoing
from jobs.outbound import _postpone, due_pending, send_delivery
from models.base import utcnow
from models.messaging import Delivery
from models.registry import ChannelIdentity, Contact
from models.services.outbox import queue_message


class Recorder:
    name = "fake"

    def __init__(self, failures: list[SendError] | None = None) -> None:
        self.sent: list[Outgoing] = []
        self.failures = list(failures or [])
        self.lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message)
            return f"m{len(self.sent)}"


def _queue(engine, chat_id: str = "42") -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as session:
        return queue_message(session, "fake", chat_id, "通知").id  # type: ignore[return-value]


def _row(engine, delivery_id: int) -> Delivery:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def test_concurrent_workers_send_a_delivery_once(db_url: str) -> None:
    engine = make_engine(db_url)
    channel = Recorder()
    delivery_id = _queue(engine)
    threads = [threading.Thread(target=send_delivery, args=(engine, {"fake": channel}, delivery_id)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(channel.sent) == 1
    row = _row(engine, delivery_id)
    assert (row.status, row.attempts, row.platform_message_id) == ("sent", 1, "m1")
    engine.dispose()


def test_retry_after_is_honoured_then_sent(db_url: str) -> None:
    engine = make_engine(db_url)
    channel = Recorder([SendError("429 Too Many Requests", retry_after=7)])
    delivery_id = _queue(engine)
    outcome = send_delivery(engine, {"fake": channel}, delivery_id)
    assert (outcome.status, outcome.retry_in) == ("pending", 7)
    assert send_delivery(engine, {"fake": channel}, delivery_id).status == "skipped"  # not due yet
    later = utcnow() + timedelta(seconds=8)
    assert due_pending(engine, timedelta(seconds=1), clock=lambda: later) == [delivery_id]
    assert send_delivery(engine, {"fake": channel}, delivery_id, clock=lambda: later).status == "sent"
    row = _row(engine, delivery_id)
    assert row.attempts == 2 and "429" in row.last_error
    engine.dispose()


def test_blocked_recipient_is_marked_unreachable_and_not_retried(db_url: str) -> None:
    engine = make_engine(db_url)
    with unit_of_work(engine) as session:
        contact = Contact(name="甲", role="county")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, channel="fake", external_id="42"))
    delivery_id = _queue(engine)
    channel = Recorder([SendError("403 Forbidden: bot was blocked by the user", permanent=True)])
    assert send_delivery(engine, {"fake": channel}, delivery_id).status == "blocked"
    with Session(engine) as session:
        assert session.exec(select(ChannelIdentity)).one().unreachable_since is not None
    assert due_pending(engine, timedelta(0), clock=lambda: utcnow() + timedelta(hours=1)) == []
    engine.dispose()


def test_gives_up_after_max_attempts(db_url: str) -> None:
    engine = make_engine(db_url)
    channel = Recorder([SendError("500") for _ in range(20)])
    delivery_id = _queue(engine)
    moment = utcnow()
    for _ in range(8):
        moment += timedelta(hours=1)
        outcome = send_delivery(engine, {"fake": channel}, delivery_id, clock=lambda: moment)
    assert outcome.status == "failed" and _row(engine, delivery_id).attempts == 8
    engine.dispose()


def test_a_row_held_back_by_the_rate_limit_keeps_its_place_in_its_chat(db_url: str) -> None:
    """Its message was told to wait for the bot's overall budget; the chat's next message sends it first."""
    engine = make_engine(db_url)
    channel = Recorder()
    with unit_of_work(engine) as session:
        first, second = (queue_message(session, "fake", "42", text).id for text in ("第一条", "第二条"))
    _postpone(engine, first, utcnow() + timedelta(seconds=30))  # type: ignore[arg-type]
    assert send_delivery(engine, {"fake": channel}, second).retry_in == 0.0  # sent the first, owes its own
    assert send_delivery(engine, {"fake": channel}, second).status == "sent"
    assert [message.text for message in channel.sent] == ["第一条", "第二条"]
    engine.dispose()


def test_a_row_waiting_out_a_failure_backoff_is_overtaken_by_its_chat(db_url: str) -> None:
    """A failed attempt must not hold the chat's later messages for up to five minutes."""
    engine = make_engine(db_url)
    channel = Recorder([SendError("500 Internal Server Error")])
    with unit_of_work(engine) as session:
        first, second = (queue_message(session, "fake", "42", text).id for text in ("第一条", "第二条"))
    assert send_delivery(engine, {"fake": channel}, first).status == "pending"
    assert send_delivery(engine, {"fake": channel}, second).status == "sent"
    assert [message.text for message in channel.sent] == ["第二条"]
    engine.dispose()


def test_relay_sends_rows_written_by_another_process(settings: Settings) -> None:
    """`pairbot broadcast` in another process only writes rows; the running app's relay sends them."""
    from bot.app import App

    channel = Recorder()
    app = App(settings.model_copy(update={"queue": settings.queue.model_copy(update={"relay_after_seconds": 0.01})}),
              channels={"fake": channel})
    app.queue.start_worker()
    try:
        delivery_id = _queue(app.engine)
        time.sleep(0.05)  # older than relay_after_seconds
        assert app.relay_once() == 1
        app.queue.join()
        assert [m.text for m in channel.sent] == ["通知"] and _row(app.engine, delivery_id).status == "sent"
        assert app.relay_once() == 0
    finally:
        app.close()
