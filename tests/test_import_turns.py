"""Several `pairbot import` (or `pairbot init`) processes on one database take turns (each a real child process)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from sqlmodel import func, select

from bot.db import make_engine, unit_of_work
from models.messaging import Invite
from models.registry import ChannelIdentity, Contact
from tests.conftest import PG_ADMIN_URL
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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, as `pairbot init` first meets it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pairbot.db'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"pairbot_init_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_inits_at_once_on_a_new_database_both_succeed_with_one_first_admin_invite(empty_db_url: str,
                                                                                     tmp_path: Path) -> None:
    """Seen: the second `pairbot init` died with a traceback, “table need already exists”."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {"PAIRBOT_DATABASE__URL": empty_db_url}
    both = [subprocess.Popen([sys.executable, "-m", "bot", "init"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(process.wait(timeout=120), *process.communicate()) for process in both]
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, err[-2000:]
        assert "数据库已就绪" in out
    assert sum("首个管理员邀请码" in out for _, out, _ in results) == 1
    engine = make_engine(empty_db_url)
    with unit_of_work(engine) as session:
        assert session.exec(select(func.count()).select_from(Invite)).one() == 1
    engine.dispose()
