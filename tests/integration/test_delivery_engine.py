"""The delivery engine for real: brokers, worker processes, faults, against a Bot API that enforces Telegram's limits.

The platform is tests/standins/ratelimited_api.py (30 msg/s overall, 1/s per chat, 429 with
retry_after beyond; 5% of requests fail with 500s and timeouts); the channel is the real Telegram
adapter pointed at it. Each test broadcasts to Telegram contacts and then counts what the platform
accepted per chat: every recipient exactly once, except where the at-most-once rule for rows left
`sending` by a dead worker says "at most once" — and the test checks exactly that.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.app import App
from bot.channels.telegram import register_telegram
from bot.config import Settings
from bot.db import make_engine, unit_of_work
from jobs.outbound import UNKNOWN_OUTCOME
from models.base import utcnow
from models.messaging import Delivery, DeliveryStatus
from models.registry import ChannelIdentity, Contact
from models.services.broadcast import Segment, queue_broadcast, report
from models.services.outbox import queue_message
from tests.conftest import make_settings
from tests.standins.ratelimited_api import RateLimitedBotApi
from tests.standins.redis_server import RedisServer
from tests.standins.tcp_proxy import TcpProxy

REPO = Path(__file__).resolve().parents[2]
RABBITMQ = ("127.0.0.1", 5672)
RECIPIENTS = 60


@pytest.fixture
def bot_api() -> Iterator[RateLimitedBotApi]:
    api = RateLimitedBotApi(failure_rate=0.05, hang_seconds=0.5, seed=7).start()
    yield api
    api.stop()


def _rabbitmq_reachable() -> None:
    try:
        socket.create_connection(RABBITMQ, timeout=2).close()
    except OSError as exc:
        pytest.skip(f"RabbitMQ not reachable at {RABBITMQ[0]}:{RABBITMQ[1]}: {exc}")


@pytest.fixture
def rabbit_queue() -> Iterator[str]:
    """A queue name of this test's own on the shared RabbitMQ, deleted afterwards."""
    _rabbitmq_reachable()
    name = f"pairbot-test-{uuid.uuid4().hex[:8]}"
    yield name
    import pika

    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    channel = connection.channel()
    for queue in (name, f"{name}.DQ", f"{name}.XQ"):
        channel.queue_delete(queue=queue)
    connection.close()


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(queue url, queue name) for the broker named by the test's parameter."""
    kind = request.param
    if kind == "memory":
        return "memory://", "deliveries"
    if kind == "redis":
        return request.getfixturevalue("redis_server").url, "deliveries"
    return "amqp://guest:guest@127.0.0.1:5672/", request.getfixturevalue("rabbit_queue")


def seed(db_url: str, count: int = RECIPIENTS) -> list[str]:
    """Contacts on Telegram, chat ids 1000…; returns the chat ids."""
    engine = make_engine(db_url)
    chats = [str(1000 + n) for n in range(count)]
    with unit_of_work(engine) as session:
        contacts = [Contact(name=f"联络员{n}", role="county", last_channel="telegram") for n in range(count)]
        session.add_all(contacts)
        session.flush()
        session.add_all([ChannelIdentity(contact_id=c.id, channel="telegram", external_id=chat)
                         for c, chat in zip(contacts, chats)])
    engine.dispose()
    return chats


def write_broadcast(db_url: str) -> tuple[int, list[int]]:
    engine = make_engine(db_url)
    with unit_of_work(engine) as session:
        queued = queue_broadcast(session, Segment("all"), "请于8月31日前签订帮扶协议。", require_ack=False,
                                 actor="test", now=utcnow())
    engine.dispose()
    return queued.broadcast.id, queued.delivery_ids  # type: ignore[return-value]


def settings_for(db_url: str, queue: tuple[str, str], api: RateLimitedBotApi, **extra: Any) -> Settings:
    url, name = queue
    return make_settings(db_url, queue={"url": url, "name": name, "relay_after_seconds": 1, **extra},
                         telegram={"token": api.token, "api_base_url": api.api_base_url})


