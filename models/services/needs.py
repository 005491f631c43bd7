"""The 项目库's lifecycle: a county's need is drafted, published, claimed (接单), confirmed into a project, closed.

Every step checks who may take it, writes an audit row with target ``need:<id>`` (the need's
history) and tells the other side through the outbox. Functions take a `queued` list and append
the ids of the deliveries they wrote, so a handler can enqueue them after commit. A notice is composed
in each recipient's language (`tell_each`); errors and replies in the language in force.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from bot.i18n import _, installation_locale, normalize, using
from bot.messages import Button
from models.base import utcnow
from models.messaging import AuditLog
from models.pairing import Pairing, PairingStatus, Project, ProjectStatus
from models.projects import OPEN_NEED_STATUSES, ClaimStatus, Need, NeedClaim, NeedStatus
from models.registry import Contact, County, Organization, Role
from models.services.audit import audit, reason_too_long
from models.services.ledger import NotVisible, Scope
from models.services.matching import Candidate, rank
from models.services.need_text import field_choices, field_label, wan_text
from models.services.outbox import tell
from models.services.parsing import FIELD_ORDER
from models.services.registry import set_pairing_status
from models.services.sums import BOUNDS

CONFIRM_PREFIX = "needok"  # callback data needok:<claim id>
DECLINE_PREFIX = "needno"  # callback data needno:<claim id>
CLAIM_PREFIX = "needclaim"  # callback data needclaim:<need id> (the 接单 button of a pushed need)
TITLE_LENGTH = 24  # characters of the description that name a need in lists and notices
MAX_DESCRIPTION = 2_000


class NeedError(ValueError):
    """A step that cannot be taken; the message (in the language in force) tells the user what to do."""


@dataclass(frozen=True)
class NeedFields:
    """What a need says, as entered in chat, on a page or in an import row (validated by `check_fields`)."""

    field: str = "其他"
    description: str = ""
    amount_wan: float | None = None
    households: int | None = None
    people: int | None = None
    wanted_by: date | None = None


def check_fields(values: NeedFields, today: date | None = None) -> NeedFields:
    """The same rules for every way a need comes in; raises NeedError naming the first bad value."""
    if values.field not in FIELD_ORDER:
        raise NeedError(_("帮扶领域“{field}”无法识别，请写：{choices}。").format(
            field=values.field, choices=field_choices()))
    description = values.description.replace("\x00", "").strip()
    if not description:
        raise NeedError(_("请写明需求内容，例如：冷链仓储设备，服务全县果蔬合作社。"))
    if len(description) > MAX_DESCRIPTION:
        raise NeedError(too_long(len(description)))
    amount = values.amount_wan
    if amount is not None and (not math.isfinite(amount) or not 0 < amount <= BOUNDS["funds_wan"]):
        raise NeedError(_("金额须大于 0、不超过 {most}。").format(most=wan_text(BOUNDS["funds_wan"], grouped=True)))
    if values.households is not None and not 0 < values.households <= BOUNDS["households"]:
        raise NeedError(_("户数须在 1 到 {most} 之间。").format(most=f"{BOUNDS['households']:,}"))
    if values.people is not None and not 0 < values.people <= BOUNDS["people"]:
        raise NeedError(_("人数须在 1 到 {most} 之间。").format(most=f"{BOUNDS['people']:,}"))
    if values.wanted_by is not None and today is not None and values.wanted_by < today:
        raise NeedError(_("期望完成日期 {day} 已经过去，请写一个将来的日期。").format(day=values.wanted_by.isoformat()))
    if values.wanted_by is not None and values.wanted_by.year > LAST_YEAR:
        raise NeedError(_("期望完成日期 {day} 超出范围（最晚 {year} 年），请核对后重写。").format(
            day=values.wanted_by.isoformat(), year=LAST_YEAR))
    return NeedFields(values.field, description, amount, values.households, values.people, values.wanted_by)


LAST_YEAR = 2100  # a need wanted done later is a slip (9999-12-31), not a plan; the export's years end there too


def too_long(length: int) -> str:
    return _("需求内容过长（{length} 字），请控制在 {most} 字以内。").format(length=length, most=MAX_DESCRIPTION)


def title_of(description: str) -> str:
    """A need's short name: its first clause, cut to TITLE_LENGTH characters."""
    first = description.strip().replace("\n", " ")
    for mark in "，,。；;":
        first = first.split(mark, 1)[0]
    return first[:TITLE_LENGTH] or description[:TITLE_LENGTH]


