"""The reminder ledger: every reminder, overdue digest and weekly summary the scheduler decided to send."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at, timestamp


class ObligationKind(StrEnum):
    deadline = "deadline"  # a row of Deadline (a dated obligation, e.g. the agreement by 31 August)
    cycle = "cycle"  # a row of ReportCycle (monthly progress, year-end statistics…)
    summary = "summary"  # the weekly overdue summary to admins (obligation_id 0)
    digest = "digest"  # the daily digest of what waits for an admin (obligation_id 0, period = the local date)


OVERDUE = "overdue"  # stage of the digest sent once an obligation's due date has passed unfulfilled
WEEKLY = "weekly"  # stage of the weekly summary
DAILY = "daily"  # stage of the admins' daily digest


class ReminderSent(SQLModel, table=True):
    """One message the scheduler owes a contact; its unique key makes it go out at most once.

    The key is (obligation, obligation_id, period, stage, contact_id): inserting a row claims the
    reminder, across restarts and with several schedulers running. `stage` is the number of days
    before the due date as text, or `overdue` / `weekly` / `daily`.
    """

    __table_args__ = (
        UniqueConstraint("obligation", "obligation_id", "period", "stage", "contact_id", name="uq_remindersent_key"),
        Index("ix_remindersent_contact_created", "contact_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    obligation: str = Field(max_length=16)
    obligation_id: int
    period: str = Field(default="", max_length=16)  # 2026-08, 2026-Q3, 2026; a deadline's due date
    stage: str = Field(max_length=16)
    contact_id: int = Field(foreign_key="contact.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    due_on: date | None = None
    created_at: datetime = created_at()
    answered_at: datetime | None = timestamp()  # a reply was filed under it
    update_id: int | None = Field(default=None, foreign_key="progressupdate.id")