def rows(db_url: str) -> list[Delivery]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        result = list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())
    engine.dispose()
    return result


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def settled(db_url: str) -> bool:
    return all(row.status not in (DeliveryStatus.pending, DeliveryStatus.sending) for row in rows(db_url))


def start_app(settings: Settings) -> App:
    app = App(settings)
    register_telegram(app)
    app.queue.start_worker()
    app.start_relay(interval=0.5)
    return app


def stop_app(app: App) -> None:
    app.close()
    app.channels["telegram"].stop()  # type: ignore[attr-defined]


# --- every recipient once, on every broker ----------------------------------------------------------------


@pytest.mark.parametrize("broker", ["memory", "redis", "amqp"], indirect=True)
def test_every_recipient_gets_the_broadcast_exactly_once(sqlite_url: str, broker: tuple[str, str],
                                                         bot_api: RateLimitedBotApi) -> None:
    chats = seed(sqlite_url)
    bot_api.blocked.add(chats[-1])  # this one blocked the bot
    app = start_app(settings_for(sqlite_url, broker, bot_api))
    try:
        broadcast_id, ids = write_broadcast(sqlite_url)
        assert app.queue.enqueue(ids)
        wait_for(lambda: settled(sqlite_url), 60, "every delivery to be settled")
        with Session(app.engine) as session:
            summary = report(session, broadcast_id)
            blocked = session.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == chats[-1])).one()
    finally:
        stop_app(app)
    assert bot_api.per_chat() == {chat: 1 for chat in chats[:-1]}  # each exactly once, none missing
    assert summary.counts | {"total": 0} == {"total": 0, "sent": RECIPIENTS - 1, "pending": 0, "failed": 0,
                                            "unreachable": 1}
    assert blocked.unreachable_since is not None and "blocked" in summary.unreachable[0].error
    assert bot_api.outcomes["500"] + bot_api.outcomes["timeout"] > 0  # the faults did happen
    assert bot_api.max_in_window(1.0) <= 30 + 4  # the bucket's burst of 5, never the sustained rate


@pytest.mark.parametrize("broker", ["memory", "redis", "amqp"], indirect=True)
def test_a_chat_waiting_its_second_holds_back_neither_its_order_nor_the_other_chats(
        sqlite_url: str, broker: tuple[str, str]) -> None:
    """Replies to people who each sent reports in quick succession: every chat's replies queued in pairs.

    The second of a pair must wait its chat's second (1 message a second per chat). It waits in the
    broker with its chat's slot reserved, not in a worker thread and not on the bot's overall budget:
    the other chats' first replies go out meanwhile. Whichever worker holds a chat's slot sends the
    chat's oldest reply, so each chat gets its replies in the order they were written."""
    api = RateLimitedBotApi(failure_rate=0.0, seed=3).start()
    chats = seed(sqlite_url, 12)
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as session:
        queued = [queue_message(session, "telegram", chat, f"{chat}:{k}")
                  for first in range(0, 6, 2) for chat in chats for k in (first, first + 1)]
        session.flush()
        ids = [row.id for row in queued]
    engine.dispose()
    app = start_app(settings_for(sqlite_url, broker, api, relay_after_seconds=10))  # the default: no relay here
    try:
        assert app.queue.enqueue(ids)  # type: ignore[arg-type]
        wait_for(lambda: len(api.accepted) >= len(ids), 60, "every reply to be accepted")
    finally:
        stop_app(app)
        api.stop()
    assert api.per_chat() == {chat: 6 for chat in chats}  # each exactly once
    assert api.outcomes["429"] == 0  # paced under both limits: the platform never had to refuse
    times = {chat: sorted(a.at for a in api.accepted if a.chat_id == chat) for chat in chats}
    # Every chat had its first reply before any chat had its second: no waiting chat held the others back.
    assert max(at[0] for at in times.values()) < min(at[1] for at in times.values())
    for chat in chats:  # and each chat's replies arrived in the order they were written
        assert [int(a.text.split(":")[1]) for a in api.accepted if a.chat_id == chat] == list(range(6))


