"""SQLite writers of one process queue on a lock, in turn, instead of sleeping in SQLite's busy handler."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from bot.db import _WriteGate, make_engine


def test_concurrent_writers_all_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE n (writer INTEGER, k INTEGER)"))
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for k in range(30):
                with engine.begin() as connection:
                    connection.execute(text("SELECT count(*) FROM n")).one()  # a read first, then the write
                    connection.execute(text("INSERT INTO n VALUES (:w, :k)"), {"w": writer, "k": k})
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM n")).scalar() == 240
    engine.dispose()


def test_the_gate_serves_waiting_writers_in_turn_and_never_blocks_its_own_thread() -> None:
    gate = _WriteGate()
    assert gate.take()
    assert not gate.take()  # the same thread through a second connection: SQLite decides
    order: list[str] = []

    def writer(name: str) -> None:
        assert gate.take()
        order.append(name)
        gate.give()

    first = threading.Thread(target=writer, args=("first",))
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=writer, args=("second",))
    second.start()
    time.sleep(0.2)
    assert order == []  # both wait while it is held
    gate.give()
    first.join(5)
    second.join(5)
    assert order == ["first", "second"]
