"""What waits for an administrator (每日待办): one builder for the scheduler's daily digest and
`pairbot review pending`, so both say the same thing.

A digest covers the admin's provinces (all of them for an admin without provinces):
- flagged updates waiting in the review queue, and how many arrived since the admin's last digest;
- counties with overdue items, by the review pages' rule (no agreement after the due date, or no
  update for 35 days; see models.services.ledger.coverage);
- contacts whose every chat account a platform refused (unreachable), and contacts who sent 退订;
- where to review: the review pages' address, and the chat word 登录 for a one-time sign-in link
  (a digest never carries a live login link).
A digest with none of these is empty, and the scheduler does not send it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.registry import ChannelIdentity, Contact, Role
from models.reminders import ObligationKind, ReminderSent
from models.reporting import ProgressUpdate, ReviewStatus
from models.services.broadcast import paused_contacts, unreachable_contacts
from models.services.ledger import STALE_AFTER, Coverage, CountyCoverage, Scope, coverage, scoped_updates
from bot.i18n import N_, _
from models.services.workcalendar import day_label
from models.services.registry import describe_scope, scoped_label, where

DIGEST_NAME = N_("每日待办")
LIST_LIMIT = 5  # names listed in one line before "等 N 个"


@dataclass(frozen=True)
class Person:
    name: str
    scope: str  # role and where, as describe_scope says it
    since: datetime | None  # paused at / unreachable since
    role: str = ""
    where: str | None = None  # registry.where: the scope as data, so the text can say it in any language

    def described(self) -> str:
        return _("{name}（{scope}）").format(name=self.name, scope=scoped_label(self.role, self.where)
                                            if self.role else self.scope)


@dataclass
class Digest:
    scope: Scope
    day: date
    review_url: str
    flagged: int = 0  # waiting in the review queue
    flagged_new: int | None = None  # of which arrived since the last digest (None: no earlier digest)
    overdue: list[CountyCoverage] = field(default_factory=list)  # counties with overdue items
    agreement_due: date | None = None
    unreachable: list[Person] = field(default_factory=list)
    paused: list[Person] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.flagged or self.overdue or self.unreachable or self.paused)

    def text(self) -> str:
        """The chat message in the locale in force (plain text: it also goes to WeCom, which has no formatting)."""
        provinces = self.scope.provinces
        place = _("全部省份") if provinces is None else _("、").join(provinces) or _("无")
        lines = [_("【{name}】{year}年{month}月{day}日 · {scope}").format(
            name=_(DIGEST_NAME), year=self.day.year, month=self.day.month, day=self.day.day, scope=place)]
        if self.flagged:
            new = _("（自上次摘要以来新增 {n} 条）").format(n=self.flagged_new) if self.flagged_new is not None else ""
            lines.append(_("· 待审核进展 {n} 条").format(n=self.flagged) + new)
        if self.overdue:
            several = provinces is None or len(provinces) > 1
            items = [_("{county}（{overdue}）").format(county=f"{c.province if several else ''}{c.name}",
                                                     overdue=_overdue_label(c)) for c in self.overdue]
            lines.append(_("· 有逾期事项的县 {n} 个：{items}").format(n=len(self.overdue), items=_listed(items)))
        if self.unreachable:
            lines.append(_("· 无法送达的联系人 {n} 位：{people}").format(
                n=len(self.unreachable), people=_listed(_people(self.unreachable))))
        if self.paused:
            lines.append(_("· 已退订提醒的联系人 {n} 位：{people}").format(
                n=len(self.paused), people=_listed(_people(self.paused))))
        if self.empty:
            lines.append(_("· 暂无待办事项。"))
        lines.append(_("审核页面：{url}（在与机器人的私聊中发送“登录”获取一次性登录链接）").format(url=f"{self.review_url}/queue"))
        return "\n".join(lines)

    def as_dict(self, zone: ZoneInfo) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.astimezone(zone).isoformat(timespec="minutes") if value else None

        return {
            "day": self.day.isoformat(), "provinces": list(self.scope.provinces or ()) or "all",
            "flagged": self.flagged, "flagged_new": self.flagged_new,
            "overdue_counties": [{"province": c.province, "county": c.name, "county_id": c.id,
                                  "agreement_overdue": c.agreement_overdue, "stale": c.stale} for c in self.overdue],
            "unreachable": [{"name": p.name, "scope": p.scope, "since": when(p.since)} for p in self.unreachable],
            "paused": [{"name": p.name, "scope": p.scope, "since": when(p.since)} for p in self.paused],
            "review_url": f"{self.review_url}/queue", "empty": self.empty,
        }


def _overdue_label(county: CountyCoverage) -> str:
    parts = []
    if county.agreement_overdue:
        parts.append(_("协议逾期 {n}").format(n=county.agreement_overdue))
    if county.stale:
        parts.append(_("{days} 天无进展 {n}").format(days=STALE_AFTER.days, n=county.stale))
    return _("，").join(parts)


def _people(people: list[Person]) -> list[str]:
    return [p.described() for p in people]


def _listed(items: list[str]) -> str:
    shown = _("、").join(items[:LIST_LIMIT])
    return _("{shown} 等 {n} 个").format(shown=shown, n=len(items)) if len(items) > LIST_LIMIT else shown


def build_digest(session: Session, scope: Scope, now: datetime, zone: ZoneInfo, *, review_url: str,
                 since: datetime | None = None, counties: Coverage | None = None) -> Digest:
    """What waits for an admin with `scope` at `now`; `since` is their last digest (for "新增"), `counties` the
    coverage of every province when the caller already has it (the scheduler builds it once per tick)."""
    digest = Digest(scope, now.astimezone(zone).date(), review_url.rstrip("/"))
    waiting = scoped_updates(select(func.count()), scope).where(
        ProgressUpdate.review_status == ReviewStatus.flagged, col(ProgressUpdate.withdrawn_at).is_(None))
    digest.flagged = session.execute(waiting).scalar_one()
    if since is not None and digest.flagged:
        digest.flagged_new = session.execute(waiting.where(ProgressUpdate.created_at > since)).scalar_one()
    counties = counties if counties is not None else coverage(session, scope, now, zone)
    digest.agreement_due = counties.agreement_due
    digest.overdue = [row for row in counties.rows if row.overdue and scope.allows(row.province)]
    provinces = scope.provinces or ()
    if scope.provinces != ():  # an admin with an empty scope sees no contacts
        digest.unreachable = [_person(session, c, _unreachable_since(session, c)) for c in
                              unreachable_contacts(session, provinces)]
        digest.paused = [_person(session, c, c.paused_at) for c in paused_contacts(session, provinces)]
    return digest


def _person(session: Session, contact: Contact, since: datetime | None) -> Person:
    role = Role(contact.role)
    return Person(contact.name, describe_scope(session, contact), since, role.value,
                  where(session, role, contact.county_id, contact.organization_id, contact.provinces))


def _unreachable_since(session: Session, contact: Contact) -> datetime | None:
    return session.execute(select(func.max(ChannelIdentity.unreachable_since))
                           .where(ChannelIdentity.contact_id == contact.id)).scalar_one()


def last_digest_at(session: Session, contact_id: int) -> datetime | None:
    """When the admin's latest digest was claimed (its "新增" counts from there)."""
    return session.execute(select(func.max(ReminderSent.created_at)).where(
        ReminderSent.obligation == ObligationKind.digest.value, ReminderSent.contact_id == contact_id)).scalar_one()
