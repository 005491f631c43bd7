"""Hand-off across processes: `pairbot broadcast --yes` in one process, the sending in another, for real.

`pairbot run` (or `pairbot worker`) runs as a child process against the rate-limited Bot API stand-in;
the broadcast is written by the CLI as a second child process. `relay_after_seconds` is 60, so a
first message within a few seconds can only come from the hand-off (SQLite's data_version, PostgreSQL's
LISTEN/NOTIFY, or the broker the CLI enqueued on) and not from the relay. The stand-in records when it
accepted each message: no 1-second window may hold more than Telegram's 30.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from bot.db import make_engine, unit_of_work
from models.messaging import Delivery, DeliveryStatus
from models.registry import ChannelIdentity, Contact
from tests.standins.ratelimited_api import RateLimitedBotApi
from tests.standins.redis_server import RedisServer, free_port

REPO = Path(__file__).resolve().parents[2]
RECIPIENTS = 90  # three seconds at Telegram's 30/s: enough for the pacing to be what limits the rate
RELAY_AFTER = 60  # far beyond FIRST_SEND_BOUND: only the hand-off can explain a prompt first send
# every message out within this long: about 3 s unloaded; a send that times out under a busy CI machine backs off
# (jobs.outbound.BACKOFF_SECONDS) and may take a minute more, which is slow but not lost
DELIVERY_BOUND = 150.0
FIRST_SEND_BOUND = 5.0  # seconds from the CLI's exit; about 0.1 s unloaded, generous for a busy CI machine
TEXT = "请于8月31日前签订帮扶协议。"


@pytest.fixture
def bot_api() -> Iterator[RateLimitedBotApi]:
    api = RateLimitedBotApi(failure_rate=0.0, seed=3).start()
    yield api
    api.stop()


def seed(url: str) -> set[str]:
    engine = make_engine(url)
    chats = {str(20_000_000 + n) for n in range(RECIPIENTS)}
    with unit_of_work(engine) as session:
        for n, chat in enumerate(sorted(chats)):
            contact = Contact(name=f"联络员{n:03d}", role="county", last_channel="telegram")
            session.add(contact)
            session.flush()
            session.add(ChannelIdentity(contact_id=contact.id, channel="telegram", external_id=chat))
    engine.dispose()
    return chats


def environment(url: str, api: RateLimitedBotApi, **extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": url, "PAIRBOT_QUEUE__RELAY_AFTER_SECONDS": str(RELAY_AFTER),
        "PAIRBOT_TELEGRAM__TOKEN": api.token, "PAIRBOT_TELEGRAM__API_BASE_URL": api.api_base_url,
        "PAIRBOT_TELEGRAM__MODE": "webhook", "PAIRBOT_TELEGRAM__SECRET_TOKEN": "handoff-test",
        "PAIRBOT_WEB__PORT": str(free_port()),
    } | extra


def start(args: list[str], env: dict[str, str], log: Path, ready: str) -> subprocess.Popen[bytes]:
    """A `pairbot` child process, once its log says `ready` (its workers are consuming by then)."""
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while ready not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"pairbot {args[0]} did not start:\n" + log.read_text()[-3000:]
        time.sleep(0.1)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def broadcast_from_cli(env: dict[str, str]) -> tuple[float, str]:
    """`pairbot broadcast --to all --yes` in its own process; the monotonic time it exited, and its output."""
    result = subprocess.run([sys.executable, "-m", "bot", "broadcast", "--to", "all", "--text", TEXT, "--yes"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    exited = time.monotonic()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{RECIPIENTS} 个收件人" in result.stdout
    return exited, result.stdout


def wait_all(api: RateLimitedBotApi, chats: set[str], url: str, log: Path, seconds: float = DELIVERY_BOUND) -> None:
    deadline = time.monotonic() + seconds
    while set(api.per_chat()) < chats:
        assert time.monotonic() < deadline, (
            f"{len(api.per_chat())}/{len(chats)} delivered; stand-in answered {dict(api.outcomes)}; "
            f"rows not sent: {unsent(url)}; log:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def unsent(url: str) -> list[tuple[object, ...]]:
    """The outbox rows that did not go out, with what they say about why (for a failure message)."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        rows = session.exec(select(Delivery.id, Delivery.status, Delivery.attempts, Delivery.next_attempt_at,
                                   Delivery.claimed_at, Delivery.last_error)
                            .where(col(Delivery.status) != DeliveryStatus.sent)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def check_delivery(api: RateLimitedBotApi, chats: set[str], cli_exited: float, url: str, log: Path) -> None:
    wait_all(api, chats, url, log)
    first = min(a.at for a in api.accepted)
    assert first - cli_exited < FIRST_SEND_BOUND, (
        f"first message {first - cli_exited:.2f} s after the CLI exited: not handed off (relay after {RELAY_AFTER} s)")
    assert api.duplicates() == 0
    assert api.max_in_window(1.0) <= 30, f"{api.max_in_window(1.0)} messages accepted within one second"


def test_cli_broadcast_reaches_a_running_embedded_pairbot_at_once(db_url: str, bot_api: RateLimitedBotApi,
                                                                    tmp_path: Path) -> None:
    """memory:// queue: SQLite wakes `pairbot run` through data_version, PostgreSQL through LISTEN/NOTIFY."""
    chats = seed(db_url)
    env = environment(db_url, bot_api)
    log = tmp_path / "run.log"
    server = start(["run", "--no-console"], env, log, "pairbot serving")
    try:
        assert httpx.get(f"http://127.0.0.1:{env['PAIRBOT_WEB__PORT']}/healthz", timeout=5).status_code == 200
        exited, output = broadcast_from_cli(env)
        assert "1 秒内取走发送" in output
        check_delivery(bot_api, chats, exited, db_url, log)
    finally:
        stop(server)


def test_rows_written_while_pairbot_run_was_down_go_out_when_it_starts(sqlite_url: str, bot_api: RateLimitedBotApi,
                                                                      tmp_path: Path) -> None:
    chats = seed(sqlite_url)
    env = environment(sqlite_url, bot_api)
    broadcast_from_cli(env)
    log = tmp_path / "run.log"
    server = start(["run", "--no-console"], env, log, "pairbot serving")
    try:
        started = time.monotonic()
        check_delivery(bot_api, chats, started, sqlite_url, log)
    finally:
        stop(server)


def test_cli_broadcast_enqueues_on_redis_for_two_worker_processes(db_url: str, bot_api: RateLimitedBotApi,
                                                                  tmp_path: Path) -> None:
    """A real broker: the CLI enqueues after its commit; two processes share one budget in Redis."""
    try:
        redis = RedisServer().start()
    except RuntimeError as exc:
        pytest.skip(f"a private redis-server cannot be started: {exc}")
    chats = seed(db_url)
    env = environment(db_url, bot_api, PAIRBOT_QUEUE__URL=redis.url)
    log = tmp_path / "worker.log"
    worker = start(["worker", "--processes", "2", "--threads", "8"], env, log, "pairbot worker:")
    try:
        deadline = time.monotonic() + 60
        while log.read_text(errors="replace").count("pairbot worker:") < 2:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        exited, output = broadcast_from_cli(env)
        assert "已交给消息队列" in output
        check_delivery(bot_api, chats, exited, db_url, log)
    finally:
        stop(worker)
        redis.stop()
