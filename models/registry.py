"""Who takes part: counties, organizations, their contacts and the chat identities they use."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.i18n import N_, _
from models.base import UTCDateTime, created_at, json_list, timestamp


class Role(StrEnum):
    county = "county"
    organization = "organization"
    admin = "admin"

    @property
    def label(self) -> str:
        """县联络员 / 社会组织联络人 / 管理员 in the locale in force."""
        return _(ROLE_LABELS[self.value])


ROLE_LABELS = {"county": N_("县联络员"), "organization": N_("社会组织联络人"), "admin": N_("管理员")}


class County(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=6, unique=True, index=True)
    name: str = Field(max_length=64, index=True)
    prefecture: str = Field(default="", max_length=64)
    province: str = Field(max_length=32, index=True)
    level: str = Field(default="national", max_length=16)  # national / provincial key county
    created_at: datetime = created_at()


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True, index=True)
    credit_code: str = Field(max_length=18, unique=True, index=True)
    level: str = Field(default="", max_length=16)  # 全国性 / 东部省 / 省内 / 中部省
    kind: str = Field(default="", max_length=16)  # 社会团体 / 基金会 / 社会服务机构
    province: str = Field(default="", max_length=32)
    supervisor: str = Field(default="", max_length=128)
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class Contact(SQLModel, table=True):
    """A person; the scope says what they may report for or see."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    role: str = Field(max_length=16, index=True)
    county_id: int | None = Field(default=None, foreign_key="county.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    provinces: list[str] = json_list()  # admins: provinces they may see; empty means all
    phone: str = Field(default="", max_length=32)
    preferred_channel: str | None = Field(default=None, max_length=16)
    last_channel: str | None = Field(default=None, max_length=16)
    active: bool = True  # deactivated contacts get nothing and cannot report (pairbot contacts deactivate)
    locale: str | None = Field(default=None, max_length=8)  # 语言 English / 中文; None: the platform's or Chinese
    paused_at: datetime | None = timestamp()  # 退订: no reminders or notices except mandatory ones, until 恢复
    created_at: datetime = created_at()


class ChannelIdentity(SQLModel, table=True):
    """One chat account of a contact (a Telegram user id, a WeCom userid, a console name)."""

    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    unreachable_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at()


class Group(SQLModel, table=True):
    """A group chat the bot is in, tagged by an admin so broadcasts can target it."""

    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    title: str = Field(default="", max_length=128)
    province: str = Field(default="", max_length=32)
    kind: str = Field(default="", max_length=32)
    tags: list[str] = json_list()
    active: bool = True
    # A group robot registered with `pairbot groups add-robot`: its webhook URL or key (a secret,
    # never listed). Empty for Telegram groups, app chats and the robots of [wecom.webhooks].
    webhook: str = Field(default="", max_length=512)
    created_at: datetime = created_at()
