"""The ledger (台账) read side: coverage of the key counties, timelines, totals, broadcast status.

Every query takes a `Scope`: an admin limited to some provinces sees only the counties, pairings,
updates, organizations and deliveries of those provinces — on the pages, in totals and in exports.

An update belongs to the county of its pairing, or, before a pairing is chosen, to its sender's
county. Every figure (totals, pairing sums, the monthly chart, the 统计表) is read from
models.services.sums, which applies running totals and counts only updates that are neither
withdrawn nor rejected nor still flagged: a flagged update enters the ledger when a reviewer
accepts or corrects it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (ColumnElement, Select, and_, distinct, false, func, or_, true,
                        union_all)
from sqlmodel import Session, col, select

from bot.i18n import N_, _, matched_message
from bot.messages import channel_label
from models.messaging import Broadcast, Delivery, DeliveryStatus
from models.pairing import AGREEMENT_DUE, Agreement, Pairing, PairingStatus, PairingStatusChange, Project
from models.registry import Contact, County, Group, Organization
from models.reporting import Attachment, ProgressEdit, ProgressUpdate, ReviewStatus
from models.services.agreements import has_current_agreement
from models.services.parsing import FIELD_ORDER
from models.services.sums import Figures, ShowsFigures, figures_by

STALE_AFTER = timedelta(days=35)  # an active pairing with no update for this long is overdue
COUNTED = (ReviewStatus.received, ReviewStatus.accepted)
UNKNOWN_PROVINCE = N_("（未确定县）")  # a row key; shown with _()


@dataclass(frozen=True)
class Scope:
    """The provinces an admin may see; None means all of them (an empty tuple means none)."""

    provinces: tuple[str, ...] | None = None

    @classmethod
    def of(cls, contact: Contact) -> Scope:
        return cls(tuple(contact.provinces) if contact.provinces else None)

    def narrowed(self, province: str | None) -> Scope:
        """This scope limited to one province (a page filter); outside the scope that is nothing."""
        if not province:
            return self
        if self.provinces is None or province in self.provinces:
            return Scope((province,))
        return Scope(())

    def allows(self, province: str | None) -> bool:
        return self.provinces is None or province in self.provinces

    def county_filter(self) -> ColumnElement[bool]:
        if self.provinces is None:
            return true()
        return col(County.province).in_(self.provinces) if self.provinces else false()

    @property
    def label(self) -> str:
        return _("全部省份") if self.provinces is None else _("、").join(self.provinces) or _("无")


class NotVisible(LookupError):
    """The row does not exist or lies outside the admin's provinces (shown as 404 alike)."""


# --- how updates relate to counties and organizations -------------------------------------------

def update_county_id() -> ColumnElement[int]:
    return func.coalesce(Pairing.county_id, Contact.county_id)


def update_org_id() -> ColumnElement[int]:
    return func.coalesce(Pairing.organization_id, Contact.organization_id)


def updates_joined(query: Select[Any]) -> Select[Any]:
    """Join an update query to its pairing, sender and county (outer where they may be missing)."""
    return (query.select_from(ProgressUpdate)
            .join(Contact, Contact.id == ProgressUpdate.contact_id)
            .outerjoin(Pairing, Pairing.id == ProgressUpdate.pairing_id)
            .outerjoin(County, County.id == update_county_id()))


def counted(status_index: bool = True) -> ColumnElement[bool]:
    """Updates that enter the ledger. With status_index=False the status is tested as an expression, so
    SQLite keeps to a pairing index instead of the review_status index (which nearly every row matches)."""
    status = col(ProgressUpdate.review_status) if status_index else col(ProgressUpdate.review_status) + ""
    return and_(col(ProgressUpdate.withdrawn_at).is_(None), status.in_(COUNTED))


def in_counties(county_ids: Any) -> ColumnElement[bool]:
    """Updates of these counties (a list or a SELECT of county ids), tested per row without a join:
    filed under one of their pairings, or unfiled and sent by one of their contacts. Cheap beside
    another selective condition or in a full pass (the scope of every query)."""
    pairings = select(Pairing.id).where(col(Pairing.county_id).in_(county_ids))
    senders = select(Contact.id).where(col(Contact.county_id).in_(county_ids))
    return or_(col(ProgressUpdate.pairing_id).in_(pairings),
               and_(col(ProgressUpdate.pairing_id).is_(None), col(ProgressUpdate.contact_id).in_(senders)))


