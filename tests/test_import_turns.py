"""Several `pairbot import` processes on one database take turns (each a real child process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import func, select

from bot.db import make_engine, unit_of_work
from models.registry import ChannelIdentity, Contact
from tests.factories import load_counties

ROWS = 15_000  # a few batches (5,000 rows each), so the imports overlap batch by batch
COPIES = 3


def test_imports_of_one_file_at_once_create_each_contact_once_and_refuse_nothing(db_url: str,
                                                                                     tmp_path: Path) -> None:
    """Seen on PostgreSQL: both found no contact, one wrote the batch and the other refused its 5,000 rows
    as “telegram_id … 已绑定到联系人” (exit 3), naming the very contact the row describes."""
    engine = make_engine(db_url)
    load_counties(engine)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("name,role,county,telegram_id\n" + "".join(
        f"联络员{n:05d},county,布拖县,{52_000_000 + n}\n" for n in range(ROWS)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {"PAIRBOT_DATABASE__URL": db_url}
    both = [subprocess.Popen([sys.executable, "-m", "bot", "import", "contacts", str(contacts)], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(COPIES)]
    results = [(process.wait(timeout=120), *process.communicate()) for process in both]
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, err[-2000:]
    summaries = sorted(out.strip() for _, out, _ in results)
    assert summaries == [f"contacts.csv：新增 0，更新 0，未变 {ROWS}，拒绝 0"] * (COPIES - 1) + [
        f"contacts.csv：新增 {ROWS}，更新 0，未变 0，拒绝 0"]  # one created them, the others found them unchanged
    with unit_of_work(engine) as session:
        assert session.exec(select(func.count()).select_from(Contact)).one() == ROWS
        assert session.exec(select(func.count()).select_from(ChannelIdentity)).one() == ROWS
    engine.dispose()
