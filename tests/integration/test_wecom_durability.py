"""A WeCom callback answered 200 is never lost: `pairbot run` killed with SIGKILL mid-load, then restarted.

1,500 encrypted callbacks from registered county contacts are posted from several threads to a
real `pairbot run` process (SQLite, the WeCom stand-in API); the process is killed -9 once half
have been answered. After a restart, every message that got a 200 is stored exactly once and
handled (its progress update and reply row written) without being sent again. The first of those
that got no answer — among them the ones in flight at the kill, perhaps stored but unanswered —
are then sent again, as WeCom does, and each is stored and handled once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.db import make_engine, migrate, unit_of_work
from models.messaging import Delivery, InboundMessage
from models.registry import Contact, County, Role
from models.reporting import ProgressUpdate
from models.services.registry import bind_identity
from tests.factories import CODES, add_org, load_counties, pair
from tests.integration.wecom_support import (
    SAMPLE_AES_KEY, SAMPLE_CORP_ID, SAMPLE_TOKEN, IndependentCrypto, SignedPost, message_xml, seal,
)
from tests.standins.wecom_api import WecomApiStandIn

REPO = Path(__file__).resolve().parents[2]
AGENT = 1000002
MESSAGES = 1500
SENDERS = 20
THREADS = 6
KILL_AFTER = 750  # answered callbacks before the kill
RESENT = 60  # of the unanswered, sent again after the restart
FIRST_MSG_ID = 5_000_000_000_000_000_000


def user(n: int) -> str:
    return f"xianlianluo{n:02d}"


def prepare(db_url: str, channel: str = "wecom", account: Callable[[int], str] = user, senders: int = SENDERS) -> None:
    """Counties, one organization paired with `senders` counties, one county contact each, bound on `channel`
    as account(n)."""
    engine = make_engine(db_url)
    migrate(engine)
    load_counties(engine)
    org = add_org(engine, "中国乡村发展基金会", CODES[0])
    with unit_of_work(engine) as session:
        counties = session.exec(select(County).order_by(col(County.id)).limit(senders)).all()
        county_ids = [county.id for county in counties]
    for n, county in enumerate(county_ids):
        pair(engine, org, county)  # type: ignore[arg-type]
        with unit_of_work(engine) as session:
            contact = Contact(name=f"联络员{n}", role=Role.county, county_id=county)
            session.add(contact)
            session.flush()
            bind_identity(session, contact, channel, account(n))
    engine.dispose()


def start(db_url: str, api: WecomApiStandIn, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_WEB__PORT": str(port),
        "PAIRBOT_WECOM__CORP_ID": SAMPLE_CORP_ID, "PAIRBOT_WECOM__AGENT_ID": str(AGENT),
        "PAIRBOT_WECOM__SECRET": api.secret, "PAIRBOT_WECOM__TOKEN": SAMPLE_TOKEN,
        "PAIRBOT_WECOM__ENCODING_AES_KEY": SAMPLE_AES_KEY, "PAIRBOT_WECOM__API_BASE_URL": api.url,
    }
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=log.parent, env=env,
                               stdin=subprocess.DEVNULL, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for(lambda: healthy(port) or process.poll() is not None, 60, "pairbot run to start")
    assert process.poll() is None, log.read_text()[-3000:]
    return process


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def callbacks() -> dict[str, SignedPost]:
    crypto = IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    return {str(FIRST_MSG_ID + n): seal(crypto, message_xml(
        user(n % SENDERS), "text", FIRST_MSG_ID + n, SAMPLE_CORP_ID, AGENT,
        Content=f"本月投入帮扶资金{n % 90 + 1}万元，带动{n % 40 + 2}户增收（第{n}条）"), agent_id=AGENT)
        for n in range(MESSAGES)}


def post_all(port: int, posts: dict[str, SignedPost], answered: dict[str, int],
             on_answer: Callable[[], None] = lambda: None) -> list[str]:
    """Post every callback from THREADS threads; `answered` gets each MsgId's status. Returns the MsgIds
    that got no answer (the process was gone), in the order they were posted."""
    unanswered: list[str] = []
    pending = iter(list(posts.items()))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                msg_id, post = item
                try:
                    status = client.post(post.path, content=post.body.encode()).status_code
                except httpx.HTTPError:
                    with lock:
                        unanswered.append(msg_id)
                    continue
                with lock:
                    answered[msg_id] = status
                on_answer()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return sorted(unanswered, key=int)


@pytest.fixture
def api() -> Iterator[WecomApiStandIn]:
    with WecomApiStandIn(corp_id=SAMPLE_CORP_ID) as standin:
        yield standin


def stored(db_url: str) -> tuple[dict[str, int], int, int, int]:
    """(rows per MsgId, unhandled rows, progress updates, replies)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            counts = dict(session.exec(select(InboundMessage.message_id, func.count())
                                       .group_by(col(InboundMessage.message_id))).all())
            unhandled = session.exec(select(func.count()).select_from(InboundMessage)
                                     .where(col(InboundMessage.handled_at).is_(None))).one()
            updates = session.exec(select(func.count()).select_from(ProgressUpdate)).one()
            # Replies only: on a reminder day the running bot's scheduler also writes a reminder to each
            # sender, and those carry a dedupe key.
            replies = session.exec(select(func.count()).select_from(Delivery)
                                   .where(col(Delivery.dedupe_key).is_(None))).one()
    finally:
        engine.dispose()
    return counts, unhandled, updates, replies


