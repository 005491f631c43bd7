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


@pytest.mark.parametrize("model, values", [
    ("ProgressUpdate", {"channel": "telegram", "raw_text": "投入资金20万元", "funds_wan": 20.0,
                        "fields": ["教育"], "households": 38}),
    ("InboundMessage", {"channel": "telegram", "chat_id": "1", "message_id": "2", "sender_id": "1", "text": "你好"}),
    ("Delivery", {"channel": "telegram", "chat_id": "1", "text": "已记录", "buttons": [["确认", "ok"]]}),
])
def test_a_row_built_fast_is_the_row_the_constructor_builds(db_url: str, model: str, values: dict) -> None:
    """`new_row` (the hot paths' constructor) gives the same object and the same stored row as `Model(**values)`,
    defaults and factories included, and a fresh list or dict per row."""
    import models.messaging
    import models.reporting
    from models.base import new_row

    cls = getattr(models.reporting, model, None) or getattr(models.messaging, model)
    engine = make_engine(db_url)
    if "contact_id" in cls.model_fields:
        with Session(engine) as session:
            contact = Contact(name="甲", role="county")
            session.add(contact)
            session.commit()
            values = {**values, "contact_id": contact.id}
    stamp = {"created_at": datetime(2026, 8, 31, 1, 30, tzinfo=timezone.utc)} if "created_at" in cls.model_fields else {}
    if "received_at" in cls.model_fields:
        stamp["received_at"] = datetime(2026, 8, 31, 1, 30, tzinfo=timezone.utc)
    slow, fast = cls(**values, **stamp), new_row(cls, **values, **stamp)
    assert fast.model_dump() == slow.model_dump()
    assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__
    other = new_row(cls, **stamp)
    for name, value in other.model_dump().items():
        if isinstance(value, list | dict):
            assert getattr(other, name) is not getattr(new_row(cls, **stamp), name)  # not one shared default
    stored = []
    for row in (slow, fast):  # one at a time: a stored message's key is unique
        with Session(engine) as session:
            session.add(row)
            session.commit()
            found = session.exec(select(cls)).one()
            stored.append(found.model_dump(exclude={"id"}))
            session.delete(found)
            session.commit()
    assert stored[0] == stored[1]
    with pytest.raises(TypeError, match="no field"):
        new_row(cls, no_such_field=1)
    engine.dispose()
