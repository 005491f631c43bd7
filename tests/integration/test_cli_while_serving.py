"""CLI commands in their own processes while `pairbot run` serves and writes, for real.

`pairbot run` (Telegram webhook mode, against the Bot API stand-in) takes a steady stream of progress
reports from several threads — every report a transaction that writes the ledger's sums — while the
commands an administrator runs meanwhile (`pairbot import contacts`, `pairbot ledger rebuild`) run as
child processes on the same database. Each must finish with exit 0 and no traceback, and the sums
the running bot kept must equal a rebuild made once everything is quiet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, func, select

from bot.db import make_engine, unit_of_work
from models.messaging import InboundMessage
from models.reporting import ProgressUpdate
from models.registry import ChannelIdentity, Contact
from tests.factories import CODES, add_org, county_id, load_counties, pair
from tests.integration.test_delivery_handoff import start, stop
from tests.standins.redis_server import free_port
from tests.standins.telegram_api import TelegramApiStandIn, Updates

COUNTIES = ("布拖县", "巴林左旗", "库伦旗", "化德县", "商都县", "四子王旗")
REPORTERS = 36  # six per county, so reports of one pairing arrive on several of PostgreSQL's inbound lanes at once
SENDERS = 6  # threads posting webhook updates
SECRET = "cli-while-serving"


@pytest.fixture
def api() -> Iterator[TelegramApiStandIn]:
    stand_in = TelegramApiStandIn().start()
    yield stand_in
    stand_in.stop()


def seed(url: str) -> list[int]:
    """Six pairings of one organization, six county contacts on Telegram in each county; their chat ids."""
    engine = make_engine(url)
    load_counties(engine)
    org = add_org(engine, "中国社会福利基金会", CODES[0])
    counties = [county_id(engine, name) for name in COUNTIES]
    for county in counties:
        pair(engine, org, county)
    chats = [31_000_000 + n for n in range(REPORTERS)]
    with unit_of_work(engine) as session:
        for n, chat in enumerate(chats):
            contact = Contact(name=f"县联络员{n:02d}", role="county", county_id=counties[n % len(counties)],
                              last_channel="telegram")
            session.add(contact)
            session.flush()
            session.add(ChannelIdentity(contact_id=contact.id, channel="telegram", external_id=str(chat)))
    engine.dispose()
    return chats


class Reports:
    """Threads posting progress reports to `pairbot run`'s webhook until stopped; the answers they got."""

    def __init__(self, port: int, api: TelegramApiStandIn, chats: list[int]) -> None:
        self.port, self.api, self.chats = port, api, chats
        self.answers: Counter[object] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._post, args=(k,), daemon=True) for k in range(SENDERS)]

    def __enter__(self) -> Reports:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _post(self, k: int) -> None:
        updates = Updates()
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60) as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                chat = self.chats[(k * 7 + n) % len(self.chats)]
                text = f"本月投入帮扶资金{n % 40 + 1}万元，带动{n % 25 + 1}户增收。"
                update = {"update_id": self.api.next_update_id(), **updates.message(chat, text)}
                try:
                    status: object = client.post("/telegram/webhook", json=update,
                                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with self._lock:
                    self.answers[status] += 1


def pairbot(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def updates(url: str) -> int:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        count = session.exec(select(func.count()).select_from(ProgressUpdate)).one()
    engine.dispose()
    return count


def wait_until_handled(url: str, log: Path, timeout: float = 60) -> None:
    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with unit_of_work(engine) as session:
                left = session.exec(select(func.count()).select_from(InboundMessage)
                                    .where(col(InboundMessage.handled_at).is_(None))).one()
            if not left:
                return
            assert time.monotonic() < deadline, f"{left} stored messages still not handled; the bot's log ends:\n" \
                + log.read_text(errors="replace")[-3000:]
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_import_and_ledger_rebuild_while_pairbot_run_files_reports(db_url: str, api: TelegramApiStandIn,
                                                                   tmp_path: Path) -> None:
    """Seen before the fixes: on SQLite `pairbot import contacts` failed with “database is locked” (its staging
    transaction read a snapshot the running bot's commits made stale); on PostgreSQL `pairbot ledger rebuild`
    died in a deadlock with the reports being filed (it held the deleted sums, they held their pairing)."""
    chats = seed(db_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_TELEGRAM__TOKEN": api.token,
        "PAIRBOT_TELEGRAM__API_BASE_URL": api.base_url, "PAIRBOT_TELEGRAM__MODE": "webhook",
        "PAIRBOT_TELEGRAM__SECRET_TOKEN": SECRET, "PAIRBOT_WEB__PORT": str(port)}
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("name,role,county,telegram_id\n" + "".join(
        f"新联络员{n:03d},county,{COUNTIES[n % len(COUNTIES)]},{32_000_000 + n}\n" for n in range(400)), encoding="utf-8")
    log = tmp_path / "run.log"
    server = start(["run", "--no-console"], env, log, "pairbot serving")
    try:
        with Reports(port, api, chats) as reports:
            deadline = time.monotonic() + 30
            while updates(db_url) < 20:  # the stream is flowing
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
            at_once = [(["import", "contacts", str(contacts)], []), (["ledger", "rebuild"], [])]
            threads = [threading.Thread(target=lambda args, out: out.append(pairbot(env, tmp_path, *args)),
                                        args=job) for job in at_once]  # two commands at the same moment
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            results = [out[0] for _, out in at_once] + [pairbot(env, tmp_path, "ledger", "rebuild")]
        for result in results:
            assert result.returncode == 0 and "Traceback" not in result.stderr, result.args + [result.stderr[-3000:]]
        assert set(reports.answers) == {200}, reports.answers
        wait_until_handled(db_url, log)  # a 200 says stored; the bot handles the stored message just after
        during = pairbot(env, tmp_path, "ledger", "totals", "--json")
        assert pairbot(env, tmp_path, "ledger", "rebuild").returncode == 0
        after = pairbot(env, tmp_path, "ledger", "totals", "--json")
        assert during.returncode == 0 and during.stdout == after.stdout  # the sums kept live equal a quiet rebuild
    finally:
        stop(server)
    assert "Traceback" not in log.read_text(errors="replace")
