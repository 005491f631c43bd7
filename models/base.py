"""Column types and helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


MAX_ID = 2**31 - 1  # primary keys are INTEGER columns (32-bit on PostgreSQL): a larger number names no row


def parse_id(value: Any) -> int | None:
    """A row id typed by a person (a path or query parameter): plain ASCII digits within 1..MAX_ID, else None."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC on every backend.

    SQLite keeps no offset, so values are written as naive UTC there and given their
    UTC tzinfo back when read; naive input is refused so local times never sneak in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def timestamp(index: bool = False) -> Any:
    """An optional UTC timestamp column."""
    return Field(default=None, sa_type=UTCDateTime, index=index)


def json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON, nullable=False)


def json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSON, nullable=False)
