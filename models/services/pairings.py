"""Pairings over time: add, suspend, resume, end and replace, with who/when/why; 组团式 groups.

Every change is a `PairingStatusChange` row (the pairing's history, shown on its page and in the
export) and an audit row. The CLI and the pairing page call the same functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.i18n import N_, _, joined, pgettext
from models.base import parse_id, utcnow
from models.pairing import Pairing, PairingGroup, PairingStatus, PairingStatusChange
from models.registry import County, Organization
from models.services.audit import audit, reason_too_long
from models.services.ledger import NotVisible, Scope
from models.services.registry import find_county, find_organization

NOTE_LENGTH = 512  # PairingStatusChange.note: a replacement's note is the reason with the organizations' names
# action → (statuses it applies to, status it leads to); its verb for buttons is action_verb(action)
ACTIONS: dict[str, tuple[tuple[PairingStatus, ...], PairingStatus]] = {
    "activate": ((PairingStatus.proposed,), PairingStatus.active),
    "suspend": ((PairingStatus.active,), PairingStatus.suspended),
    "resume": ((PairingStatus.suspended,), PairingStatus.active),
    "end": ((PairingStatus.proposed, PairingStatus.active, PairingStatus.suspended), PairingStatus.ended),
}
# Whole sentences per action, so a translator never glues a verb into “不能{verb}” / “已{verb}”.
REFUSED = {
    "activate": N_("结对 #{id} 当前为{current}，不能确认结对。"),
    "suspend": N_("结对 #{id} 当前为{current}，不能暂停。"),
    "resume": N_("结对 #{id} 当前为{current}，不能恢复。"),
    "end": N_("结对 #{id} 当前为{current}，不能结束。"),
}
DONE = {
    "activate": N_("结对 #{id} 已确认结对，现为{status}。"),
    "suspend": N_("结对 #{id} 已暂停，现为{status}。"),
    "resume": N_("结对 #{id} 已恢复，现为{status}。"),
    "end": N_("结对 #{id} 已结束，现为{status}。"),
}
ACTIVE_LIKE = (PairingStatus.active, PairingStatus.proposed, PairingStatus.suspended)


class PairingError(ValueError):
    """A change that cannot be made; the message (in the locale in force) says what to do."""


@dataclass(frozen=True)
class Change:
    """Why and from when: every change needs a reason; the effective day defaults to today."""

    actor: str
    reason: str
    effective_on: date | None = None


# The program's days, as its years (seasons, statistics: 2000–2100): an earlier effective day is a typo
# (0001-01-01, 1969-12-31), never a status change the history should record.
EARLIEST_DAY = date(2000, 1, 1)


def _checked(change: Change, today: date) -> Change:
    reason = change.reason.replace("\x00", "").strip()
    if not reason:
        raise PairingError(_("请写明原因（例如：组织换届、协议到期、县里申请调整）。"))
    if change.effective_on is not None and change.effective_on > today:
        raise PairingError(_("生效日期 {day} 晚于今天；请在当天或之后再办理。").format(
            day=f"{change.effective_on:%Y-%m-%d}"))
    if change.effective_on is not None and change.effective_on < EARLIEST_DAY:
        raise PairingError(_("生效日期 {day} 早于 {earliest}，请检查日期。").format(
            day=change.effective_on.isoformat(), earliest=EARLIEST_DAY.isoformat()))
    if (problem := reason_too_long(reason)) is not None:  # refused, not cut
        raise PairingError(problem)
    return Change(change.actor, reason, change.effective_on)


def _after_last_change(session: Session, pairing: Pairing, change: Change, today: date, zone: ZoneInfo | None) -> None:
    """Refuse a change taking effect before the pairing's latest change did: the history would show a resume
    before the suspension it undoes. The same day is allowed (suspended and resumed on one day).

    An undated change counts from the day it was recorded, except an undated first record (导入, `pairing add`
    without --date, a pairing made when a need was taken on): it says since when pairbot knows the pairing, not
    since when it runs, so a suspension may still be dated before it."""
    if pairing.id is None:
        return
    latest = session.exec(select(PairingStatusChange).where(PairingStatusChange.pairing_id == pairing.id)
                          .order_by(col(PairingStatusChange.id).desc())).first()  # the last one written
    if latest is None or (latest.from_status is None and latest.effective_on is None):
        return
    previous = latest.effective_on or _today(latest.changed_at, zone)
    day = change.effective_on or today
    if day < previous:
        raise PairingError(_("生效日期 {day} 早于上一次变更的生效日期 {previous}；请写 {previous} 当天或之后的日期。").format(
            day=day.isoformat(), previous=previous.isoformat()))


def record(session: Session, pairing: Pairing, to: PairingStatus, change: Change, now: datetime) -> None:
    """Set the status and write the history row and the audit row (the one place a status changes)."""
    previous = pairing.status if pairing.id is not None else None
    pairing.status = to
    pairing.updated_at = now
    session.add(pairing)
    session.flush()
    session.add(PairingStatusChange(pairing_id=pairing.id, from_status=previous, to_status=to, actor=change.actor,
                                    note=change.reason, effective_on=change.effective_on, changed_at=now))
    audit(session, change.actor, f"pairing.{to.value}", f"pairing:{pairing.id}", reason=change.reason,
          effective_on=change.effective_on.isoformat() if change.effective_on else None, from_status=previous)


def find(session: Session, ref: str) -> Pairing:
    """A pairing by id, or by “组织名/县名” (county by name or code)."""
    ref = ref.strip()
    number = parse_id(ref)
    if number is not None:
        pairing = session.get(Pairing, number)
        if pairing is None:
            raise PairingError(_("没有编号为 {id} 的结对。").format(id=ref))
        return pairing
    org_name, sep, county_name = ref.partition("/")
    if not sep:
        raise PairingError(_("“{ref}”不是结对编号，也不是“组织名/县名”。").format(ref=ref))
    org, county = _organization(session, org_name), _county(session, county_name)
    pairing = session.exec(select(Pairing).where(Pairing.organization_id == org.id,
                                                 Pairing.county_id == county.id)).first()
    if pairing is None:
        raise PairingError(_("{organization}与{county}没有结对记录。").format(organization=org.name, county=county.name))
    return pairing


def in_scope(session: Session, scope: Scope, pairing_id: int) -> Pairing:
    pairing = session.get(Pairing, pairing_id)
    county = session.get(County, pairing.county_id) if pairing else None
    if pairing is None or county is None or not scope.allows(county.province):
        raise NotVisible(_("没有编号为 {id} 的结对。").format(id=pairing_id))
    return pairing


def _organization(session: Session, name: str) -> Organization:
    org = find_organization(session, name.strip())
    if org is None:
        org = session.exec(select(Organization).where(Organization.credit_code == name.strip().upper())).first()
    if org is None:
        raise PairingError(_("找不到社会组织“{name}”（请写全称或统一社会信用代码）。").format(name=name.strip()))
    return org


def _county(session: Session, name: str) -> County:
    try:
        county = find_county(session, name.strip())
    except LookupError as exc:
        raise PairingError(str(exc)) from None
    if county is None:
        raise PairingError(_("找不到县“{name}”（请写县名或 6 位区划代码）。").format(name=name.strip()))
    return county


def change_status(session: Session, pairing: Pairing, action: str, change: Change,
                  now: datetime | None = None, zone: ZoneInfo | None = None) -> Pairing:
    """suspend / resume / end / activate one pairing, if its status allows it."""
    now = now or utcnow()
    today = _today(now, zone)
    change = _checked(change, today)
    allowed, to = ACTIONS[action]
    if pairing.status not in allowed:
        raise PairingError(_(REFUSED[action]).format(id=pairing.id, current=PairingStatus(pairing.status).label))
    _after_last_change(session, pairing, change, today, zone)
    record(session, pairing, to, change, now)
    return pairing


def add(session: Session, organization: str, county: str, change: Change, *, group: str = "",
        leading: bool = False, now: datetime | None = None, zone: ZoneInfo | None = None) -> Pairing:
    """A new active pairing (an ended one for the same two is taken up again), optionally in a group."""
    now = now or utcnow()
    today = _today(now, zone)
    return _add(session, organization, county, _checked(change, today), group, leading, now, today, zone)


def _add(session: Session, organization: str, county: str, change: Change, group: str, leading: bool,
         now: datetime, today: date, zone: ZoneInfo | None) -> Pairing:
    org, place = _organization(session, organization), _county(session, county)
    pairing = session.exec(select(Pairing).where(Pairing.organization_id == org.id,
                                                 Pairing.county_id == place.id)).first()
    if pairing is not None and pairing.status != PairingStatus.ended:
        raise PairingError(_("{organization}与{county}已有结对（#{id}，{status}）。").format(
            organization=org.name, county=place.name, id=pairing.id, status=PairingStatus(pairing.status).label))
    if pairing is not None:  # an ended pairing taken up again: not before it ended
        _after_last_change(session, pairing, change, today, zone)
    pairing = pairing or Pairing(organization_id=org.id, county_id=place.id)
    record(session, pairing, PairingStatus.active, change, now)
    if group:
        join_group(session, pairing, group, leading, change.actor)
    return pairing


def replace(session: Session, pairing: Pairing, organization: str, change: Change,
            now: datetime | None = None, zone: ZoneInfo | None = None) -> Pairing:
    """End this pairing and pair another organization with the same county (taking its group place)."""
    now = now or utcnow()
    today = _today(now, zone)
    change = _checked(change, today)
    if pairing.status == PairingStatus.ended:
        raise PairingError(_("结对 #{id} 已结束，请直接新增结对（pairbot pairing add）。").format(id=pairing.id))
    _after_last_change(session, pairing, change, today, zone)
    successor_org = _organization(session, organization)
    if successor_org.id == pairing.organization_id:
        raise PairingError(_("接替的组织与原组织相同。"))
    county = session.get(County, pairing.county_id)
    old_org = session.get(Organization, pairing.organization_id)
    group = session.get(PairingGroup, pairing.group_id) if pairing.group_id else None
    was_leading = group is not None and group.leading_organization_id == pairing.organization_id
    # The notes are prose in the history, written in the actor's language like the reason they carry.
    handed_over = _("由{organization}接替：{reason}").format(organization=successor_org.name, reason=change.reason)
    took_over = (_("接替{organization}：{reason}").format(organization=old_org.name, reason=change.reason) if old_org
                 else _("接替原组织：{reason}").format(reason=change.reason))
    _fits_in_history(change.reason, handed_over, took_over)
    record(session, pairing, PairingStatus.ended, Change(change.actor, handed_over, change.effective_on), now)
    successor = _add(session, successor_org.name, county.code if county else str(pairing.county_id),
                     Change(change.actor, took_over, change.effective_on), "", False, now, today, zone)
    if group is not None:
        join_group(session, successor, group.name, was_leading, change.actor)
    audit(session, change.actor, "pairing.replace", f"pairing:{pairing.id}", successor=successor.id)
    return successor


def _fits_in_history(reason: str, *notes: str) -> None:
    """Refuse a reason that, with the organization's name around it, would not fit the history's note."""
    longest = max(len(note) for note in notes)
    if longest > NOTE_LENGTH:
        raise PairingError(_("原因最多 {most} 字（实际 {n} 字），请写得简短些。").format(
            most=len(reason) - (longest - NOTE_LENGTH), n=len(reason)))


def join_group(session: Session, pairing: Pairing, name: str, leading: bool, actor: str) -> PairingGroup:
    """Put the pairing in its county's group of that name (created on first use; the first member leads)."""
    name = name.replace("\x00", "").strip()[:128]
    if not name:
        raise PairingError(_("请写组团名称。"))
    group = session.exec(select(PairingGroup).where(PairingGroup.county_id == pairing.county_id,
                                                    PairingGroup.name == name)).first()
    if group is None:
        group = PairingGroup(county_id=pairing.county_id, name=name, leading_organization_id=pairing.organization_id)
        session.add(group)
        session.flush()
    elif leading:
        group.leading_organization_id = pairing.organization_id
        session.add(group)
    pairing.group_id = group.id
    session.add(pairing)
    audit(session, actor, "pairing.group", f"pairing:{pairing.id}", group=group.name, leading=leading)
    return group


