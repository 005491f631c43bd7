"""Pairings between organizations and counties, their history, agreements and projects."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.i18n import N_, _
from models.base import created_at, timestamp


class PairingStatus(StrEnum):
    proposed = "proposed"
    active = "active"
    suspended = "suspended"
    ended = "ended"

    @property
    def label(self) -> str:
        """The status as people read it, in the locale in force."""
        return _(PAIRING_STATUS_LABELS[self.value])


PAIRING_STATUS_LABELS = {  # Chinese, marked for the catalog: `.label` (or `_()`) where shown
    "proposed": N_("拟结对"), "active": N_("结对中"), "suspended": N_("暂停"), "ended": N_("已结束"),
}


class PairingGroup(SQLModel, table=True):
    """组团式帮扶: several organizations helping one county together, one of them leading (牵头)."""

    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    name: str = Field(max_length=128)
    leading_organization_id: int | None = Field(default=None, foreign_key="organization.id")
    created_at: datetime = created_at()


class Pairing(SQLModel, table=True):
    """One organization ↔ one county; one-to-many, many-to-one and group pairings are several rows."""

    __table_args__ = (UniqueConstraint("organization_id", "county_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="pairinggroup.id", index=True)  # 组团式
    status: str = Field(default=PairingStatus.active, max_length=16, index=True)
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class PairingStatusChange(SQLModel, table=True):
    """One step of a pairing's history: who changed its status, when, why, from which day."""

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor: str = Field(default="", max_length=128)
    note: str = Field(default="", max_length=512)  # the reason (导入 for imports)
    effective_on: date | None = None  # the day the change took effect, when it was not the day it was recorded
    changed_at: datetime = created_at()


AGREEMENT_DUE = (8, 31)  # month, day: active pairings owe a signed agreement for the season by then


def agreement_season(signed_on: date) -> int:
    """The season an agreement signed that day counts for: the year whose 31 August deadline it meets."""
    return signed_on.year + (1 if (signed_on.month, signed_on.day) > AGREEMENT_DUE else 0)


class Agreement(SQLModel, table=True):
    """A signed pairing agreement (帮扶协议) for one season: the year whose 31 August deadline it meets.

    A later record for the same pairing and season is an amendment: it supersedes this one, which
    stays as history (superseded_by_id set) and is never added to it.
    """

    # "Has this pairing a current agreement for season S?" is asked per pairing: one index answers it.
    __table_args__ = (Index("ix_agreement_pairing_season", "pairing_id", "season"),)

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    season: int
    signed_on: date
    superseded_by_id: int | None = Field(default=None, foreign_key="agreement.id")
    superseded_at: datetime | None = timestamp()
    amount_wan: float | None = None
    document: str = Field(default="", max_length=512)
    created_at: datetime = created_at()


class ProjectStatus(StrEnum):
    planned = "planned"  # recorded before the 项目库 existed
    active = "active"
    done = "done"
    closed = "closed"

    @property
    def label(self) -> str:
        """The status as people read it, in the locale in force."""
        return _(PROJECT_STATUS_LABELS[self.value])


PROJECT_STATUS_LABELS = {  # Chinese, marked for the catalog: `.label` (or `_()`) where shown
    "planned": N_("计划中"), "active": N_("实施中"), "done": N_("已完成"), "closed": N_("已关闭"),
}
OPEN_PROJECT_STATUSES = (ProjectStatus.planned, ProjectStatus.active)


class Project(SQLModel, table=True):
    """An assistance project (帮扶项目) under a pairing, usually a confirmed need of the 项目库.

    Its figures are the progress updates that name it (ProgressUpdate.project_id), counted once
    in the pairing's ledger; amount_wan is what was sought or agreed, never added to the ledger.
    """

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    need_id: int | None = Field(default=None, foreign_key="need.id", unique=True)
    name: str = Field(max_length=256)
    field: str = Field(default="其他", max_length=8)  # 产业/就业/教育/健康/养老/消费/其他
    description: str = Field(default="", sa_type=Text)
    amount_wan: float | None = None
    status: str = Field(default=ProjectStatus.active, max_length=16, index=True)
    close_reason: str = Field(default="", max_length=512)
    closed_at: datetime | None = timestamp()
    created_at: datetime = created_at()