def of_county(county_id: int) -> ColumnElement[bool]:
    """The same set for one county, driven by the indexes: `id IN (filed UNION ALL unfiled)`, so each
    branch uses its own index (PostgreSQL cannot use an index for an OR of two IN-subqueries)."""
    filed = select(ProgressUpdate.id).where(col(ProgressUpdate.pairing_id).in_(
        select(Pairing.id).where(Pairing.county_id == county_id)))
    unfiled = select(ProgressUpdate.id).where(col(ProgressUpdate.pairing_id).is_(None), col(ProgressUpdate.contact_id)
                                              .in_(select(Contact.id).where(Contact.county_id == county_id)))
    return col(ProgressUpdate.id).in_(union_all(filed, unfiled))


def update_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.provinces is None:
        return true()
    return in_counties(select(County.id).where(scope.county_filter()))


def visible_updates(query: Select[Any], scope: Scope) -> Select[Any]:
    """An update query joined to pairing, sender and county (for their names), limited to the scope."""
    return updates_joined(query).where(update_scope(scope))


def scoped_updates(query: Select[Any], scope: Scope) -> Select[Any]:
    """An update query limited to the scope with no join: for aggregates over many rows."""
    return query.select_from(ProgressUpdate).where(update_scope(scope))


def visible_organization_ids(scope: Scope) -> Select[Any]:
    """Organizations paired with a county in scope (for a scoped admin); every one otherwise."""
    if scope.provinces is None:
        return select(Organization.id)
    return (select(Pairing.organization_id).join(County, County.id == Pairing.county_id)
            .where(scope.county_filter()))


def visible_deliveries(scope: Scope) -> ColumnElement[bool]:
    """Deliveries to contacts of counties or organizations in scope, or to groups tagged with such a province."""
    if scope.provinces is None:
        return true()
    county_ids = select(County.id).where(scope.county_filter())
    contacts = select(Contact.id).where(or_(col(Contact.county_id).in_(county_ids),
                                            col(Contact.organization_id).in_(visible_organization_ids(scope))))
    groups = select(Group.id).where(col(Group.province).in_(scope.provinces or ("",)))
    return or_(col(Delivery.contact_id).in_(contacts), col(Delivery.group_id).in_(groups))


# --- the coverage matrix ------------------------------------------------------------------------

@dataclass
class CountyCoverage:
    id: int
    code: str
    name: str
    prefecture: str
    province: str
    active: int = 0  # active pairings
    signed: int = 0  # of which with an agreement
    organizations: list[str] = field(default_factory=list)
    last_update: datetime | None = None
    agreement_overdue: int = 0  # active pairings without agreement after the due date
    stale: int = 0  # active pairings with no update in STALE_AFTER
    grouped: bool = False  # an active pairing belongs to a 组团
    one_to_many: bool = False  # its only organization also helps other counties

    @property
    def kind(self) -> str:
        """一对一 / 一对多 / 多对一 / 组团式: how the county is paired ('' when it is not)."""
        if not self.active:
            return ""
        if self.grouped:
            return _("组团式")
        return _("多对一") if self.active > 1 else _("一对多") if self.one_to_many else _("一对一")

    @property
    def overdue(self) -> bool:
        return bool(self.agreement_overdue or self.stale)


@dataclass
class Coverage:
    rows: list[CountyCoverage]
    agreement_due: date

    @property
    def paired(self) -> int:
        return sum(1 for r in self.rows if r.active)

    @property
    def fully_signed(self) -> int:
        return sum(1 for r in self.rows if r.active and r.signed == r.active)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def latest_update_at() -> Any:
    """The newest live update of the pairing in the outer query (one probe of the partial index)."""
    return (select(ProgressUpdate.created_at)
            .where(ProgressUpdate.pairing_id == Pairing.id, col(ProgressUpdate.withdrawn_at).is_(None))
            .order_by(col(ProgressUpdate.created_at).desc()).limit(1)
            .correlate(Pairing).scalar_subquery())


def coverage(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> Coverage:
    """One row per key county in scope: pairings, agreements, the latest update and what is overdue."""
    today = now.astimezone(zone).date()
    due = date(today.year, *AGREEMENT_DUE)
    counties = session.exec(select(County).where(scope.county_filter()).order_by(County.code)).all()
    rows = {c.id: CountyCoverage(c.id, c.code, c.name, c.prefecture, c.province) for c in counties}  # type: ignore[misc]
    signed = has_current_agreement(Pairing.id, due.year)  # this season's agreement, not an older one
    pairings = session.execute(
        select(Pairing.county_id, Pairing.status, Pairing.created_at, Organization.name, latest_update_at(), signed,
               Pairing.organization_id, Pairing.group_id)
        .join(County, County.id == Pairing.county_id).join(Organization, Organization.id == Pairing.organization_id)
        .where(scope.county_filter()).order_by(Pairing.id)
    ).all()
    helping = dict(session.execute(select(Pairing.organization_id, func.count()).where(
        Pairing.status == PairingStatus.active).group_by(Pairing.organization_id)).all())
    for county_id, status, created, org_name, last, has_agreement, org_id, group_id in pairings:
        row = rows[county_id]
        if last is not None and (row.last_update is None or last > row.last_update):
            row.last_update = last
        if status != PairingStatus.active:
            continue
        row.active += 1
        row.organizations.append(org_name)
        row.grouped |= group_id is not None
        row.one_to_many |= helping.get(org_id, 0) > 1
        row.signed += bool(has_agreement)
        if not has_agreement and today > due:
            row.agreement_overdue += 1
        if (last or created) < now - STALE_AFTER:
            row.stale += 1
    unfiled = session.execute(  # sent by a county contact before choosing which pairing it is for
        select(Contact.county_id, func.max(ProgressUpdate.created_at))
        .join(Contact, Contact.id == ProgressUpdate.contact_id).join(County, County.id == Contact.county_id)
        .where(col(ProgressUpdate.pairing_id).is_(None), col(ProgressUpdate.withdrawn_at).is_(None),
               scope.county_filter())
        .group_by(Contact.county_id)
    ).all()
    for county_id, last in unfiled:
        row = rows[county_id]
        if last is not None and (row.last_update is None or last > row.last_update):
            row.last_update = last
    return Coverage(list(rows.values()), due)


KEY_COUNTIES = 160  # 国家乡村振兴重点帮扶县: the full reference list; models/data/key_counties.csv holds fewer so far


def known_counties(session: Session) -> int:
    """How many key counties the reference list holds (the matrix says so while it is short of KEY_COUNTIES)."""
    return session.execute(select(func.count()).select_from(County)).scalar_one()


def provinces_in(session: Session, scope: Scope) -> list[str]:
    """Provinces of the key counties in scope, in administrative-code order (for filters)."""
    rows = session.execute(
        select(County.province, func.min(County.code)).where(scope.county_filter())
        .group_by(County.province).order_by(func.min(County.code))
    ).all()
    return [province for province, _ in rows]


# --- counties, pairings, updates ----------------------------------------------------------------

@dataclass
class PairingSummary(ShowsFigures):
    pairing: Pairing
    organization: Organization
    county: County
    agreements: list[Agreement]  # the current version for each season
    last_update: datetime | None
    figures: Figures


def visible_county(session: Session, scope: Scope, county_id: int) -> County:
    county = session.get(County, county_id)
    if county is None or not scope.allows(county.province):
        raise NotVisible(county_id)
    return county


def pairings_of_county(session: Session, scope: Scope, county_id: int) -> list[PairingSummary]:
    visible_county(session, scope, county_id)
    return _pairing_summaries(session, select(Pairing).where(Pairing.county_id == county_id))


@dataclass
class CountyFigures:
    """The county page's sums beside its pairings: the updates its contacts filed under no pairing (未指定结对)
    and the county as a whole, which `pairbot ledger totals`, /review/totals and the 统计表 count alike."""

    unfiled: Figures
    unfiled_last: datetime | None  # the newest counted unfiled update
    total: Figures


def county_figures(session: Session, scope: Scope, county_id: int) -> CountyFigures:
    """Read through `figures_by`, as every other total is, so the page's 合计 is the ledger's."""
    visible_county(session, scope, county_id)
    by_pairing = figures_by(session, scope, "pairing", county_id=county_id)  # None: every unfiled account
    last = session.execute(
        select(func.max(ProgressUpdate.created_at)).join(Contact, Contact.id == ProgressUpdate.contact_id)
        .where(col(ProgressUpdate.pairing_id).is_(None), Contact.county_id == county_id, counted())
    ).scalar_one()
    return CountyFigures(by_pairing.get(None, Figures()), last,
                         figures_by(session, scope, "all", county_id=county_id)[None])


def visible_pairing(session: Session, scope: Scope, pairing_id: int) -> PairingSummary:
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotVisible(pairing_id)
    visible_county(session, scope, pairing.county_id)
    return _pairing_summaries(session, select(Pairing).where(Pairing.id == pairing_id))[0]


def _pairing_summaries(session: Session, query: Any) -> list[PairingSummary]:
    pairings = session.exec(query.order_by(Pairing.id)).all()
    ids = [p.id for p in pairings]
    agreements: dict[int, list[Agreement]] = {}
    for agreement in session.exec(select(Agreement).where(col(Agreement.pairing_id).in_(ids),
                                                          col(Agreement.superseded_by_id).is_(None))
                                  .order_by(Agreement.season, Agreement.signed_on)).all():
        agreements.setdefault(agreement.pairing_id, []).append(agreement)
    last_of = dict(session.execute(
        select(ProgressUpdate.pairing_id, func.max(ProgressUpdate.created_at))
        .where(col(ProgressUpdate.pairing_id).in_(ids), counted(status_index=False))
        .group_by(ProgressUpdate.pairing_id)
    ).all())
    sums = figures_by(session, Scope(), "pairing", pairing_ids=ids)  # type: ignore[arg-type]
    out = []
    for pairing in pairings:
        figures = sums.get(pairing.id, Figures())
        out.append(PairingSummary(
            pairing, session.get(Organization, pairing.organization_id),  # type: ignore[arg-type]
            session.get(County, pairing.county_id), agreements.get(pairing.id, []),  # type: ignore[arg-type]
            last_of.get(pairing.id), figures,
        ))
    return out


def pairing_history(session: Session, pairing_id: int) -> Sequence[PairingStatusChange]:
    return session.exec(select(PairingStatusChange).where(PairingStatusChange.pairing_id == pairing_id)
                        .order_by(PairingStatusChange.changed_at, PairingStatusChange.id)).all()


def projects_of(session: Session, pairing_id: int) -> Sequence[Project]:
    return session.exec(select(Project).where(Project.pairing_id == pairing_id).order_by(Project.id)).all()


@dataclass
class UpdateRow:
    update: ProgressUpdate
    contact_name: str
    province: str | None
    county_name: str | None
    county_id: int | None
    organization_name: str | None
    attachments: int = 0
    edits: list[ProgressEdit] = field(default_factory=list)
    actors: dict[str, str] = field(default_factory=dict)  # edit actor → "name (how)" for display


@dataclass
class Page:
    """One page of a long list (updates here; needs and projects in the 项目库 listings)."""

    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _update_rows_query(scope: Scope) -> Select[Any]:
    org = Organization.__table__.alias("update_org")  # type: ignore[attr-defined]
    query = select(ProgressUpdate, Contact.name, County.province, County.name, County.id, org.c.name)
    return visible_updates(query, scope).outerjoin(org, org.c.id == update_org_id())


def update_page(
    session: Session, scope: Scope, *, county_id: int | None = None, pairing_id: int | None = None,
    project_id: int | None = None, flagged_only: bool = False, page: int = 1, per_page: int = 50,
) -> Page:
    """Updates newest first, with sender, county and organization, their edit history and attachment count."""
    conditions: list[ColumnElement[bool]] = []
    if pairing_id is not None:
        conditions.append(ProgressUpdate.pairing_id == pairing_id)
    if project_id is not None:
        conditions.append(ProgressUpdate.project_id == project_id)
    if county_id is not None:
        conditions.append(of_county(county_id))
    if flagged_only:
        conditions += [ProgressUpdate.review_status == ReviewStatus.flagged, col(ProgressUpdate.withdrawn_at).is_(None)]
    total = session.execute(scoped_updates(select(func.count()), scope).where(*conditions)).scalar_one()
    page = max(1, page)
    order = col(ProgressUpdate.id).asc() if flagged_only else col(ProgressUpdate.created_at).desc()
    result = session.execute(_update_rows_query(scope).where(*conditions).order_by(order, col(ProgressUpdate.id).desc())
                             .offset((page - 1) * per_page).limit(per_page)).all()
    rows = [UpdateRow(u, name, province, county, cid, org) for u, name, province, county, cid, org in result]
    _attach_details(session, rows)
    return Page(rows, total, page, per_page)


def visible_update(session: Session, scope: Scope, update_id: int) -> UpdateRow:
    result = session.execute(_update_rows_query(scope).where(ProgressUpdate.id == update_id)).first()
    if result is None:
        raise NotVisible(update_id)
    row = UpdateRow(*result)
    _attach_details(session, [row])
    return row


def _attach_details(session: Session, rows: list[UpdateRow]) -> None:
    by_id = {r.update.id: r for r in rows}
    if not by_id:
        return
    for edit in session.exec(select(ProgressEdit).where(col(ProgressEdit.update_id).in_(list(by_id)))
                             .order_by(ProgressEdit.edited_at, ProgressEdit.id)).all():
        by_id[edit.update_id].edits.append(edit)
    for update_id, n in session.execute(
        select(Attachment.update_id, func.count()).where(col(Attachment.update_id).in_(list(by_id)))
        .group_by(Attachment.update_id)
    ).all():
        by_id[update_id].attachments = n
    _name_actors(session, rows)


_ACTOR = re.compile(r"^contact:(\d+)(.*)$")


def _name_actors(session: Session, rows: list[UpdateRow]) -> None:
    labels = actor_labels(session, {e.actor for r in rows for e in r.edits})
    for row in rows:
        row.actors = labels


def actor_labels(session: Session, actors: set[str], bare_names: bool = False) -> dict[str, str]:
    """"contact:7 via web" → "王主任（审核页面）", so a history says who, not which row (others stay as written);
    with bare_names a bare "contact:7" (not saying how) is just the name."""
    ids = {int(m.group(1)) for a in actors if (m := _ACTOR.match(a))}
    names = dict(session.execute(select(Contact.id, Contact.name).where(col(Contact.id).in_(ids))).all()) if ids else {}
    labels = {}
    for actor in actors:
        match = _ACTOR.match(actor)
        if match and int(match.group(1)) in names:
            name = names[int(match.group(1))]
            if bare_names and not match.group(2):
                labels[actor] = name
            elif "via web" in match.group(2):
                labels[actor] = _("{name}（审核页面）").format(name=name)
            else:
                labels[actor] = _("{name}（聊天）").format(name=name)
    return labels


# --- broadcasts and acknowledgements ----------------------------------------------------------

@dataclass
class BroadcastStatus:
    broadcast: Broadcast
    by_status: dict[str, int]  # delivery statuses, and UNREACHABLE: contacts with no chat account to send to
    acknowledged: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


UNREACHABLE = "unreachable"  # a recipient the notice could not be queued for (no usable chat account)


def _unreachable_in_scope(session: Session, scope: Scope, broadcasts: Sequence[Broadcast]) -> dict[int, list[int]]:
    """Per broadcast, the contacts it could not reach (Broadcast.unreachable) that the admin may see."""
    wanted = {cid for b in broadcasts for cid in b.unreachable}
    if not wanted:
        return {}
    query = select(Contact.id).where(col(Contact.id).in_(wanted))
    if scope.provinces is not None:
        county_ids = select(County.id).where(scope.county_filter())
        query = query.where(or_(col(Contact.county_id).in_(county_ids),
                                col(Contact.organization_id).in_(visible_organization_ids(scope))))
    visible = set(session.exec(query).all())
    return {b.id: [cid for cid in b.unreachable if cid in visible] for b in broadcasts}  # type: ignore[misc]


def broadcast_statuses(session: Session, scope: Scope, limit: int = 100) -> list[BroadcastStatus]:
    """The latest broadcasts with their deliveries in scope counted by status, and how many were acknowledged."""
    counts = session.execute(
        select(Delivery.broadcast_id, Delivery.status, func.count(), func.count(Delivery.acknowledged_at))
        .where(col(Delivery.broadcast_id).is_not(None), visible_deliveries(scope))
        .group_by(Delivery.broadcast_id, Delivery.status)
    ).all()
    stats: dict[int, tuple[dict[str, int], int]] = {}
    for broadcast_id, status, n, acked in counts:
        by_status, total_acked = stats.setdefault(broadcast_id, ({}, 0))
        by_status[status] = n
        stats[broadcast_id] = (by_status, total_acked + acked)
    recent = session.exec(select(Broadcast).where(Broadcast.status != "draft")
                          .order_by(col(Broadcast.id).desc()).limit(limit)).all()
    for broadcast_id, contacts in _unreachable_in_scope(session, scope, recent).items():
        if contacts:
            by_status, total_acked = stats.setdefault(broadcast_id, ({}, 0))
            by_status[UNREACHABLE] = len(contacts)
    ids = sorted(stats, reverse=True)[:limit]
    broadcasts = {b.id: b for b in session.exec(select(Broadcast).where(col(Broadcast.id).in_(ids))).all()}
    return [BroadcastStatus(broadcasts[i], *stats[i]) for i in ids if i in broadcasts]


@dataclass
class DeliveryRow:
    """One recipient of a notice and where it stands: a delivery, or a contact it could not be sent to."""

    recipient: str
    status: str  # a DeliveryStatus, or UNREACHABLE
    channel: str = ""
    sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    error: str = ""


def broadcast_deliveries(session: Session, scope: Scope, broadcast_id: int) -> tuple[Broadcast, list[DeliveryRow]]:
    """Every recipient in scope, as `pairbot broadcast status` counts them: the deliveries (acknowledged first)
    and the contacts with no usable chat account when it was sent (never queued, so no delivery row)."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotVisible(broadcast_id)
    result = session.execute(
        select(Delivery, Contact.name, Group.title)
        .outerjoin(Contact, Contact.id == Delivery.contact_id).outerjoin(Group, Group.id == Delivery.group_id)
        .where(Delivery.broadcast_id == broadcast_id, visible_deliveries(scope))
        .order_by(col(Delivery.acknowledged_at).is_(None), Delivery.id)
    ).all()
    rows = [DeliveryRow(name or (_("群：{title}").format(title=title) if title is not None else d.chat_id), d.status,
                        d.channel, d.sent_at, d.acknowledged_at, d.last_error) for d, name, title in result]
    unreachable = _unreachable_in_scope(session, scope, [broadcast]).get(broadcast_id, [])
    names = dict(session.execute(select(Contact.id, Contact.name).where(col(Contact.id).in_(unreachable))).all())
    rows += [DeliveryRow(names.get(cid, _("联系人 {id}").format(id=cid)), UNREACHABLE, error=NO_CHAT_ACCOUNT)
             for cid in unreachable]
    if not rows and scope.provinces is not None:
        raise NotVisible(broadcast_id)
    return broadcast, rows


NO_CHAT_ACCOUNT = N_("没有可用的聊天账号")


# --- totals: where, for whom, how much, with what effect --------------------------------------

@dataclass
class Totals(ShowsFigures):
    province: str
    counties: int = 0  # key counties
    paired_counties: int = 0  # with an active pairing
    organizations: int = 0  # distinct organizations in active pairings
    active_pairings: int = 0
    agreements: int = 0  # current agreements (any season) of active pairings
    agreed_wan: float = 0.0
    figures: Figures = field(default_factory=Figures)

    def add(self, other: Totals) -> None:
        for name in ("counties", "paired_counties", "active_pairings", "agreements", "agreed_wan"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.agreed_wan = round(self.agreed_wan, 4)
        self.figures.add(other.figures)


def totals(session: Session, scope: Scope, year: int | None = None) -> tuple[list[Totals], Totals]:
    """Per province and overall (of one calendar year, or of all time). Organizations are counted once
    overall even when active in several provinces."""
    by: dict[str, Totals] = {}

    def row(province: str | None) -> Totals:
        key = province or UNKNOWN_PROVINCE
        return by.setdefault(key, Totals(key))

    for province, n in session.execute(
        select(County.province, func.count()).where(scope.county_filter()).group_by(County.province)
    ).all():
        row(province).counties = n
    active = and_(Pairing.status == PairingStatus.active, scope.county_filter())
    for province, counties, orgs, pairings in session.execute(
        select(County.province, func.count(distinct(Pairing.county_id)), func.count(distinct(Pairing.organization_id)),
               func.count()).join(County, County.id == Pairing.county_id).where(active).group_by(County.province)
    ).all():
        r = row(province)
        r.paired_counties, r.organizations, r.active_pairings = counties, orgs, pairings
    current = col(Agreement.superseded_by_id).is_(None)
    if year is not None:
        current = and_(current, Agreement.season == year)
    for province, n, amount in session.execute(
        select(County.province, func.count(), func.sum(Agreement.amount_wan))
        .join(Pairing, Pairing.id == Agreement.pairing_id).join(County, County.id == Pairing.county_id)
        .where(active, current).group_by(County.province)
    ).all():
        row(province).agreements, row(province).agreed_wan = n, round(float(amount or 0), 4)
    for province, figures in figures_by(session, scope, "province", year=year, with_fields=True).items():
        row(province).figures = figures
    order = {name: i for i, name in enumerate(provinces_in(session, scope))}
    rows = sorted(by.values(), key=lambda t: (t.province == UNKNOWN_PROVINCE, order.get(t.province, len(order)),
                                               t.province))
    overall = Totals(N_("合计"))  # shown with _()
    for r in rows:
        overall.add(r)
    overall.organizations = session.execute(
        select(func.count(distinct(Pairing.organization_id))).join(County, County.id == Pairing.county_id).where(active)
    ).scalar_one()
    return rows, overall


@dataclass
class MonthPoint:
    month: str  # YYYY-MM, local time
    funds_wan: float
    households: int
    cumulative_funds_wan: float = 0.0
    cumulative_households: int = 0


def monthly_series(session: Session, scope: Scope) -> list[MonthPoint]:
    """Funds and households by ledger month, with running totals (the chart on the totals page)."""
    by_month = {label: (f.funds_wan, f.households) for label, f in figures_by(session, scope, "month").items()}
    points, funds, households = [], 0.0, 0
    for label in _months_between(min(by_month), max(by_month)) if by_month else []:
        f, h = by_month.get(label, (0.0, 0))
        funds = round(funds + f, 4)
        households += h
        points.append(MonthPoint(label, f, h, funds, households))
    return points


def _months_between(first: str, last: str) -> list[str]:
    """Every YYYY-MM from first to last, so months without updates keep their place on the chart."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# --- the year-end statistics table (统计表) -----------------------------------------------------

UNFILED = N_("未指定结对")  # shown with _()


@dataclass
class YearRow:
    province: str
    county: str
    organization: str
    credit_code: str
    agreed_wan: float | None  # the season's current agreement; None when none is recorded
    funds_wan: float
    sales_wan: float
    households: int
    people: int
    projects: int
    fields: list[str]
    committed_wan: float = 0.0


def year_statistics(session: Session, scope: Scope, year: int) -> Iterable[YearRow]:
    """One row per pairing in scope (with its season-`year` agreement) and one 未指定结对 row per county and
    organization whose updates of the year name no pairing; figures from the ledger's months of that year."""
    accounts = figures_by(session, scope, "account", year=year, with_fields=True)
    rows: dict[tuple[int | None, int | None, bool], Figures] = {}
    for (pairing_id, _sender, county_id, org_id), figures in accounts.items():
        rows.setdefault((county_id, org_id, pairing_id is None), Figures()).add(figures)
    pairings = session.execute(
        select(Pairing.county_id, Pairing.organization_id).join(County, County.id == Pairing.county_id)
        .where(scope.county_filter())).all()
    for county_id, org_id in pairings:
        rows.setdefault((county_id, org_id, False), Figures())
    agreed = {(cty, org): amount for cty, org, amount in session.execute(
        select(Pairing.county_id, Pairing.organization_id, Agreement.amount_wan)
        .join(Pairing, Pairing.id == Agreement.pairing_id)
        .where(Agreement.season == year, col(Agreement.superseded_by_id).is_(None))).all()}
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        col(Organization.id).in_({k[1] for k in rows if k[1] is not None}))).all()}
    counties = {c.id: c for c in session.exec(select(County).where(
        col(County.id).in_({k[0] for k in rows if k[0] is not None}))).all()}

    def order(key: tuple[int | None, int | None, bool]) -> tuple[Any, ...]:
        county, org = counties.get(key[0]), orgs.get(key[1])  # type: ignore[arg-type]
        return (county is None, county.code if county else "", key[2], org.name if org else "")

    for key in sorted(rows, key=order):
        county_id, org_id, unfiled = key
        county, org, figures = counties.get(county_id), orgs.get(org_id), rows[key]  # type: ignore[arg-type]
        yield YearRow(
            county.province if county else UNKNOWN_PROVINCE, county.name if county else UNFILED,
            org.name if org else UNFILED, org.credit_code if org else "",
            None if unfiled else agreed.get((county_id, org_id)),  # type: ignore[arg-type]
            figures.funds_wan, figures.sales_wan, figures.households, figures.people, figures.projects,
            [f for f in FIELD_ORDER if figures.fields.get(f)], figures.committed_wan,
        )


DELIVERY_LABELS = {DeliveryStatus.pending: N_("待发送"), DeliveryStatus.sending: N_("发送中"),
                   DeliveryStatus.sent: N_("已发送"), DeliveryStatus.failed: N_("失败"),
                   DeliveryStatus.blocked: N_("无法送达"), UNREACHABLE: N_("无法送达"), "acknowledged": N_("已确认")}


def delivery_status_label(status: str) -> str:
    """待发送 / 已发送 / 失败 / 无法送达 … in the locale in force (an unknown status as stored)."""
    return _(DELIVERY_LABELS[status]) if status in DELIVERY_LABELS else status


# Errors pairbot itself stores on a delivery (jobs/outbound.py, bot/channels/telegram.py), in English for the log.
DELIVERY_ERRORS = [
    (re.compile(r"^channel (?P<channel>\w+) is not configured$"), N_("渠道 {channel} 未配置，未能发送。")),
    (re.compile(r"^telegram channel is stopped$"), N_("Telegram 渠道已停止，未能发送。")),
    (re.compile(r"^Telegram: no answer within (?P<seconds>\d+) s$"), N_("Telegram 在 {seconds} 秒内没有应答。")),
]


def delivery_error(error: str | None) -> str:
    """A delivery's last error as people read it (the broadcast page, `pairbot broadcast status`): pairbot's own
    reasons in the locale in force, a platform's text as it came."""
    if not error:
        return ""
    return matched_message(error, DELIVERY_ERRORS, channel=channel_label) or _(error)


REVIEW_LABELS = {ReviewStatus.received: N_("已收到"), ReviewStatus.accepted: N_("已审核"),
                 ReviewStatus.flagged: N_("待核对"), ReviewStatus.rejected: N_("已退回")}


def review_label(status: str) -> str:
    """已收到 / 已审核 / 待核对 / 已退回 in the locale in force."""
    return _(REVIEW_LABELS[status]) if status in REVIEW_LABELS else status  # type: ignore[index]