def action_verb(action: str) -> str:
    """What a button doing `action` says, in the locale in force: 暂停 the verb (Suspend) has its own context,
    apart from 暂停 the status (suspended)."""
    verbs = {"activate": pgettext("pairing action", "确认结对"), "suspend": pgettext("pairing action", "暂停"),
             "resume": pgettext("pairing action", "恢复"), "end": pgettext("pairing action", "结束")}
    return verbs[action]


def actions_for(pairing: Pairing) -> list[tuple[str, str]]:
    """(action, verb) the pairing's status allows, for the page's buttons."""
    return [(action, action_verb(action)) for action, (allowed, _to) in ACTIONS.items() if pairing.status in allowed]


def group_of(session: Session, pairing: Pairing) -> tuple[PairingGroup, str] | None:
    """The pairing's 组团 and the name of its leading organization."""
    group = session.get(PairingGroup, pairing.group_id) if pairing.group_id else None
    if group is None:
        return None
    leader = session.get(Organization, group.leading_organization_id) if group.leading_organization_id else None
    return group, leader.name if leader else ""


def parse_day(value: str) -> date | None:
    """A form's YYYY-MM-DD (empty: today); anything else is refused with the format to use."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PairingError(_("生效日期应为 YYYY-MM-DD 格式，而不是“{value}”。").format(value=value[:20])) from None


def _today(now: datetime, zone: ZoneInfo | None) -> date:
    return now.astimezone(zone).date() if zone else now.date()


# --- how a pairing stands among the others -------------------------------------------------------

def kinds(session: Session, pairings: Iterable[Pairing]) -> dict[int, str]:
    """pairing id → 一对一 / 一对多 / 多对一 / 组团式（牵头）…, counted over live (not ended) pairings."""
    rows = list(pairings)
    org_ids = {p.organization_id for p in rows}
    county_ids = {p.county_id for p in rows}
    live = session.exec(select(Pairing.organization_id, Pairing.county_id).where(
        col(Pairing.status).in_(list(ACTIVE_LIKE)),
        (col(Pairing.organization_id).in_(org_ids)) | (col(Pairing.county_id).in_(county_ids)))).all()
    per_org = Counter(org for org, _county in live)
    per_county = Counter(county for _org, county in live)
    group_ids = {p.group_id for p in rows if p.group_id}
    leaders = dict(session.exec(select(PairingGroup.id, PairingGroup.leading_organization_id)
                                .where(col(PairingGroup.id).in_(group_ids))).all()) if group_ids else {}
    return {p.id: kind_label(None if not p.group_id else leaders.get(p.group_id) == p.organization_id,  # type: ignore[misc]
                             per_org[p.organization_id], per_county[p.county_id]) for p in rows}


def kind_label(leads_group: bool | None, organization_pairings: int, county_pairings: int) -> str:
    """组团式（牵头）/ 组团式 for a group member (leads_group not None); else 一对多, 多对一, both, or 一对一
    from the live pairings of its organization and of its county; in the locale in force."""
    if leads_group is not None:
        return _("组团式（牵头）") if leads_group else _("组团式")
    parts = [label for label, many in ((N_("一对多"), organization_pairings > 1), (N_("多对一"), county_pairings > 1))
             if many]
    return joined(_(part) for part in parts) or _("一对一")


def history_text(session: Session, pairing_id: int, zone: ZoneInfo) -> str:
    """The history, one line per change (`pairbot pairing show`): “2026-11-29 结对中→暂停（原因） cli”.

    Statuses are said in the locale in force; the reason is shown as written."""
    from models.services.ledger import actor_labels

    changes = session.exec(select(PairingStatusChange).where(PairingStatusChange.pairing_id == pairing_id)
                           .order_by(col(PairingStatusChange.changed_at), col(PairingStatusChange.id))).all()
    names = actor_labels(session, {h.actor for h in changes})  # "王主任（审核页面）", as the pairing page says
    lines = []
    for h in changes:
        day = h.effective_on or h.changed_at.astimezone(zone).date()
        before = PairingStatus(h.from_status).label + "→" if h.from_status else ""
        lines.append(f"{day:%Y-%m-%d} {before}{PairingStatus(h.to_status).label}"
                     + (_("（{note}）").format(note=h.note) if h.note else "") + f" {names.get(h.actor, h.actor)}")
    return "\n".join(lines)
