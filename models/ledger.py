"""The ledger's running sums: what each account added in each month, kept beside the updates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import json_dict


class MonthFigures(SQLModel):
    """The figures a month adds to the ledger (columns shared by both sums tables)."""

    funds_wan: float = 0.0
    committed_wan: float = 0.0
    sales_wan: float = 0.0
    households: int = Field(default=0, sa_type=BigInteger)  # sums of many updates: beyond 32 bits
    people: int = Field(default=0, sa_type=BigInteger)
    projects: int = Field(default=0, sa_type=BigInteger)
    updates: int = 0  # counted updates sent in the month


class LedgerMonth(MonthFigures, table=True):
    """One ledger account's figures for one local month (YYYY-MM).

    An account is a pairing, or — for updates whose pairing was never chosen — their sender
    (`pairing_id` null, `sender_id` set), attributed to the sender's county and organization.
    The figures are what the month changed the account's total by: increments summed, a running
    total (累计) replacing what came before it, so a month can even be negative. Rows are written
    only by models.services.sums, in the transaction that changes the account's updates.
    """

    __table_args__ = (UniqueConstraint("pairing_id", "sender_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id", index=True)
    sender_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    county_id: int | None = Field(default=None, foreign_key="county.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    month: str = Field(max_length=7, index=True)
    fields: dict[str, Any] = json_dict()  # assistance field → counted updates naming it


# Field columns of LedgerCountyMonth, in the order of parsing.FIELD_ORDER (产业 就业 教育 健康 养老 消费 其他).
FIELD_COLUMNS = ("field_industry", "field_employment", "field_education", "field_health", "field_elderly",
                 "field_consumption", "field_other")


class LedgerCountyMonth(MonthFigures, table=True):
    """The LedgerMonth rows of one county (null: no county known) and month, added up.

    The totals page, the monthly chart and province sums read this small table (160 counties × months)
    instead of every account; it is rewritten with the accounts it sums, in the same transaction.
    """

    __table_args__ = (UniqueConstraint("county_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    county_id: int | None = Field(default=None, foreign_key="county.id", index=True)
    month: str = Field(max_length=7, index=True)
    field_industry: int = 0
    field_employment: int = 0
    field_education: int = 0
    field_health: int = 0
    field_elderly: int = 0
    field_consumption: int = 0
    field_other: int = 0