def need_label(need: Need) -> str:
    """“需求 #5「冷链仓储设备」” — how replies and notices name a need (its title stays as written)."""
    return _("需求 #{id}「{title}」").format(id=need.id, title=need.title)


def status_of(need: Need) -> str:
    return NeedStatus(need.status).label


def tell_each(session: Session, contacts: Sequence[Contact], compose: Callable[[], str], queued: list[int] | None,
              buttons: Callable[[], Sequence[Button]] | None = None) -> int:
    """A notice to people who may read different languages: composed once per locale, each in their own.

    Returns how many could be reached (as `outbox.tell`)."""
    groups: dict[str, list[Contact]] = {}
    for contact in contacts:
        groups.setdefault(normalize(contact.locale) or installation_locale(), []).append(contact)
    reached = 0
    for locale, group in groups.items():
        with using(locale):
            reached += tell(session, group, compose(), queued, buttons() if buttons else ())
    return reached


# --- who may do what ----------------------------------------------------------------------------

def visible_need(session: Session, scope: Scope, need_id: int) -> Need:
    """A need an admin of `scope` may see; NotVisible otherwise (absent and out of scope alike)."""
    need = session.get(Need, need_id)
    county = session.get(County, need.county_id) if need else None
    if need is None or county is None or not scope.allows(county.province):
        raise NotVisible(_("没有编号为 {id} 的需求。").format(id=need_id))
    return need