@pytest.mark.timeout(300)  # about 30 s on an idle machine; two process starts and 1,500 requests when it is busy
def test_every_answered_callback_survives_a_kill(tmp_path: Path, api: WecomApiStandIn) -> None:
    db_url = f"sqlite:///{tmp_path / 'pairbot.db'}"
    prepare(db_url)
    posts = callbacks()
    port, log = _free_port(), tmp_path / "pairbot.log"
    process = start(db_url, api, port, log)
    answered: dict[str, int] = {}
    killed = threading.Event()

    def kill_midway() -> None:
        if len(answered) >= KILL_AFTER and not killed.is_set():
            killed.set()
            os.kill(process.pid, signal.SIGKILL)

    try:
        unanswered = post_all(port, posts, answered, kill_midway)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
    acknowledged = {msg_id for msg_id, status in answered.items() if status == 200}
    assert killed.is_set() and process.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(acknowledged) < MESSAGES, "the kill should fall in the middle of the load"
    assert set(answered.values()) <= {200, 503}

    counts, unhandled, _, _ = stored(db_url)
    lost = acknowledged - counts.keys()
    assert not lost, f"{len(lost)} callbacks answered 200 were not stored: {sorted(lost)[:5]}"

    process = start(db_url, api, port, log)  # finishes what was stored but not handled
    try:
        wait_for(lambda: stored(db_url)[1] == 0, 60, "the stored messages to be handled after the restart")
        counts, _, updates, replies = stored(db_url)
        assert acknowledged <= counts.keys() and set(counts.values()) == {1}
        assert updates == replies == len(counts)  # each stored message handled exactly once

        # WeCom sends again what got no 200: stored once (now, or already before the kill) and handled once.
        resent = unanswered[:RESENT]
        again: dict[str, int] = {}
        assert not post_all(port, {msg_id: posts[msg_id] for msg_id in resent}, again)
        assert set(again.values()) == {200}
        wait_for(lambda: stored(db_url)[1] == 0 and stored(db_url)[2] == len(counts | dict.fromkeys(resent)), 60,
                 "the messages sent again to be handled")
        counts, unhandled, updates, replies = stored(db_url)
        assert set(resent) <= counts.keys() and set(counts.values()) == {1}
        assert unhandled == 0 and updates == replies == len(counts)
    finally:
        process.terminate()
        process.wait(30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
