"""The inbox in a child process (bot.inbound_process), as `pairbot run` uses it: stored, then handled, across a pipe.

Runs a real child process on a real database: what the parent is told (stored ids, duplicates,
the replies to enqueue) must match the rows the child committed; a child killed with SIGKILL must
neither leave the parent waiting nor lose what it had stored; a parent killed with SIGKILL must not
leave the child behind.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from bot.db import make_engine, unit_of_work
from bot.inbound_process import InboundProcess, WriterGone
from bot.messages import Incoming
from bot.router import Router
from handlers.context import HandlerSettings
from models.messaging import Delivery, InboundMessage
from models.registry import ChannelIdentity, Contact
from models.reporting import ProgressUpdate
from tests.conftest import make_settings
from tests.factories import CODES, add_org, county_id, load_counties, pair

REPO = Path(__file__).resolve().parents[2]
SENDER = "41000001"


def seed(url: str) -> None:
    """One organization paired with 昭觉县, whose county contact writes on Telegram as SENDER."""
    engine = make_engine(url)
    load_counties(engine)
    county = county_id(engine, "昭觉县")
    pair(engine, add_org(engine, "中国社会福利基金会", CODES[0]), county)
    with unit_of_work(engine) as session:
        contact = Contact(name="县联络员", role="county", county_id=county, last_channel="telegram")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, channel="telegram", external_id=SENDER))
    engine.dispose()


def report(n: int, wan: int = 1) -> Incoming:
    return Incoming(channel="telegram", chat_id=SENDER, sender_id=SENDER, message_id=str(n),
                    text=f"本月投入帮扶资金{wan}万元，带动{n}户增收。")


def rows(url: str, model: type) -> list:  # type: ignore[type-arg]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(model).order_by(col(model.id))).all())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # our own child: reap it if it ended
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_messages_are_stored_then_handled_and_their_replies_enqueued(db_url: str) -> None:
    seed(db_url)
    enqueued: list[int] = []
    inbound = InboundProcess(make_settings(db_url), enqueued.extend)
    inbound.start()
    try:
        stored = [inbound.submit(report(n), SENDER).result(30) for n in range(1, 6)]
        again = inbound.submit(report(3), SENDER).result(30)  # the platform sent it twice
        assert inbound.join(30)
    finally:
        inbound.close()
    messages = rows(db_url, InboundMessage)
    assert stored == [row.id for row in messages] and again is None
    assert all(row.handled_at is not None for row in messages)
    assert [update.households for update in rows(db_url, ProgressUpdate)] == [1, 2, 3, 4, 5]
    replies = rows(db_url, Delivery)
    assert len(replies) == 5 and sorted(enqueued) == [row.id for row in replies]  # the parent enqueued each reply


def test_a_killed_child_fails_what_it_held_and_a_new_one_handles_what_was_stored(sqlite_url: str) -> None:
    seed(sqlite_url)
    engine = make_engine(sqlite_url)
    # A message the last child stored but never handled (as if killed between the two steps).
    [left] = Router(engine, [], HandlerSettings(zone=ZoneInfo("Asia/Shanghai")), lambda ids: None).store([report(1, wan=7)])
    engine.dispose()
    inbound = InboundProcess(make_settings(sqlite_url), lambda ids: None)
    inbound.start()
    try:
        first = inbound.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        outcomes = []
        for n in range(2, 40):  # as a platform does: what was not acknowledged is sent again until it is
            try:
                outcomes.append(inbound.submit(report(n), SENDER).result(30))
            except WriterGone:
                outcomes.append("gone")
            if isinstance(outcomes[-1], int) and inbound.pid != first:
                break
            time.sleep(0.1)
        assert inbound.pid not in (None, first) and isinstance(outcomes[-1], int), outcomes
        assert inbound.join(30)
    finally:
        inbound.close()
    assert gone(first)
    handled = {row.id: row.handled_at for row in rows(sqlite_url, InboundMessage)}
    assert handled[left] is not None  # the new child resumed what the old one stored
    assert all(handled.values())
    assert sum(update.funds_wan or 0 for update in rows(sqlite_url, ProgressUpdate)) >= 7


def test_the_child_stops_when_its_parent_is_killed(sqlite_url: str, tmp_path: Path) -> None:
    seed(sqlite_url)
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from bot.inbound_process import InboundProcess
        from tests.conftest import make_settings
        if __name__ == "__main__":  # the child is spawned: it imports this file again
            inbound = InboundProcess(make_settings({sqlite_url!r}), lambda ids: None)
            inbound.start()
            print(inbound.pid, flush=True)
            time.sleep(600)
    """))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # running
        parent.kill()
        parent.wait(10)
        assert gone(child), "the inbox's child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_child_whose_parent_died_while_it_started_exits_quietly(sqlite_url: str, tmp_path: Path) -> None:
    """kill -9 of `pairbot run` while its inbox starts: the child finds the pipe closed when it says it is ready,
    and exits without a traceback (there is nothing it received to finish)."""
    seed(sqlite_url)
    script = tmp_path / "orphan.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from multiprocessing import Pipe
        from bot.inbound_process import serve
        from tests.conftest import make_settings
        parent_end, child_end = Pipe()
        parent_end.close()
        serve(make_settings({sqlite_url!r}), child_end)
        print("returned", flush=True)
    """))
    finished = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0 and "returned" in finished.stdout, finished.stderr
    assert "Traceback" not in finished.stderr, finished.stderr


def test_a_closed_inbox_refuses_new_messages_and_says_so_to_healthz(sqlite_url: str) -> None:
    seed(sqlite_url)
    inbound = InboundProcess(make_settings(sqlite_url), lambda ids: None)
    inbound.start()
    inbound.ping()  # running
    child = inbound.pid
    inbound.close()
    assert child is not None and gone(child)
    refused = inbound.submit(report(1), SENDER)
    assert isinstance(refused, concurrent.futures.Future) and refused.exception(5) is not None
    with pytest.raises(RuntimeError, match="closed"):
        inbound.ping()
