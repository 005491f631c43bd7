"""PostgreSQL specifics: the pool tests a connection only after it sat idle; the outbox claim reads its partial index."""

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


@pytest.mark.parametrize("statement", ["look-up", "claim"])
def test_the_claims_look_up_uses_the_pending_index_in_a_generic_plan(pg_engine: Engine, statement: str) -> None:
    """psycopg prepares a statement after 5 runs and PostgreSQL may then plan it once for any parameters: the
    look-up of a chat's oldest pending row, alone and inside the claim, must still read the partial index, not
    walk the outbox by id."""
    import re
    from datetime import UTC, datetime

    from sqlalchemy.dialects import postgresql

    from jobs.outbound import _statements, oldest_due_query

    query = oldest_due_query() if statement == "look-up" else _statements()["claim"]
    compiled = query.compile(dialect=postgresql.dialect())
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", compiled.string)))
    sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", compiled.string)
    given = {"the_channel": "telegram", "the_chat": "7", "now": datetime.now(UTC)}
    values = ", ".join(f"'{given[name] if name in given else compiled.params[name]}'" for name in names)
    with pg_engine.begin() as connection:
        connection.execute(text("INSERT INTO delivery (channel, chat_id, text, buttons, status, attempts, "
                                "last_error, created_at) SELECT 'telegram', (g % 500)::text, 'x', '[]', 'sent', 1, "
                                "'', now() FROM generate_series(1, 20000) g"))
        connection.execute(text("ANALYZE delivery"))
        connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        connection.exec_driver_sql(f"PREPARE oldest_due AS {sql}")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN EXECUTE oldest_due({values})"))
        connection.exec_driver_sql("DEALLOCATE oldest_due")
        connection.execute(text("DELETE FROM delivery"))
    assert "ix_delivery_pending_chat" in plan, plan
