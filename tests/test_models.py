"""The schema on SQLite and PostgreSQL: migrations, UTC times, uniqueness."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.db import make_engine, migrate
from models.messaging import AuditLog
from models.registry import ChannelIdentity, Contact, County


def test_migrations_are_safe_to_run_again(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)
    engine.dispose()


def test_times_come_back_timezone_aware_in_utc(db_url: str) -> None:
    engine = make_engine(db_url)
    beijing = timezone(timedelta(hours=8))
    with Session(engine) as session:
        session.add(AuditLog(actor="t", action="x", at=datetime(2026, 8, 31, 9, 30, tzinfo=beijing)))
        session.commit()
    with Session(engine) as session:
        row = session.exec(select(AuditLog)).one()
        assert row.at.utcoffset() == timedelta(0) and row.at.hour == 1 and row.at.minute == 30
    engine.dispose()


def test_naive_times_are_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    with Session(engine) as session, pytest.raises(Exception, match="naive datetime"):
        session.add(AuditLog(actor="t", action="x", at=datetime(2026, 8, 31)))
        session.commit()
    engine.dispose()


def test_a_chat_identity_belongs_to_one_contact(db_url: str) -> None:
    engine = make_engine(db_url)
    with Session(engine) as session:
        county = County(code="513429", name="布拖县", province="四川省")
        a, b = Contact(name="甲", role="county"), Contact(name="乙", role="county")
        session.add_all([county, a, b])
        session.flush()
        session.add(ChannelIdentity(contact_id=a.id, channel="telegram", external_id="42"))
        session.commit()
        session.add(ChannelIdentity(contact_id=b.id, channel="telegram", external_id="42"))
        with pytest.raises(IntegrityError):
            session.commit()
    engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    """A table or column added to a model without a migration would show up here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []
