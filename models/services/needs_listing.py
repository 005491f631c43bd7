"""The 项目库 read side for the review pages: needs listed and filtered, one need in full, audit histories.

Every read takes a `Scope`: an admin limited to some provinces sees only the needs of counties in
those provinces, and a need outside them is `NotVisible` exactly like one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from bot.i18n import N_, _
from models.base import count_of, parse_id
from models.messaging import AuditLog
from models.pairing import Pairing, Project
from models.projects import NEED_STATUS_LABELS, ClaimStatus, Need, NeedClaim, NeedStatus
from models.registry import Contact, County, Organization
from models.services.ledger import Page, Scope, actor_labels
from models.services.matching import Candidate, rank
from models.services.needs import OPEN_NEED_STATUSES, claims_of, counts_by_status, visible_need
from models.services.parsing import FIELD_ORDER
from models.services.registry import contact_address

# The listing's age filter: days → label. Labels here are Chinese, marked for the catalog: `_()` where shown.
AGES = {30: N_("发布超过 30 天未认领"), 90: N_("发布超过 90 天未认领")}
RANKED = (NeedStatus.draft, *OPEN_NEED_STATUSES)  # needs still looking for an organization show their ranking
ACTIVE_CLAIMS = (ClaimStatus.pending, ClaimStatus.confirmed)  # the 认领组织 of a need
ACTIONS = {
    "need.create": N_("登记需求"), "need.edit": N_("修改草稿"), "need.withdraw": N_("撤回草稿"), "need.publish": N_("发布"),
    "need.close": N_("关闭"), "need.claim": N_("接单"), "need.claim_unreachable": N_("接单通知未送达县联络员"),
    "need.confirm": N_("县确认承接"), "need.decline": N_("县婉拒接单"), "need.push": N_("推送给社会组织"),
    "need.project_done": N_("项目已完成"), "need.project_closed": N_("项目已关闭"),
    "project.done": N_("标记已完成"), "project.closed": N_("关闭项目"),
}
SOURCES = {"chat": N_("聊天"), "import": N_("导入"), "web": N_("审核页面")}
SYSTEM_ACTORS = {"cli": N_("命令行"), "pairbot": N_("系统"), "import": N_("导入")}


def _label(table: dict[str, str], key: str) -> str:
    """A key's label from one of the tables above, in the locale in force; unknown keys as written."""
    return _(table[key]) if key in table else key


