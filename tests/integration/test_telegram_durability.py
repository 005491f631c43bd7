"""Telegram polling loses nothing when `pairbot run` is killed: an update is acknowledged to Telegram (by the
next getUpdates offset) only once it is stored.

400 text updates from registered county contacts are queued at the stand-in Bot API; a real `pairbot run`
process (SQLite, polling mode) is killed -9 once a quarter of them are stored. Every update is then either
stored or still waiting at the stand-in (none acknowledged and lost); after a restart every one is stored
exactly once and handled once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.db import make_engine
from models.messaging import InboundMessage
from models.reporting import ProgressUpdate
from tests.integration.test_wecom_durability import _free_port, healthy, prepare, wait_for
from tests.standins.telegram_api import TOKEN, TelegramApiStandIn, Updates

UPDATES = 400
SENDERS = 20
KILL_AFTER = 100  # stored updates before the kill
FIRST_USER = 70_000


def start(db_url: str, api: TelegramApiStandIn, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_WEB__PORT": str(port), "PAIRBOT_TELEGRAM__TOKEN": TOKEN,
        "PAIRBOT_TELEGRAM__API_BASE_URL": api.base_url, "PAIRBOT_TELEGRAM__MODE": "polling",
    }
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=log.parent, env=env,
                               stdin=subprocess.DEVNULL, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for(lambda: healthy(port) or process.poll() is not None, 60, "pairbot run to start")
    assert process.poll() is None, log.read_text()[-3000:]
    return process


def stored(db_url: str) -> tuple[dict[str, int], int]:
    """(rows per Telegram message id, progress updates)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            counts = dict(session.exec(select(InboundMessage.message_id, func.count())
                                       .where(InboundMessage.channel == "telegram")
                                       .group_by(col(InboundMessage.message_id))).all())
            updates = session.exec(select(func.count()).select_from(ProgressUpdate)).one()
    finally:
        engine.dispose()
    return counts, updates


@pytest.fixture
def api() -> Iterator[TelegramApiStandIn]:
    standin = TelegramApiStandIn().start()
    yield standin
    standin.stop()


@pytest.mark.timeout(300)
def test_no_polled_update_is_lost_when_the_process_is_killed(tmp_path: Path, api: TelegramApiStandIn) -> None:
    db_url = f"sqlite:///{tmp_path / 'pairbot.db'}"
    prepare(db_url, "telegram", lambda n: str(FIRST_USER + n), SENDERS)
    port, log = _free_port(), tmp_path / "pairbot.log"
    process = start(db_url, api, port, log)
    updates = Updates()
    message_ids = []
    for n in range(UPDATES):
        update = updates.message(FIRST_USER + n % SENDERS, f"本月投入帮扶资金{n % 90 + 1}万元，带动{n % 40 + 2}户增收（第{n}条）")
        api.inject(update)
        message_ids.append(str(update["message"]["message_id"]))
    try:
        wait_for(lambda: len(stored(db_url)[0]) >= KILL_AFTER, 120, f"{KILL_AFTER} updates to be stored")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    counts, _ = stored(db_url)
    waiting = {str(u["message"]["message_id"]) for u in api.pending_updates()}
    assert len(counts) < UPDATES, "the kill should fall in the middle of the load"
    lost = set(message_ids) - counts.keys() - waiting
    assert not lost, f"{len(lost)} updates were acknowledged to Telegram but not stored: {sorted(lost)[:5]}"

    process = start(db_url, api, port, log)
    try:
        wait_for(lambda: len(stored(db_url)[0]) == UPDATES, 120, "every update to be stored after the restart")
        wait_for(lambda: stored(db_url)[1] == UPDATES, 60, "every update to be handled")
        counts, handled = stored(db_url)
        assert counts.keys() == set(message_ids) and set(counts.values()) == {1} and handled == UPDATES
    finally:
        process.terminate()
        process.wait(30)