# --- a worker process killed in the middle of a send ------------------------------------------------------


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")}
    return env | {
        "PAIRBOT_CONFIG": str(REPO / "config.toml"),
        "PAIRBOT_DATABASE__URL": settings.database.url,
        "PAIRBOT_QUEUE__URL": settings.queue.url,
        "PAIRBOT_QUEUE__NAME": settings.queue.name,
        "PAIRBOT_QUEUE__RELAY_AFTER_SECONDS": str(settings.queue.relay_after_seconds),
        "PAIRBOT_QUEUE__SENDING_TIMEOUT_SECONDS": str(settings.queue.sending_timeout_seconds),
        "PAIRBOT_TELEGRAM__TOKEN": settings.telegram.token.get_secret_value(),  # type: ignore[union-attr]
        "PAIRBOT_TELEGRAM__API_BASE_URL": settings.telegram.api_base_url,
    }


def start_worker(settings: Settings, log: Path, processes: int = 1) -> subprocess.Popen[bytes]:
    """`pairbot worker` in its own process group, logging to `log`; returns once every process is consuming."""
    started = log.read_text().count("pairbot worker:") if log.exists() else 0
    handle = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker", "--threads", "4", "--processes", str(processes)], cwd=REPO,
        env=worker_env(settings), stdout=handle, stderr=handle, start_new_session=True)
    wait_for(lambda: log.read_text().count("pairbot worker:") >= started + processes or process.poll() is not None,
             60, "the worker to start")
    assert process.poll() is None, log.read_text()[-3000:]
    return process


@pytest.mark.parametrize("broker", ["redis", "amqp"], indirect=True)
def test_a_killed_worker_never_causes_a_second_send(db_url: str, broker: tuple[str, str],
                                                    bot_api: RateLimitedBotApi, tmp_path: Path) -> None:
    settings = settings_for(db_url, broker, bot_api, sending_timeout_seconds=2)
    chats = seed(db_url)
    log = tmp_path / "worker.log"
    first = start_worker(settings, log)
    bot_api.hold_after(15)  # the platform takes the 15th message; its answer never reaches the worker
    try:
        _, ids = write_broadcast(db_url)
        queue = App(settings)
        assert queue.queue.enqueue(ids)
        queue.close()
        wait_for(bot_api.holding.is_set, 30, "the platform to hold an answer")
        assert bot_api.held is not None
        held_chat = bot_api.held.chat_id
        os.killpg(first.pid, signal.SIGKILL)  # the worker dies mid-send
        first.wait()
        bot_api.release()
        second = start_worker(settings, log, processes=2)  # the survivors: two processes sharing the work
        try:
            wait_for(lambda: settled(db_url), 90, "every delivery to be settled")
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    final = {row.chat_id: row for row in rows(db_url)}
    unknown = {chat for chat, row in final.items() if row.status == DeliveryStatus.failed}
    per_chat = bot_api.per_chat()
    # The message the platform took while its worker died is not sent again, and admins see why.
    assert per_chat[held_chat] == 1 and held_chat in unknown
    assert all(final[chat].last_error == UNKNOWN_OUTCOME for chat in unknown)
    assert len(unknown) <= 4  # at most the sends in flight in the killed worker's 4 threads
    # Every other recipient got it exactly once; the unknown ones at most once.
    assert {chat: per_chat.get(chat, 0) for chat in chats if chat not in unknown} == \
           {chat: 1 for chat in chats if chat not in unknown}
    assert all(per_chat.get(chat, 0) <= 1 for chat in unknown)
    assert all(final[chat].status == DeliveryStatus.sent for chat in chats if chat not in unknown)