# --- the list ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NeedFilter:
    """The listing's filters; values that are not one of the known choices are ignored, never an error."""

    province: str = ""
    county_id: int | None = None
    field: str = ""
    status: str = ""
    age_days: int | None = None  # published at least this many days ago and still 已发布 (nobody took it on)

    @classmethod
    def parse(cls, params: Any) -> NeedFilter:
        """From query parameters (a mapping of strings)."""
        county, age = parse_id(params.get("county")), parse_id(params.get("age"))
        field, status = params.get("field", ""), params.get("status", "")
        return cls(str(params.get("province", "")), county, field if field in FIELD_ORDER else "",
                   status if status in NEED_STATUS_LABELS else "", age if age in AGES else None)

    def where(self, now: datetime, *, with_status: bool = True) -> list[ColumnElement[bool]]:
        """Conditions on Need (joined to County); with_status=False leaves status and age out (for the counts)."""
        found: list[ColumnElement[bool]] = []
        if self.county_id is not None:
            found.append(col(Need.county_id) == self.county_id)
        if self.field:
            found.append(col(Need.field) == self.field)
        if with_status and self.status:
            found.append(col(Need.status) == self.status)
        if with_status and self.age_days is not None:
            found += [col(Need.status) == NeedStatus.published,
                      col(Need.published_at) <= now - timedelta(days=self.age_days)]
        return found

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (for links that keep them), with some changed or cleared."""
        values = {"province": self.province, "county": self.county_id, "field": self.field, "status": self.status,
                  "age": self.age_days} | changes
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


@dataclass
class NeedRow:
    need: Need
    county: County
    organizations: list[str]  # of the pending and confirmed claims
    project_id: int | None


def need_page(session: Session, scope: Scope, filters: NeedFilter, now: datetime, page: int = 1,
              per_page: int = 50) -> Page:
    """Needs in scope under the filters, newest first, with their county, claiming organizations and project."""
    scope = scope.narrowed(filters.province)
    base = select(Need, County).join(County, col(County.id) == Need.county_id).where(
        scope.county_filter(), *filters.where(now))
    total = session.execute(count_of(base)).scalar_one()
    result = session.exec(base.order_by(col(Need.id).desc()).offset((max(1, page) - 1) * per_page)
                          .limit(per_page)).all()
    ids = [need.id for need, _county in result]
    organizations: dict[int, list[str]] = defaultdict(list)
    for need_id, name in session.exec(select(NeedClaim.need_id, Organization.name)
                                      .join(Organization, col(Organization.id) == NeedClaim.organization_id)
                                      .where(col(NeedClaim.need_id).in_(ids),
                                             col(NeedClaim.status).in_(ACTIVE_CLAIMS))
                                      .order_by(col(NeedClaim.id))).all():
        organizations[need_id].append(name)
    projects = dict(session.exec(select(Project.need_id, Project.id).where(col(Project.need_id).in_(ids))).all())
    rows = [NeedRow(need, county, organizations.get(need.id, []), projects.get(need.id))  # type: ignore[arg-type]
            for need, county in result]
    return Page(rows, int(total), max(1, page), per_page)


def need_counts(session: Session, scope: Scope, filters: NeedFilter, now: datetime) -> dict[str, int]:
    """How many needs of each status match the filters other than status and age (the listing's tabs)."""
    return counts_by_status(session, scope.narrowed(filters.province), *filters.where(now, with_status=False))


def counties_with_needs(session: Session, scope: Scope, province: str = "") -> list[County]:
    """The counties in scope (and province) that have needs: the county filter's choices."""
    scope = scope.narrowed(province)
    return list(session.exec(select(County).where(scope.county_filter(),
                                                  col(County.id).in_(select(Need.county_id)))
                             .order_by(col(County.code))).all())


def needs_of_county(session: Session, county_id: int) -> list[Need]:
    """A county's needs, newest first, withdrawn drafts left out (the county page; its scope is checked there)."""
    return list(session.exec(select(Need).where(Need.county_id == county_id, Need.status != NeedStatus.withdrawn)
                             .order_by(col(Need.id).desc())).all())


# --- one need ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    action: str
    note: str


@dataclass
class ClaimRow:
    claim: NeedClaim
    organization: str
    pairing_id: int | None  # when the organization is (now) paired with the need's county


@dataclass
class NeedDetail:
    need: Need
    county: County
    author: str
    claims: list[ClaimRow]
    history: list[HistoryRow]
    ranking: list[Candidate]
    project: Project | None

    @property
    def source(self) -> str:
        return _label(SOURCES, self.need.source)


def need_detail(session: Session, scope: Scope, need_id: int) -> NeedDetail:
    """Everything the need's page shows; NotVisible for an absent need or one outside the scope."""
    need = visible_need(session, scope, need_id)
    county = session.get(County, need.county_id)
    author = session.get(Contact, need.contact_id) if need.contact_id else None
    claims = claims_of(session, need.id)  # type: ignore[arg-type]
    names = dict(session.exec(select(Organization.id, Organization.name).where(
        col(Organization.id).in_([c.organization_id for c in claims]))).all())
    pairings = dict(session.exec(select(Pairing.organization_id, Pairing.id).where(
        Pairing.county_id == need.county_id, col(Pairing.organization_id).in_(list(names)))).all())
    project = session.exec(select(Project).where(Project.need_id == need.id)).first()
    return NeedDetail(
        need, county, author.name if author else "",  # type: ignore[arg-type]
        [ClaimRow(c, names.get(c.organization_id, str(c.organization_id)), pairings.get(c.organization_id))
         for c in claims],
        history_rows(session, [f"need:{need.id}"]),
        rank(session, need) if need.status in RANKED else [], project)


def channels_of(session: Session, contacts: list[Contact]) -> dict[int, str]:
    """Contact id → the channel a notice to them would take ("" when none is reachable): the push preview."""
    found = {}
    for contact in contacts:
        address = contact_address(session, contact)
        found[contact.id] = address[0] if address else ""
    return found  # type: ignore[return-value]


def history_rows(session: Session, targets: list[str]) -> list[HistoryRow]:
    """The audit rows of these targets (need:N, project:N), oldest first, with who and what in the locale in force."""
    entries = session.exec(select(AuditLog).where(col(AuditLog.target).in_(targets))
                           .order_by(col(AuditLog.at), col(AuditLog.id))).all()
    names = actor_labels(session, {e.actor for e in entries})
    return [HistoryRow(e.at, names.get(e.actor) or _label(SYSTEM_ACTORS, e.actor),
                       _label(ACTIONS, e.action), _note(e.action, e.details or {})) for e in entries]


def _note(action: str, details: dict[str, Any]) -> str:
    """A few words from an audit row's details; only known keys, so nothing internal leaks onto the page."""
    parts = []
    if details.get("reason"):
        note = _("说明：{text}") if action.endswith("done") else _("原因：{text}")
        parts.append(note.format(text=details["reason"]))
    if "organizations" in details and "reached" in details:
        parts.append(_("推送 {organizations} 家组织，送达 {reached} 人").format(
            organizations=details["organizations"], reached=details["reached"]))
    if details.get("project"):
        parts.append(_("项目 #{id}").format(id=details["project"]))
    if details.get("claim"):
        parts.append(_("接单 #{id}").format(id=details["claim"]))
    if details.get("source"):
        parts.append(_("来源：{source}").format(source=_label(SOURCES, details["source"])))
    return _("；").join(parts)
