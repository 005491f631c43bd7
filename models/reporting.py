"""Obligations (report cycles, deadlines) and the progress updates that fulfil them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, text
from sqlmodel import Field, SQLModel

from models.base import created_at, empty_dict, json_dict, json_list, timestamp


class ReviewStatus(StrEnum):
    received = "received"
    accepted = "accepted"
    flagged = "flagged"
    rejected = "rejected"


class ReportCycle(SQLModel, table=True):
    """What is due from whom and when: monthly progress, quarterly, annual plan, year-end statistics."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)  # monthly / quarterly / annual_plan / year_end
    due_rule: str = Field(default="", max_length=64)  # e.g. "day:5" of the next period, "12-31"
    stages: list[int] = json_list()  # days before the due date at which to remind
    scope: dict[str, Any] = json_dict()  # {} = all active pairings, {"provinces": [...]}, {"pairings": [...]}
    active: bool = True
    created_at: datetime = created_at()


class Deadline(SQLModel, table=True):
    """A dated obligation with a target set, such as an agreement by 31 August.

    `season` is set on the yearly agreement deadlines pairbot creates itself (models.services.seasons):
    the unique (kind, season) index lets one row per season exist however many writers race.
    Deadlines added by hand leave it empty.
    """

    __table_args__ = (Index("ix_deadline_kind_season", "kind", "season", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)  # agreement / year_end / custom
    due_on: date
    stages: list[int] = json_list()
    scope: dict[str, Any] = json_dict()
    active: bool = True
    season: int | None = None
    created_at: datetime = created_at()


class ProgressUpdate(SQLModel, table=True):
    """A progress report as sent (raw text verbatim) with the figures understood from it."""

    # The latest live update of each pairing in one index probe (the review coverage matrix).
    __table_args__ = (
        Index("ix_progressupdate_pairing_latest", "pairing_id", "created_at",
              sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)  # the 项目 it reports on
    cycle_id: int | None = Field(default=None, foreign_key="reportcycle.id", index=True)
    period: str = Field(default="", max_length=16)  # the cycle's period, e.g. 2026-11
    channel: str = Field(max_length=16)
    inbound_id: int | None = Field(default=None, foreign_key="inboundmessage.id", index=True)
    raw_text: str = Field(sa_type=Text)
    funds_wan: float | None = None
    committed_wan: float | None = None
    sales_wan: float | None = None
    households: int | None = None
    people: int | None = None
    projects: int | None = None
    fields: list[str] = json_list()
    # Figures that are running totals (累计 …) rather than increments: their names, as in ParsedUpdate.cumulative.
    cumulative: list[str] = json_list()
    # What this update adds to its ledger account, per figure (models.services.sums); {} while not counted.
    ledger_delta: dict[str, Any] = json_dict()
    review_status: str = Field(default=ReviewStatus.received, max_length=16, index=True)
    review_note: str = Field(default="", max_length=512)
    withdrawn_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class ProgressEdit(SQLModel, table=True):
    """One change to an update (a 更正, an edited chat message, a reviewer's correction), old and new."""

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="progressupdate.id", index=True)
    kind: str = Field(max_length=16)  # correction / edit / review / withdraw
    actor: str = Field(default="", max_length=128)
    old_text: str = Field(default="", sa_type=Text)
    new_text: str = Field(default="", sa_type=Text)
    old_parsed: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    new_parsed: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    edited_at: datetime = created_at()


class Attachment(SQLModel, table=True):
    """A photo or file sent with or after an update."""

    id: int | None = Field(default=None, primary_key=True)
    update_id: int | None = Field(default=None, foreign_key="progressupdate.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # photo / file / voice
    file_id: str = Field(max_length=512)
    filename: str = Field(default="", max_length=256)
    created_at: datetime = created_at()


class PendingQuestion(SQLModel, table=True):
    """A question the bot asked and awaits an answer to, kept here so every channel and restart sees it."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = json_dict()
    created_at: datetime = created_at()
    answered_at: datetime | None = timestamp()
