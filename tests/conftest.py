"""Fixtures: real databases (SQLite file, PostgreSQL at 127.0.0.1:5432) and an App wired to the console channel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.db import make_engine, migrate
from bot.simulator import Simulator
from models.services.registry import contact_for
from sqlmodel import Session
from tests.i18n.checks import english_prose
from tests.standins.redis_server import RedisServer
from tests.standins.telegram_api import TelegramApiStandIn

PG_ADMIN_URL = os.environ.get("PAIRBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _installation_language_reset() -> Iterator[None]:
    """An App made with `[app] locale` sets the process's default language; the next test starts in Chinese."""
    yield
    from bot.i18n import set_installation_locale

    set_installation_locale(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test so each starts clean without re-running migrations."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once; dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"pairbot_test_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test that takes it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "pairbot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "pairbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def make_settings(db_url: str, **sections: dict) -> Settings:
    return Settings(database={"url": db_url}, **sections)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = App(settings, channels={CONSOLE: ConsoleChannel()})
    application.queue.start_worker()
    yield application
    application.close()


@pytest.fixture
def engine(app: App):  # type: ignore[no-untyped-def]
    return app.engine


# Words a Chinese reply may contain as they are (command arguments, segment names, CLI words).
CHAT_WORDS = {"admin", "invite", "broadcast", "export", "import", "auto"}


class CheckedSimulator(Simulator):
    """The dialog tests' simulator: every reply to a sender reading Chinese must hold no English prose
    (tests.i18n.checks.english_prose), so each dialog test is a language check as well. What the sender
    typed may come back as written (“无法识别的渠道“fax””)."""

    def send(self, text: str = "", **kwargs: Any) -> list[str]:
        replies = super().send(text, **kwargs)
        if replies and self._reads_chinese():
            typed = CHAT_WORDS | set(text.lower().split()) | set(re.findall(r"[a-z]+", text.lower()))  # echoed input
            wrong = {reply: words for reply in replies if (words := english_prose(reply, typed))}
            assert not wrong, f"English prose in a Chinese reply to {text!r}: {wrong}"
        return replies

    def _reads_chinese(self) -> bool:
        with Session(self.app.engine) as session:
            contact = contact_for(session, CONSOLE, self.sender_id)
            chosen = contact.locale if contact is not None else None
        return (chosen or self.app.settings.app.locale or "zh_CN") == "zh_CN"


def simulator(app: App, sender: str = "local", name: str = "测试用户") -> Simulator:
    return CheckedSimulator(app, sender, name)


@pytest.fixture
def telegram_api() -> Iterator[TelegramApiStandIn]:
    """The Telegram Bot API stand-in on 127.0.0.1 (tests/standins/telegram_api.py, which benches import too)."""
    api = TelegramApiStandIn().start()
    yield api
    api.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server of this test's own (killed at the end); skips where none can be started."""
    try:
        server = RedisServer().start()
    except RuntimeError as exc:
        pytest.skip(f"a private redis-server cannot be started: {exc}")
    yield server
    server.stop()


def wait_serving(port: int, process: subprocess.Popen[str], timeout: float = 30) -> httpx.Response:
    """The first answer of `/healthz` from a `pairbot run` just started in `process` (which must not exit)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, f"pairbot run did not start serving within {timeout:.0f} s"
            time.sleep(0.2)
