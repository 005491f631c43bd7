"""Staging tables: a batch of rows put next to the real tables, so one set-wise statement can use them.

Writing a hundred thousand rows one ORM object at a time costs a round trip and a Python object
each; writing them to a temporary table first — with COPY on PostgreSQL, `executemany` on SQLite —
and then joining it in one `INSERT … SELECT` or `UPDATE … FROM` costs a few statements per batch.
A staging table is TEMPORARY: private to the connection, never in the migrations, created on
first use and emptied before each batch. Columns are SQLAlchemy columns, so the statements that
read it are ordinary Core expressions on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, text
from sqlalchemy.schema import CreateTable
from sqlmodel import Session

METADATA = MetaData()
ANALYZE_FROM = 1000  # rows; a smaller batch is joined well enough without statistics


def staging_table(name: str, *columns: Column[Any]) -> Table:
    """A temporary table `name` with these columns (declare once, at import time)."""
    return Table(name, METADATA, *columns, prefixes=["TEMPORARY"])


def fill(session: Session, table: Table, rows: Iterable[Sequence[Any]], analyze: bool = True) -> None:
    """Create `table` on this connection if needed, empty it and write `rows` (tuples in column order); `analyze`
    gives PostgreSQL's planner the row count for the joins that follow (not needed by statements that only probe
    other tables row by row).

    Values must already be in the form the database stores (dates, strings, numbers): COPY and
    `executemany` bypass SQLAlchemy's type processing.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    ddl = str(CreateTable(table).compile(dialect=connection.dialect)).strip()
    connection.exec_driver_sql(ddl.replace("CREATE TEMPORARY TABLE", "CREATE TEMPORARY TABLE IF NOT EXISTS", 1))
    # TRUNCATE on PostgreSQL: autovacuum never visits temporary tables, so deleted rows would pile up.
    connection.execute(text(f"{'TRUNCATE' if dialect == 'postgresql' else 'DELETE FROM'} {table.name}"))
    names = ", ".join(column.name for column in table.columns)
    raw = connection.connection.dbapi_connection
    assert raw is not None
    if dialect == "postgresql":
        count = 0
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        if analyze and count >= ANALYZE_FROM:  # the planner's row estimate for the joins that follow
            connection.execute(text(f"ANALYZE {table.name}"))
    else:
        marks = ", ".join("?" for _ in table.columns)
        cursor = raw.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()
