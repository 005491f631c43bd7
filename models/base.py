"""Column types and helpers shared by every table."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Select, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel
from sqlmodel._compat import partial_init

Row = TypeVar("Row", bound=SQLModel)


MAX_ID = 2**31 - 1  # primary keys are INTEGER columns (32-bit on PostgreSQL): a larger number names no row


def parse_id(value: Any) -> int | None:
    """A row id typed by a person (a path or query parameter, a form, a button's data): plain ASCII digits
    within 1..MAX_ID, else None."""
    return whole_number(str(value or ""), MAX_ID) or None


def whole_number(text: str, largest: int) -> int | None:
    """A whole number typed by someone: ASCII digits only, at most `largest`, else None.

    `str.isdigit` is not enough: it accepts "²" and other digits `int()` refuses, and a number
    past a column's range makes PostgreSQL raise instead of finding nothing.
    """
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(largest)):
        return None
    value = int(text)
    return value if value <= largest else None


def count_of(query: Select[Any]) -> Select[Any]:
    """How many rows `query` returns. Not `query.with_only_columns(func.count())`: that drops every table
    only the replaced columns named, so a query with no filter on its table counts one row."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert_insert(dialect: Dialect, table: Table) -> Any:
    """INSERT for `table` with the dialect's ON CONFLICT clauses (PostgreSQL or SQLite, the two backends)."""
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)


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


def empty_list() -> list[Any]:
    """A new empty list: a default factory that is a Python function, since pydantic reads a factory's signature
    on every construction, and a builtin's (`list`) is parsed from text each time (≈ 0.1 ms a field)."""
    return []


def empty_dict() -> dict[str, Any]:
    """A new empty dict (see `empty_list`)."""
    return {}


def json_list() -> Any:
    return Field(default_factory=empty_list, sa_type=JSON, nullable=False)


def json_dict() -> Any:
    return Field(default_factory=empty_dict, sa_type=JSON, nullable=False)


def new_row(model: type[Row], **values: Any) -> Row:
    """`model(**values)` for a table model, built in a few microseconds instead of ≈ 0.1–0.2 ms.

    SQLModel's constructor walks every field through pydantic, which reads each default factory's signature
    on every call (it does not cache it), and sets each value through two layers of instrumentation. Here
    SQLAlchemy's own initialisation runs as usual (instance state, init events), and then every field is put
    in place — the given value, else its default, its factory called — which is what a new row's INSERT
    reads. For the rows made once per message (the stored message, the progress update, the reply)."""
    fields = _fields_of(model)
    unknown = values.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    with partial_init():  # SQLAlchemy's init only; SQLModel's field walk is skipped
        row = model()
    state = row.__dict__
    for name, default in fields.items():
        state[name] = values[name] if name in values else default()
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


@cache
def _fields_of(model: type[SQLModel]) -> dict[str, Callable[[], Any]]:
    """Each field's default as a function: its factory, or a copy of its default (as pydantic makes one)."""
    defaults: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            defaults[name] = field.default_factory  # type: ignore[assignment]
        else:
            default = None if field.is_required() else field.default
            defaults[name] = (lambda value=default: value) if isinstance(default, (type(None), str, int, float, bool)) \
                else (lambda value=default: copy.deepcopy(value))
    return defaults