def _own_county_need(session: Session, contact: Contact, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None or contact.role != Role.county or need.county_id != contact.county_id:
        raise NeedError(_("没有编号为 {id} 的本县需求。").format(id=need_id))
    return need


def contacts_of_county(session: Session, county_id: int) -> list[Contact]:
    return list(session.exec(select(Contact).where(
        Contact.county_id == county_id, Contact.role == Role.county, col(Contact.active).is_(True),
    ).order_by(Contact.id)).all())


def contacts_of_organization(session: Session, organization_id: int) -> list[Contact]:
    return list(session.exec(select(Contact).where(
        Contact.organization_id == organization_id, Contact.role == Role.organization, col(Contact.active).is_(True),
    ).order_by(Contact.id)).all())


def _record(session: Session, need: Need, actor: str, action: str, **details: Any) -> None:
    audit(session, actor, f"need.{action}", f"need:{need.id}", **details)


def history(session: Session, need_id: int) -> list[AuditLog]:
    """Every step of a need, oldest first (the audit rows whose target is the need)."""
    return list(session.exec(select(AuditLog).where(AuditLog.target == f"need:{need_id}")
                             .order_by(col(AuditLog.at), col(AuditLog.id))).all())


# --- drafting -------------------------------------------------------------------------------------

def create_need(session: Session, county_id: int, values: NeedFields, actor: str, *, contact_id: int | None = None,
                source: str = "chat", status: NeedStatus = NeedStatus.draft, now: datetime | None = None) -> Need:
    """A new need (a draft unless an import or admin publishes it at once)."""
    now = now or utcnow()
    values = check_fields(values)
    need = Need(county_id=county_id, contact_id=contact_id, field=values.field, title=title_of(values.description),
                description=values.description, amount_wan=values.amount_wan, households=values.households,
                people=values.people, wanted_by=values.wanted_by, status=status, source=source, created_at=now,
                published_at=now if status == NeedStatus.published else None)
    session.add(need)
    session.flush()
    _record(session, need, actor, "create", status=status.value, source=source)
    return need


def edit_draft(session: Session, contact: Contact, need_id: int, values: NeedFields, now: datetime) -> Need:
    """The author's county changes a draft; published needs are changed by an admin only."""
    need = _own_county_need(session, contact, need_id)
    if need.status != NeedStatus.draft:
        raise NeedError(_("{need}当前为{status}，不能再修改；如需调整请联系管理员。").format(
            need=need_label(need), status=status_of(need)))
    values = check_fields(values)
    before = {"field": need.field, "description": need.description, "amount_wan": need.amount_wan}
    for key in ("field", "description", "amount_wan", "households", "people", "wanted_by"):
        setattr(need, key, getattr(values, key))
    need.title = title_of(need.description)
    need.updated_at = now
    session.add(need)
    _record(session, need, f"contact:{contact.id}", "edit", before=before)
    return need


def withdraw_draft(session: Session, contact: Contact, need_id: int, now: datetime) -> Need:
    need = _own_county_need(session, contact, need_id)
    if need.status != NeedStatus.draft:
        raise NeedError(_("{need}当前为{status}，不能撤回；如需关闭请联系管理员。").format(
            need=need_label(need), status=status_of(need)))
    need.status = NeedStatus.withdrawn
    need.updated_at = now
    session.add(need)
    _record(session, need, f"contact:{contact.id}", "withdraw")
    return need


def drafts_of(session: Session, contact: Contact) -> list[Need]:
    """The drafts of the contact's county, newest first (what 修改需求 / 撤回需求 act on)."""
    if contact.role != Role.county or contact.county_id is None:
        return []
    return list(session.exec(select(Need).where(Need.county_id == contact.county_id, Need.status == NeedStatus.draft)
                             .order_by(col(Need.id).desc())).all())


# --- admins: publish, close -------------------------------------------------------------------------

def publish(session: Session, scope: Scope, need_id: int, actor: str, now: datetime,
            queued: list[int] | None = None) -> Need:
    """A province admin makes a draft visible to organizations; the county is told."""
    need = visible_need(session, scope, need_id)
    if need.status != NeedStatus.draft:
        raise NeedError(_("{need}当前为{status}，只有草稿可以发布。").format(need=need_label(need), status=status_of(need)))
    need.status = NeedStatus.published
    need.published_at = now
    need.updated_at = now
    session.add(need)
    _record(session, need, actor, "publish")
    tell_each(session, contacts_of_county(session, need.county_id), lambda: _(
        "{need}已由管理员发布，社会组织可以接单了。有组织接单时会请您确认。").format(need=need_label(need)), queued)
    return need


def close_need(session: Session, scope: Scope, need_id: int, reason: str, actor: str, now: datetime,
               queued: list[int] | None = None) -> Need:
    """Close a need that will not be (or no longer needs to be) taken on; waiting claims are told."""
    need = visible_need(session, scope, need_id)
    reason = clean_reason(reason)
    if need.status in (NeedStatus.done, NeedStatus.closed, NeedStatus.withdrawn):
        raise NeedError(_("{need}当前为{status}。").format(need=need_label(need), status=status_of(need)))
    if need.status == NeedStatus.in_progress:
        raise NeedError(_("{need}已在实施，请关闭对应的项目（pairbot projects close）。").format(need=need_label(need)))
    need.status = NeedStatus.closed
    need.close_reason = reason
    need.updated_at = now
    session.add(need)
    _record(session, need, actor, "close", reason=reason)
    for claim in _claims(session, need.id, ClaimStatus.pending):  # type: ignore[arg-type]
        _settle(session, claim, ClaimStatus.withdrawn, actor, now, reason)
        tell_each(session, contacts_of_organization(session, claim.organization_id), lambda: _(
            "{need}已关闭（{reason}），您的接单不再需要确认。").format(need=need_label(need), reason=reason), queued)
    tell_each(session, contacts_of_county(session, need.county_id),
              lambda: _("{need}已关闭：{reason}。").format(need=need_label(need), reason=reason), queued)
    return need


def clean_reason(reason: str) -> str:
    reason = reason.replace("\x00", "").strip()
    if not reason:
        raise NeedError(_("请写明原因。"))
    if (problem := reason_too_long(reason)) is not None:  # refused, not cut
        raise NeedError(problem)
    return reason


# --- organizations: 接单 -------------------------------------------------------------------------------

def claim(session: Session, contact: Contact, need_id: int, now: datetime,
          queued: list[int] | None = None) -> NeedClaim:
    """An organization contact takes a published need on; the county is asked to confirm (确认/婉拒)."""
    if contact.role != Role.organization or contact.organization_id is None:
        raise NeedError(_("只有社会组织联络人可以接单。"))
    need = _locked_need(session, need_id)
    if need is None or need.status not in OPEN_NEED_STATUSES:
        if need is None or need.status == NeedStatus.draft:
            raise NeedError(_("需求 #{id}不存在或尚未发布，不能接单。").format(id=need_id) if need is None else
                            _("{need}不存在或尚未发布，不能接单。").format(need=need_label(need)))
        raise NeedError(_("{need}{status}，不能接单。").format(need=need_label(need), status=status_of(need)))
    existing = session.exec(select(NeedClaim).where(NeedClaim.need_id == need.id,
                                                   NeedClaim.organization_id == contact.organization_id)).first()
    if existing is not None:
        raise NeedError(_("贵组织已对{need}接单（{status}），无需重复。").format(
            need=need_label(need), status=ClaimStatus(existing.status).label))
    row = NeedClaim(need_id=need.id, organization_id=contact.organization_id, contact_id=contact.id, created_at=now)
    session.add(row)
    session.flush()
    need.status = NeedStatus.claimed
    need.updated_at = now
    session.add(need)
    organization = session.get(Organization, contact.organization_id)
    _record(session, need, f"contact:{contact.id}", "claim", claim=row.id, organization=contact.organization_id)
    paired = _pairing(session, contact.organization_id, need.county_id)
    unpaired = not (paired and paired.status == PairingStatus.active)

    def notice() -> str:
        org_name = organization.name if organization else _("一家社会组织")
        note = _("（双方尚未结对，确认后将建立拟结对关系）") if unpaired else ""
        return _("{organization}对{need}接单{note}。请点“确认”或“婉拒”；也可回复“确认 接单{claim}”或“婉拒 接单{claim} 原因”。").format(
            organization=org_name, need=need_label(need), note=note, claim=row.id)

    reached = tell_each(session, contacts_of_county(session, need.county_id), notice, queued, lambda: [
        Button(_("确认"), f"{CONFIRM_PREFIX}:{row.id}"), Button(_("婉拒"), f"{DECLINE_PREFIX}:{row.id}")])
    if not reached:
        _record(session, need, "pairbot", "claim_unreachable", claim=row.id)
    return row


def open_needs_for(session: Session, contact: Contact, limit: int = 10) -> list[Need]:
    """Published needs an organization contact could take on, their paired counties first."""
    if contact.role != Role.organization or contact.organization_id is None:
        return []
    paired = select(Pairing.county_id).where(Pairing.organization_id == contact.organization_id,
                                             Pairing.status == PairingStatus.active)
    first = col(Need.county_id).in_(paired)
    return list(session.exec(select(Need).where(col(Need.status).in_(list(OPEN_NEED_STATUSES)))
                             .order_by(first.desc(), col(Need.published_at).desc(), col(Need.id).desc())
                             .limit(limit)).all())


# --- counties: 确认 / 婉拒 ------------------------------------------------------------------------------

def confirm(session: Session, contact: Contact, claim_id: int, now: datetime,
            queued: list[int] | None = None) -> Project:
    """The county accepts one claim: a project under the pairing (proposed if the two were not paired).

    The first confirmation wins; every other waiting claim is told the need was taken on.
    """
    row, need = _county_claim(session, contact, claim_id)
    actor = f"contact:{contact.id}"
    pairing = _pairing(session, row.organization_id, need.county_id)
    if pairing is None:
        pairing = Pairing(organization_id=row.organization_id, county_id=need.county_id,
                          status=PairingStatus.proposed)
        set_pairing_status(session, pairing, PairingStatus.proposed, actor, f"项目库接单（需求 #{need.id}）")
    elif pairing.status == PairingStatus.ended:
        set_pairing_status(session, pairing, PairingStatus.proposed, actor, f"项目库接单（需求 #{need.id}）")
    project = Project(pairing_id=pairing.id, need_id=need.id, name=need.title, field=need.field,
                      description=need.description, amount_wan=need.amount_wan, status=ProjectStatus.active,
                      created_at=now)
    session.add(project)
    session.flush()
    _settle(session, row, ClaimStatus.confirmed, actor, now)
    need.status = NeedStatus.in_progress
    need.updated_at = now
    session.add(need)
    _record(session, need, actor, "confirm", claim=row.id, project=project.id, pairing=pairing.id)
    county = session.get(County, need.county_id)
    tell_each(session, contacts_of_organization(session, row.organization_id), lambda: _(
        "{county}已确认由贵组织承接{need}，项目 #{project} 已建立。报送进展时可写“项目{project}：…”。").format(
        county=county.name if county else _("县"), need=need_label(need), project=project.id), queued)
    tell_each(session, [c for c in contacts_of_county(session, need.county_id) if c.id != contact.id], lambda: _(
        "{need}已确认承接，项目 #{project} 已建立。").format(need=need_label(need), project=project.id), queued)
    for other in _claims(session, need.id, ClaimStatus.pending):  # type: ignore[arg-type]
        _settle(session, other, ClaimStatus.lost, actor, now)
        tell_each(session, contacts_of_organization(session, other.organization_id), lambda: _(
            "{need}已由其他组织承接，感谢贵组织的支持。").format(need=need_label(need)), queued)
    return project


def decline(session: Session, contact: Contact, claim_id: int, reason: str, now: datetime,
            queued: list[int] | None = None) -> NeedClaim:
    """The county says no to one claim, with a reason the organization is told."""
    reason = clean_reason(reason)
    row, need = _county_claim(session, contact, claim_id)
    _settle(session, row, ClaimStatus.declined, f"contact:{contact.id}", now, reason)
    if not _claims(session, need.id, ClaimStatus.pending):  # type: ignore[arg-type]
        need.status = NeedStatus.published
        need.updated_at = now
        session.add(need)
    _record(session, need, f"contact:{contact.id}", "decline", claim=row.id, reason=reason)
    tell_each(session, contacts_of_organization(session, row.organization_id), lambda: _(
        "{need}的接单未被确认：{reason}。").format(need=need_label(need), reason=reason), queued)
    return row


def pending_claims_for(session: Session, contact: Contact) -> list[NeedClaim]:
    """Claims waiting for this county contact's answer, oldest first."""
    if contact.role != Role.county or contact.county_id is None:
        return []
    return list(session.exec(select(NeedClaim).join(Need, col(Need.id) == NeedClaim.need_id).where(
        Need.county_id == contact.county_id, NeedClaim.status == ClaimStatus.pending,
    ).order_by(col(NeedClaim.id))).all())


def _county_claim(session: Session, contact: Contact, claim_id: int) -> tuple[NeedClaim, Need]:
    """A pending claim on one of this county contact's needs, its need locked (first confirmation wins)."""
    row = session.get(NeedClaim, claim_id)
    need = _locked_need(session, row.need_id) if row is not None else None
    if contact.role != Role.county:
        raise NeedError(_("确认或婉拒接单由需求所在县的联络员操作。"))
    if row is None or need is None or need.county_id != contact.county_id:
        raise NeedError(_("没有编号为 {id} 的本县接单。").format(id=claim_id))
    session.refresh(row)
    if row.status != ClaimStatus.pending:
        raise NeedError(_("接单 {id} 已处理（{status}）。").format(id=claim_id, status=ClaimStatus(row.status).label))
    if need.status not in OPEN_NEED_STATUSES:
        raise NeedError(_("{need}当前为{status}。").format(need=need_label(need), status=status_of(need)))
    return row, need


def _locked_need(session: Session, need_id: int) -> Need | None:
    """The need, row-locked on PostgreSQL so two confirmations (or a claim and a close) serialise."""
    return session.exec(select(Need).where(Need.id == need_id).with_for_update()
                        .execution_options(populate_existing=True)).first()


def _settle(session: Session, row: NeedClaim, status: ClaimStatus, actor: str, now: datetime, reason: str = "") -> None:
    row.status = status
    row.decided_by = actor
    row.decided_at = now
    row.reason = reason
    session.add(row)


def _claims(session: Session, need_id: int, status: ClaimStatus) -> list[NeedClaim]:
    return list(session.exec(select(NeedClaim).where(NeedClaim.need_id == need_id, NeedClaim.status == status)
                             .order_by(col(NeedClaim.id))).all())


def _pairing(session: Session, organization_id: int, county_id: int) -> Pairing | None:
    return session.exec(select(Pairing).where(Pairing.organization_id == organization_id,
                                              Pairing.county_id == county_id)).first()


def claims_of(session: Session, need_id: int) -> list[NeedClaim]:
    return list(session.exec(select(NeedClaim).where(NeedClaim.need_id == need_id).order_by(col(NeedClaim.id))).all())


def counts_by_status(session: Session, scope: Scope, *where: ColumnElement[bool]) -> dict[str, int]:
    """How many needs of each status the admin's provinces hold (the 项目库 page's summary), under `where`."""
    rows = session.exec(select(Need.status, func.count()).join(County, col(County.id) == Need.county_id)
                        .where(scope.county_filter(), *where).group_by(Need.status)).all()
    return {status: int(n) for status, n in rows}


MAX_PUSH = 200  # organizations one push may reach


@dataclass(frozen=True)
class PushTarget:
    """An organization a push would message: its place in the ranking and its active contacts."""

    candidate: Candidate
    contacts: list[Contact]


def push_targets(session: Session, scope: Scope, need_id: int, top: int) -> tuple[Need, list[PushTarget]]:
    """Who a push to the `top` best-ranked organizations would reach (organizations that already
    claimed the need are left out); what the confirmation step shows and what `push` sends to."""
    need = visible_need(session, scope, need_id)
    if need.status not in OPEN_NEED_STATUSES:
        raise NeedError(_("{need}当前为{status}，只有已发布的需求可以推送。").format(
            need=need_label(need), status=status_of(need)))
    if not 1 <= top <= MAX_PUSH:
        raise NeedError(_("推送的组织数须在 1 到 {most} 之间。").format(most=MAX_PUSH))
    taken = {row.organization_id for row in claims_of(session, need.id)}  # type: ignore[arg-type]
    return need, [PushTarget(candidate, contacts_of_organization(session, candidate.organization_id))
                  for candidate in rank(session, need, top) if candidate.organization_id not in taken]


def push(session: Session, scope: Scope, need_id: int, top: int, actor: str, now: datetime,
         queued: list[int] | None = None, *, only: Collection[int] | None = None) -> list[tuple[str, int]]:
    """Send a published need to the `top` best-ranked organizations with a 接单 button.

    `only` (organization ids) narrows the push to the organizations a person confirmed: if the
    ranking changed since, nobody else is messaged. Returns (organization name, contacts reached)
    per organization; the notices go through the outbox, so the channels' rate limits pace them.
    """
    need, targets = push_targets(session, scope, need_id, top)
    county = session.get(County, need.county_id)
    where = f"{county.province}{county.name}" if county else ""

    def notice() -> str:
        amount = _("，约 {amount}").format(amount=wan_text(need.amount_wan)) if need.amount_wan else ""
        return _("{county}发布了{field}领域{need}{amount}：{description}\n如愿意承接，请点“接单”或回复“接单 {id}”。").format(
            county=where, field=field_label(need.field), need=need_label(need), amount=amount,
            description=need.description[:200], id=need.id)

    sent: list[tuple[str, int]] = []
    for target in targets:
        if only is not None and target.candidate.organization_id not in only:
            continue
        sent.append((target.candidate.name, tell_each(session, target.contacts, notice, queued,
                                                      lambda: [Button(_("接单"), f"{CLAIM_PREFIX}:{need.id}")])))
    _record(session, need, actor, "push", organizations=len(sent), reached=sum(n for _name, n in sent))
    return sent
