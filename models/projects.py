"""The 项目库: what counties ask for (需求 Need), what organizations can give (供给 Offer), who takes a need on.

A need moves 草稿 → 已发布 → 已认领 → 已确认/实施中 (a `models.pairing.Project` is created) → 已完成, or
已关闭 with a reason. Claims (接单) are rows of their own so competing organizations are all recorded.
Every step is in the audit log with target ``need:<id>``; that is the need's history.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.i18n import N_, _
from models.base import created_at, json_list, timestamp


class NeedStatus(StrEnum):
    draft = "draft"
    published = "published"
    claimed = "claimed"
    in_progress = "in_progress"  # confirmed by the county: a Project exists
    done = "done"
    closed = "closed"
    withdrawn = "withdrawn"  # a draft its author took back

    @property
    def label(self) -> str:
        """The status as people read it, in the locale in force."""
        return _(NEED_STATUS_LABELS[self.value])


NEED_STATUS_LABELS = {  # Chinese, marked for the catalog: `.label` (or `_()`) where shown
    "draft": N_("草稿"), "published": N_("已发布"), "claimed": N_("已认领"), "in_progress": N_("实施中"),
    "done": N_("已完成"), "closed": N_("已关闭"), "withdrawn": N_("已撤回"),
}
OPEN_NEED_STATUSES = (NeedStatus.published, NeedStatus.claimed)  # organizations may still take these on


class ClaimStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    declined = "declined"  # the county said no, with a reason
    lost = "lost"  # another organization's claim was confirmed first
    withdrawn = "withdrawn"  # the need was closed or withdrawn while the claim waited

    @property
    def label(self) -> str:
        return _(CLAIM_STATUS_LABELS[self.value])


CLAIM_STATUS_LABELS = {
    "pending": N_("待县确认"), "confirmed": N_("已确认"), "declined": N_("已婉拒"), "lost": N_("已由其他组织承接"),
    "withdrawn": N_("需求已关闭"),
}


class Need(SQLModel, table=True):
    """A county's request for help: one field, what is wanted, how much, for whom, by when."""

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)  # who posted it
    field: str = Field(default="其他", max_length=8, index=True)  # 产业/就业/教育/健康/养老/消费/其他
    title: str = Field(default="", max_length=128)
    description: str = Field(default="", sa_type=Text)
    amount_wan: float | None = None  # amount sought, 万元
    households: int | None = None  # households to benefit
    people: int | None = None  # people to benefit
    wanted_by: date | None = None
    status: str = Field(default=NeedStatus.draft, max_length=16, index=True)
    close_reason: str = Field(default="", max_length=512)
    source: str = Field(default="chat", max_length=16)  # chat / import / web
    published_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class NeedClaim(SQLModel, table=True):
    """An organization's 接单 for a need; the county confirms one of them or declines with a reason."""

    __table_args__ = (UniqueConstraint("need_id", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    status: str = Field(default=ClaimStatus.pending, max_length=16, index=True)
    reason: str = Field(default="", max_length=512)
    decided_by: str = Field(default="", max_length=128)
    decided_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class Offer(SQLModel, table=True):
    """What an organization can give: a field, the provinces it works in (empty: anywhere), a capacity."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    field: str = Field(default="其他", max_length=8, index=True)
    description: str = Field(default="", sa_type=Text)
    provinces: list[str] = json_list()
    capacity_wan: float | None = None
    active: bool = Field(default=True, index=True)
    source: str = Field(default="chat", max_length=16)
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
