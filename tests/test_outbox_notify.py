"""The outbox's NOTIFY on PostgreSQL: sent as a transaction that wrote rows commits, unless its writer enqueues
every one of them itself; a burst of them wakes the hand-off once (jobs.handoff)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import make_engine
from bot.messages import Incoming
from bot.router import Router
from handlers.context import Context, HandlerSettings
from jobs.handoff import Handoff
from models.services.outbox import NOTIFY_CHANNEL, hand_over, queue_message


@pytest.fixture
def pg(pg_database: str) -> Iterator[Engine]:
    engine = make_engine(pg_database)
    yield engine
    engine.dispose()


@pytest.fixture
def listener(pg_database: str) -> Iterator[psycopg.Connection]:
    connection = psycopg.connect(pg_database.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
    yield connection
    connection.close()


def heard(listener: psycopg.Connection) -> int:
    """How many notifications arrived (waiting briefly for the last commit's)."""
    return sum(1 for _ in listener.notifies(timeout=0.3))


def test_a_commit_that_wrote_rows_notifies_once(pg: Engine, listener: psycopg.Connection) -> None:
    with Session(pg) as session:
        queue_message(session, "telegram", "1", "一")
        queue_message(session, "telegram", "2", "二")
        session.commit()
    assert heard(listener) == 1


def test_rows_their_writer_enqueues_itself_need_no_notify(pg: Engine, listener: psycopg.Connection) -> None:
    with Session(pg) as session:
        ids = [queue_message(session, "telegram", "1", "一").id, queue_message(session, "telegram", "2", "二").id]
        hand_over(session, [i for i in ids if i is not None])
        session.commit()
    assert heard(listener) == 0
    with Session(pg) as session:  # one row the writer does not enqueue: the hand-off must hear of it
        handed = queue_message(session, "telegram", "1", "三").id
        queue_message(session, "telegram", "3", "四")
        hand_over(session, [handed] if handed is not None else [])
        session.commit()
    assert heard(listener) == 1


def test_a_rolled_back_row_wakes_nobody_and_a_savepoint_waits_for_the_commit(
        pg: Engine, listener: psycopg.Connection) -> None:
    with Session(pg) as session:
        queue_message(session, "telegram", "1", "一")
        session.rollback()
        session.commit()
    assert heard(listener) == 0
    with Session(pg) as session:
        with session.begin_nested():
            queue_message(session, "telegram", "1", "二")
        assert heard(listener) == 0  # released, not committed
        session.commit()
    assert heard(listener) == 1


class Reply:
    def matches(self, ctx: Context) -> bool:
        return True

    def handle(self, ctx: Context) -> None:
        ctx.reply("收到")


def test_the_inbox_childs_router_hands_its_replies_over_without_notify(
        pg: Engine, listener: psycopg.Connection) -> None:
    settings = HandlerSettings(zone=ZoneInfo("Asia/Shanghai"))
    for hands_over, expected in ((True, 0), (False, 1)):
        enqueued: list[int] = []
        router = Router(pg, [Reply()], settings, enqueued.extend, hands_over=hands_over)
        message = Incoming(channel="wecom", chat_id="u1", sender_id="u1", text="你好", message_id=f"m{hands_over}")
        [stored] = router.store([message])
        assert isinstance(stored, int)
        router.handle_stored([stored])
        assert len(enqueued) == 1  # the reply reached the queue either way
        assert heard(listener) == expected


def test_a_burst_of_commits_wakes_the_hand_off_a_few_times_and_every_row_is_picked_up(pg: Engine) -> None:
    enqueued: list[int] = []
    looks = [0]
    handoff = Handoff(pg, lambda ids: enqueued.extend(ids) or True)
    pick_up = handoff.pick_up

    def counted() -> int:
        looks[0] += 1
        return pick_up()

    handoff.pick_up = counted  # type: ignore[method-assign]
    stop = threading.Event()
    handoff.start(stop)
    try:
        deadline = time.monotonic() + 10
        while looks[0] == 0:  # the hand-off listens, and has looked once for what was there before
            assert time.monotonic() < deadline
            time.sleep(0.01)
        looks[0] = 0
        written = []
        for n in range(40):  # forty transactions, one every few milliseconds
            with Session(pg) as session:
                written.append(queue_message(session, "telegram", str(n), "通知").id)
                session.commit()
            time.sleep(0.003)
        while set(written) - set(enqueued):
            assert time.monotonic() < deadline, f"not picked up: {sorted(set(written) - set(enqueued))}"
            time.sleep(0.01)
        assert looks[0] <= 10, f"{looks[0]} looks for 40 commits"
    finally:
        stop.set()


def test_the_hand_off_leaves_console_rows_to_the_simulator_that_wrote_them(db_url: str) -> None:
    """`pairbot simulate` beside `pairbot run`: its replies are printed by the simulator, not taken by the server."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            console = queue_message(session, "console", "console:local", "您好")
            telegram = queue_message(session, "telegram", "7", "您好")
            session.commit()
            ids = (console.id, telegram.id)
        enqueued: list[int] = []
        assert Handoff(engine, lambda picked: enqueued.extend(picked) or True).pick_up() == 1
        assert enqueued == [ids[1]]
    finally:
        engine.dispose()
