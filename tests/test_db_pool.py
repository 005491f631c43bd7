"""PostgreSQL's pool: a connection that sat idle is tested before use, one in steady use is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

import bot.db
from bot.db import make_engine


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    engine = make_engine(pg_database)
    engine.pool.dispose()
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine: Engine, pid: int) -> None:
    admin = make_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        with admin.begin() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


def test_a_connection_killed_while_idle_is_replaced_without_an_error(
        pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _backend_pid(pg_engine)
    _terminate(pg_engine, first)
    monkeypatch.setattr(bot.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout counts as after idling
    second = _backend_pid(pg_engine)  # the ping found the dead connection; the pool opened a new one
    assert second != first


def test_a_connection_in_steady_use_is_not_pinged_and_recovers_after_one_failure(pg_engine: Engine) -> None:
    first = _backend_pid(pg_engine)
    _terminate(pg_engine, first)
    with pytest.raises(OperationalError):  # used a moment ago, so not pinged: the caller's retry covers this
        _backend_pid(pg_engine)
    assert _backend_pid(pg_engine) != first
