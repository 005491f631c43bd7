"""SQLite shared by processes: a transaction of this process meets another process's commits without failing.

The other process is real (a child Python writing the same file), since within one process the write gate
(bot.db._WriteGate) already serialises writers and would hide what happens between processes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db import BUSY_SECONDS, make_engine, unit_of_work

# A child that commits a row to the main database every few milliseconds until it is stopped.
WRITER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS ticks (n INTEGER)")
db.execute("INSERT INTO ticks VALUES (1)")
print("ready", flush=True)
while True:
    db.execute("INSERT INTO ticks VALUES (1)")
    time.sleep(0.005)
"""


@pytest.mark.parametrize("opening", ["INSERT INTO stage VALUES ('阿木')", "SAVEPOINT first"], ids=["temporary-table", "savepoint"])
def test_a_transaction_that_writes_a_temporary_table_first_is_not_refused_after_another_process_commits(
        tmp_path: Path, opening: str) -> None:
    """An import stages rows in a TEMPORARY table, reads the registry, then writes it. Opened lazily, the
    transaction held a read snapshot, and upgrading it once `pairbot run` had committed in between failed at
    once with “database is locked” (seen: `pairbot import contacts` while webhook messages arrived)."""
    path = tmp_path / "pairbot.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE registry (name TEXT)"))
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for _ in range(3):
            with unit_of_work(engine) as session:
                session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS stage (name TEXT)"))
                session.execute(text(opening))  # opens the transaction: a temporary table's write, or a savepoint
                session.execute(text("INSERT INTO stage VALUES ('阿木')"))
                session.execute(text("SELECT count(*) FROM ticks")).scalar_one()  # a read of the main database
                time.sleep(0.1)  # the child commits meanwhile (unless this transaction holds the write lock)
                session.execute(text("INSERT INTO registry SELECT name FROM stage"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM registry")).scalar_one() >= 3
            assert connection.execute(text("SELECT count(*) FROM ticks")).scalar_one() > 0  # the child writes
    finally:
        child.kill()
        child.wait()
        engine.dispose()


def test_a_command_that_waited_out_another_process_s_write_lock_says_so_without_a_traceback(
        sqlite_url: str, tmp_path: Path) -> None:
    """SQLite's busy timeout (30 s) ran out while another process held the write lock (a long `pairbot ledger
    rebuild` or import): the command printed a Python traceback ending in “database is locked”."""
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a long transaction of another process holds it
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
            "PAIRBOT_DATABASE__URL": sqlite_url}
        result = subprocess.run([sys.executable, "-m", "bot", "invite", "--role", "admin"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=BUSY_SECONDS + 60)
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1
    assert "数据库正忙" in result.stderr and "请稍后重试" in result.stderr
    assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr


def test_an_export_stopped_by_sigterm_leaves_no_half_written_file(sqlite_url: str, tmp_path: Path) -> None:
    """SIGTERM ended the process where it stood: the workbook written so far stayed beside the output as
    `.NAME.PID.partial`. Now it stops as Ctrl-C does, and the export's own cleanup removes it."""
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:  # enough rows that the export takes a few seconds
        connection.exec_driver_sql("INSERT INTO delivery (channel, chat_id, text, buttons, status, attempts, last_error,"
                                   " created_at) SELECT 'telegram', 'c' || value, '通知' || value, '[]', 'sent', 1, '',"
                                   " '2026-05-01 00:00:00' FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n"
                                   " WHERE value < 150000) SELECT value FROM n)")
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {"PAIRBOT_DATABASE__URL": sqlite_url}
    out = tmp_path / "ledger.xlsx"
    process = subprocess.Popen([sys.executable, "-m", "bot", "export", "--out", str(out)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("*.partial")):  # the workbook is being written
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Traceback" not in err
    assert list(tmp_path.glob("*.partial")) == [] and not out.exists()