def test_the_children_of_a_killed_worker_stop_with_it(db_url: str, redis_server: RedisServer,
                                                     bot_api: RateLimitedBotApi, tmp_path: Path) -> None:
    """`pairbot worker --processes 2` killed -9 (its own handler cannot run): its two children notice their parent
    is gone and stop, so a worker started in its place never runs beside orphans nothing would stop."""
    import psutil

    settings = settings_for(db_url, (redis_server.url, "deliveries"), bot_api)
    seed(db_url)
    log = tmp_path / "worker.log"
    parent = start_worker(settings, log, processes=2)
    try:
        children = psutil.Process(parent.pid).children()  # the two workers (and multiprocessing's resource tracker)
        assert sum("resource_tracker" not in " ".join(child.cmdline()) for child in children) == 2
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs(children, timeout=60)
        assert not alive, f"{len(alive)} orphaned worker processes still run:\n{log.read_text()[-2000:]}"
        assert "the parent worker process is gone" in log.read_text()
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
        for child in psutil.Process().children(recursive=True):
            if child.pid != os.getpid() and "worker" in " ".join(child.cmdline()):
                child.kill()


# --- the broker restarted or unreachable ------------------------------------------------------------------


def test_redis_restart_loses_the_queue_and_the_relay_recovers_it(sqlite_url: str, redis_server: RedisServer,
                                                                 bot_api: RateLimitedBotApi) -> None:
    chats = seed(sqlite_url, 90)
    app = start_app(settings_for(sqlite_url, (redis_server.url, "deliveries"), bot_api))
    try:
        _, ids = write_broadcast(sqlite_url)
        assert app.queue.enqueue(ids)
        wait_for(lambda: len(bot_api.per_chat()) >= 20, 30, "the broadcast to be under way")
        redis_server.kill()  # SIGKILL, no persistence: every queued message is gone
        time.sleep(1.5)
        assert not app.queue.enqueue([ids[0]])  # the broker is down: enqueueing says so
        redis_server.start()
        wait_for(lambda: settled(sqlite_url), 90, "every delivery to be settled")
    finally:
        stop_app(app)
    final = {row.chat_id: row for row in rows(sqlite_url)}
    unknown = {chat for chat, row in final.items() if row.status == DeliveryStatus.failed}
    assert all(final[chat].last_error == UNKNOWN_OUTCOME for chat in unknown)
    per_chat = bot_api.per_chat()
    assert {chat: per_chat.get(chat, 0) for chat in chats if chat not in unknown} == \
           {chat: 1 for chat in chats if chat not in unknown}


def test_rabbitmq_outage_loses_nothing_and_sends_nothing_twice(sqlite_url: str, rabbit_queue: str,
                                                               bot_api: RateLimitedBotApi) -> None:
    """The shared RabbitMQ is not stopped: a proxy in front of it drops every connection and refuses new ones."""
    proxy = TcpProxy(RABBITMQ[1])
    chats = seed(sqlite_url, 90)
    app = start_app(settings_for(sqlite_url, (f"amqp://guest:guest@127.0.0.1:{proxy.port}/", rabbit_queue), bot_api))
    try:
        _, ids = write_broadcast(sqlite_url)
        assert app.queue.enqueue(ids)
        wait_for(lambda: len(bot_api.per_chat()) >= 20, 30, "the broadcast to be under way")
        proxy.cut()
        time.sleep(2)
        proxy.restore()
        wait_for(lambda: settled(sqlite_url), 90, "every delivery to be settled")
    finally:
        stop_app(app)
        proxy.close()
    assert bot_api.per_chat() == {chat: 1 for chat in chats}
    assert all(row.status == DeliveryStatus.sent for row in rows(sqlite_url))


def test_worker_refuses_a_configuration_that_cannot_work(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_CONFIG": str(REPO / "config.toml"), "PAIRBOT_DATABASE__URL": f"sqlite:///{tmp_path / 'x.db'}"}

    def worker(**variables: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "worker"], cwd=REPO, env=env | variables,
                              capture_output=True, text=True, timeout=60)

    embedded = worker()
    assert embedded.returncode == 2 and "memory://" in embedded.stderr and "pairbot run" in embedded.stderr
    silent = worker(PAIRBOT_QUEUE__URL="redis://127.0.0.1:6379/0")
    assert silent.returncode == 2 and "没有配置任何渠道" in silent.stderr
