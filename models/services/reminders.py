"""Planning reminders set-wise and writing them once.

`plan_reminders` asks the database what is due at a moment: for each obligation period in its
reminder window, ONE query joins pairings, contacts, their reachable identities, the records
that fulfil it (a current agreement of the deadline's season, progress updates) and the reminder
ledger, so its cost grows with the data, never with one scheduler job per reminder. Only the latest stage whose time has come is
planned, so after downtime the stale ones are skipped. Once the due date has passed unfulfilled,
the county contact and the province's admins get one digest; admins get a weekly summary, and a
daily digest of what waits for them (models.services.digest) from `[reminders] digest_time`.

`queue_reminders` claims each planned reminder by inserting its ledger row with ON CONFLICT DO
NOTHING on the unique key (obligation, id, period, stage, contact) and writes the Delivery only
for the rows it inserted, so a reminder goes out at most once across restarts and concurrent
schedulers. Nothing is planned during quiet hours; reminders go out when they end.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select, true, union_all, update
from sqlmodel import Session

from bot.i18n import N_, _, current, using
from models.base import upsert_insert
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Organization, Role
from models.reminders import DAILY, OVERDUE, WEEKLY, ObligationKind, ReminderSent
from models.reporting import ProgressUpdate
from models.services.agreements import deadline_season, has_current_agreement
from models.services.digest import DIGEST_NAME, build_digest, last_digest_at
from models.services.ledger import Scope, coverage
from models.services.obligations import Obligation, Occurrence, load_obligations, occurrences
from models.services.outbox import queue_message, recipient_locale
from models.services.registry import contact_address
from models.services.workcalendar import MAX_SHIFT_DAYS, WorkCalendar, day_label, in_quiet_hours

# The tables, for SQLAlchemy Core queries.
P, K, O, C, I, U, R = (model.__table__ for model in (  # type: ignore[attr-defined]
    Pairing, County, Organization, Contact, ChannelIdentity, ProgressUpdate, ReminderSent))

SUMMARY_NAME = N_("每周逾期汇总")
LIST_LIMIT = 5  # pairings named in one message before "等 N 个"
CLAIM_CHUNK = 500
KEY_COLUMNS = ["obligation", "obligation_id", "period", "stage", "contact_id"]  # the ledger's unique key


@dataclass(frozen=True)
class Policy:
    """The settings planning needs: zone, quiet hours, working calendar, escalation and summary timing."""

    zone: ZoneInfo
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    escalate_days: int = 7
    summary_weekday: int = 1  # ISO weekday, 1 = Monday
    mandatory: tuple[str, ...] = ("agreement", "annual")  # kinds that still remind contacts who sent 退订
    digest_time: time | None = None  # admins' daily digest (None: none; the settings' default is 09:00)
    review_url: str = "http://127.0.0.1:8080/review"  # named in the digest

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        schedule, reminders = settings.schedule, settings.reminders
        return cls(zone=settings.zone, quiet_start=schedule.quiet_start, quiet_end=schedule.quiet_end,
                   calendar=WorkCalendar(schedule.holidays, schedule.workdays),
                   escalate_days=reminders.escalate_days, summary_weekday=reminders.summary_weekday,
                   mandatory=tuple(reminders.mandatory), digest_time=reminders.digest_time,
                   review_url=settings.web.public_url + "/review")

    def quiet(self, now: datetime) -> bool:
        return in_quiet_hours(now.astimezone(self.zone).time().replace(tzinfo=None), self.quiet_start, self.quiet_end)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    @property
    def digest_at(self) -> time | None:
        """When the daily digest is due: `digest_time`, or the end of the quiet hours when it falls inside them."""
        if self.digest_time is None:
            return None
        return self.quiet_end if in_quiet_hours(self.digest_time, self.quiet_start, self.quiet_end) else self.digest_time


class Due(NamedTuple):
    """One message owed to one contact at this moment (a tuple: plans are built by the hundred thousand)."""

    obligation: ObligationKind
    obligation_id: int
    name: str  # the obligation's title as shown to people
    period: str
    stage: str  # days before the due date, or overdue / weekly
    contact_id: int
    contact_name: str
    role: str
    due_on: date | None
    text: str  # composed in the locale in force when planned
    pairings: tuple[int, ...] = ()
    compose: Callable[[], str] | None = None  # the same text in the locale in force (a recipient's other language)

    @property
    def key(self) -> str:
        return f"reminder:{self.obligation}:{self.obligation_id}:{self.period}:{self.stage}:{self.contact_id}"

    def as_json(self, channel: str | None) -> dict[str, Any]:
        """The `pairbot reminders due` record: contact, channel, obligation, stage, due date."""
        return {"contact": self.contact_name, "contact_id": self.contact_id, "role": self.role, "channel": channel,
                "obligation": self.name, "kind": self.obligation.value, "period": self.period,
                "stage": int(self.stage) if self.stage.isdigit() else self.stage,
                "due_date": self.due_on.isoformat() if self.due_on else None, "pairings": list(self.pairings)}


# --- the set-wise queries ------------------------------------------------------------------------

def _in_scope(obligation: Obligation) -> list[Any]:
    conditions: list[Any] = [P.c.status == PairingStatus.active.value]
    if obligation.provinces:
        conditions.append(K.c.province.in_(obligation.provinces))
    if obligation.pairings:
        conditions.append(P.c.id.in_(obligation.pairings))
    return conditions


def _unfulfilled(occ: Occurrence) -> Any:
    """The pairing has not done it: no current agreement of the deadline's season, or no update for this period."""
    obligation = occ.obligation
    if obligation.by_record:
        return ~has_current_agreement(P.c.id, deadline_season(date.fromisoformat(obligation.due_rule)))
    u = U.alias("fulfilling")
    filed = and_(u.c.cycle_id == obligation.id, u.c.period == occ.period)
    if obligation.counts_plain_updates:
        filed = or_(filed, and_(u.c.cycle_id.is_(None), u.c.created_at >= occ.opens, u.c.created_at < occ.closes))
    return ~exists().where(u.c.pairing_id == P.c.id, u.c.withdrawn_at.is_(None), filed)


def _reachable(contact_id: Any) -> Any:
    return exists().where(I.c.contact_id == contact_id, I.c.unreachable_since.is_(None))


def _not_sent(source: ObligationKind, obligation_id: int, period: str, stage: str, contact_id: Any) -> Any:
    return ~exists().where(R.c.obligation == source.value, R.c.obligation_id == obligation_id, R.c.period == period,
                           R.c.stage == stage, R.c.contact_id == contact_id)


def _not_answered(occ: Occurrence) -> Any:
    """The contact has not filed an update under this cycle period (a reply to one of its reminders)."""
    u = U.alias("answered")
    return ~exists().where(u.c.contact_id == C.c.id, u.c.cycle_id == occ.obligation.id, u.c.period == occ.period,
                           u.c.withdrawn_at.is_(None))


def owed_query(occ: Occurrence, stage: str, roles: Sequence[str], skip_answered: bool = True,
               mandatory: bool = False) -> Select[Any]:
    """(contact, name, role, pairing, counterpart, paused) rows: reachable contacts of in-scope pairings that still
    owe `occ`, not yet sent `stage`; contacts who sent 退订 only when the obligation is `mandatory`."""
    obligation = occ.obligation
    branches = []
    for role in roles:
        # The other side of the pairing, as this contact names it; only the joins that are needed.
        if role == Role.county:
            counterpart, link = O.c.name, C.c.county_id == P.c.county_id
            source = P.join(O, O.c.id == P.c.organization_id)
            if obligation.provinces:
                source = source.join(K, K.c.id == P.c.county_id)
        else:
            counterpart, link = K.c.province + K.c.name, C.c.organization_id == P.c.organization_id
            source = P.join(K, K.c.id == P.c.county_id)
        query = (
            select(C.c.id.label("contact_id"), C.c.name.label("contact_name"), C.c.role.label("role"),
                   P.c.id.label("pairing_id"), counterpart.label("counterpart"), C.c.paused_at.label("paused_at"))
            .select_from(source.join(C, and_(link, C.c.role == role, C.c.active == true())))
            .where(*_in_scope(obligation), _unfulfilled(occ), _reachable(C.c.id),
                   _not_sent(obligation.source, obligation.id, occ.period, stage, C.c.id))
        )
        if not mandatory:
            query = query.where(C.c.paused_at.is_(None))
        if skip_answered and not obligation.by_record:
            query = query.where(_not_answered(occ))
        branches.append(query)
    return union_all(*branches) if len(branches) > 1 else branches[0]  # type: ignore[return-value]


def overdue_query(occ: Occurrence) -> Select[Any]:
    """Pairings that still owe `occ` (for admins' digests): pairing, province, county, organization."""
    return (select(P.c.id, K.c.province, K.c.name, O.c.name)
            .select_from(P.join(K, K.c.id == P.c.county_id).join(O, O.c.id == P.c.organization_id))
            .where(*_in_scope(occ.obligation), _unfulfilled(occ)))


def overdue_by_province(occ: Occurrence) -> Select[Any]:
    return (select(K.c.province, func.count())
            .select_from(P.join(K, K.c.id == P.c.county_id))
            .where(*_in_scope(occ.obligation), _unfulfilled(occ))
            .group_by(K.c.province))


def _pending_admins(session: Session, source: ObligationKind, obligation_id: int, period: str,
                    stage: str, paused_too: bool = True) -> list[tuple[int, str, list[str]]]:
    """Active, reachable admins not yet sent this message: (id, name, provinces — empty means all)."""
    query = (select(C.c.id, C.c.name, C.c.provinces)
             .where(C.c.role == Role.admin.value, C.c.active == true(), _reachable(C.c.id),
                    _not_sent(source, obligation_id, period, stage, C.c.id))
             .order_by(C.c.id))
    rows = session.execute(query if paused_too else query.where(C.c.paused_at.is_(None))).all()
    return [(row[0], row[1], list(row[2] or [])) for row in rows]


# --- planning ------------------------------------------------------------------------------------

def plan_reminders(session: Session, now: datetime, policy: Policy,
                   obligations: Sequence[Obligation] | None = None) -> list[Due]:
    """Everything that should go out at `now`, read-only: stage reminders, overdue digests, weekly summaries.

    Nothing during quiet hours or on a non-working day: what is due then goes out when they end.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = policy.today(now)
    if policy.quiet(now) or not policy.calendar.is_workday(today):
        return []
    if obligations is None:
        obligations = load_obligations(session)
    dues: list[Due] = []
    with _collector_paused():
        for obligation in obligations:
            # Stage days move back over holidays: look far enough ahead to see a due date whose first
            # stage moved into today; and back over a holiday after a due date for its digests.
            ahead = max(obligation.stages) + 1 + MAX_SHIFT_DAYS
            behind = policy.escalate_days + 1 + MAX_SHIFT_DAYS
            for occ in occurrences(obligation, today, policy.calendar, policy.zone, behind, ahead):
                stage = occ.latest_stage(now, policy.zone)
                mandatory = obligation.kind in policy.mandatory
                if stage is not None:
                    dues += _stage_dues(session, occ, stage, today, mandatory)
                elif (occ.closes <= now < occ.escalation_ends(policy.escalate_days, policy.zone)
                      and occ.can_be_overdue(policy.zone)):
                    dues += _overdue_dues(session, occ, mandatory)
        dues += _weekly_dues(session, now, policy, obligations)
        dues += _digest_dues(session, now, policy)
    return dues


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a due set is built.

    A due set is hundreds of thousands of rows and tuples that all survive, and none form cycles;
    the collector would rescan them over and over, which made planning 100k contacts twice as
    slow and superlinear. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Wording:
    """A reminder's frame (head, tail, the 退订 note) composed once per locale; the pairings per contact."""

    def __init__(self, head: Callable[[], str], tail: Callable[[], str]) -> None:
        self.head, self.tail = head, tail
        self.frames: dict[str, tuple[str, str, str]] = {}

    def text(self, labels: Sequence[str], paused: bool) -> str:
        frame = self.frames.get(current())
        if frame is None:
            frame = self.frames[current()] = (self.head(), self.tail(), _(MANDATORY_NOTE))
        head, tail, note = frame
        return f"{head}{_labels(labels)}{tail}{note if paused else ''}"


def _per_contact(session: Session, query: Select[Any], occ: Occurrence, stage: str, wording: _Wording) -> list[Due]:
    """One Due per contact from (contact, name, role, pairing, counterpart) rows: the text names the pairings."""
    groups: dict[int, list[tuple[Any, ...]]] = {}
    for row in session.execute(query).all():
        groups.setdefault(row[0], []).append(row)
    obligation, title, period, due_on = occ.obligation, occ.title, occ.period, occ.due
    dues = []
    for contact_id in sorted(groups):
        group = groups[contact_id]
        if len(group) > 1:
            group.sort(key=itemgetter(3))
        name, role, paused = group[0][1], group[0][2], group[0][5] is not None
        labels = [r[4] for r in group]
        dues.append(Due(obligation.source, obligation.id, title, period, stage, contact_id, name, role, due_on,
                        wording.text(labels, paused), tuple(r[3] for r in group), partial(wording.text, labels, paused)))
    return dues


def _labels(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    unique = list(dict.fromkeys(items))
    shown = _("、").join(unique[:LIST_LIMIT])
    return _("{shown} 等 {n} 个结对").format(shown=shown, n=len(unique)) if len(unique) > LIST_LIMIT else shown


MANDATORY_NOTE = N_("\n（您已退订提醒；此项为必报事项，仍会提醒。）")


def _stage_dues(session: Session, occ: Occurrence, stage: int, today: date, mandatory: bool) -> list[Due]:
    obligation = occ.obligation
    days = (occ.due - today).days

    def head() -> str:
        when = _("今天截止") if days <= 0 else _("还有 {days} 天").format(days=days)
        if obligation.by_record:
            return _("【{title}】请于{day}前签订结对帮扶协议，{when}。尚未登记协议的结对：").format(
                title=occ.title, day=day_label(occ.due), when=when)
        return _("【{title}】请于{day}前报送，{when}。待报送的结对：").format(title=occ.title, day=day_label(occ.due), when=when)

    def tail() -> str:
        if obligation.by_record:
            return _("。签订后请将协议交管理员登记。")
        return _("。直接回复本消息即可，例如：本月投入资金20万元，带动38户增收。")

    return _per_contact(session, owed_query(occ, str(stage), obligation.roles, mandatory=mandatory), occ, str(stage),
                        _Wording(head, tail))


def _overdue_dues(session: Session, occ: Occurrence, mandatory: bool) -> list[Due]:
    """Once the due date has passed: a digest to each county contact with overdue pairings, and to admins."""
    obligation = occ.obligation
    def head() -> str:
        if obligation.by_record:
            return _("【逾期】{title}已过截止日{day}，以下结对仍未登记帮扶协议：").format(title=occ.title, day=day_label(occ.due))
        return _("【逾期】{title}已过截止日{day}，以下结对仍未报送：").format(title=occ.title, day=day_label(occ.due))

    dues = _per_contact(session, owed_query(occ, OVERDUE, (Role.county.value,), skip_answered=False,
                                            mandatory=mandatory), occ, OVERDUE,
                        _Wording(head, lambda: _("。请督促尽快办理。")))
    admins = _pending_admins(session, obligation.source, obligation.id, occ.period, OVERDUE)
    if not admins:
        return dues
    by_province: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pairing_id, province, county, organization in session.execute(overdue_query(occ)).all():
        by_province[province].append((pairing_id, f"{county}—{organization}"))
    for admin_id, admin_name, provinces in admins:
        seen = {p: items for p, items in sorted(by_province.items()) if not provinces or p in provinces}
        if not seen:
            continue
        compose = partial(_admin_overdue_text, occ, seen)
        pairings = tuple(sorted(pid for items in seen.values() for pid, _pid_label in items))
        dues.append(Due(obligation.source, obligation.id, occ.title, occ.period, OVERDUE, admin_id, admin_name,
                        Role.admin.value, occ.due, compose(), pairings, compose))
    return dues


def _admin_overdue_text(occ: Occurrence, seen: dict[str, list[tuple[int, str]]]) -> str:
    """An admin's overdue digest of one obligation period, by province, in the locale in force."""
    total = sum(len(items) for items in seen.values())
    lines = [_("{province} {n} 个：{pairings}").format(
        province=province, n=len(items), pairings=_labels([label for _pid, label in sorted(items)]))
        for province, items in seen.items()]
    if occ.obligation.by_record:
        head = _("【逾期】{title}已过截止日{day}，仍有 {n} 个结对未登记帮扶协议：")
    else:
        head = _("【逾期】{title}已过截止日{day}，仍有 {n} 个结对未报送：")
    return head.format(title=occ.title, day=day_label(occ.due), n=total) + "\n" + "\n".join(lines)


def _latest_past(obligation: Obligation, now: datetime, policy: Policy) -> Occurrence | None:
    """The most recent period of the obligation whose due date has passed."""
    today = policy.today(now)
    past = [o for o in occurrences(obligation, today, policy.calendar, policy.zone, 400, 0)
            if o.closes <= now and o.can_be_overdue(policy.zone)]
    return max(past, key=lambda o: o.due) if past else None


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _weekly_dues(session: Session, now: datetime, policy: Policy, obligations: Sequence[Obligation]) -> list[Due]:
    """Admins' weekly overdue summary by province: on or after the summary weekday, once per ISO week."""
    today = policy.today(now)
    if today.isoweekday() < policy.summary_weekday:
        return []
    period = week_key(today)
    admins = _pending_admins(session, ObligationKind.summary, 0, period, WEEKLY)
    if not admins:
        return []
    counts: dict[str, list[tuple[Occurrence, int]]] = defaultdict(list)
    for obligation in obligations:
        occ = _latest_past(obligation, now, policy)
        if occ is None:
            continue
        for province, count in session.execute(overdue_by_province(occ)).all():
            counts[province].append((occ, count))
    dues = []
    for admin_id, admin_name, provinces in admins:
        mine = {province: items for province, items in sorted(counts.items()) if not provinces or province in provinces}
        if mine:
            compose = partial(_weekly_text, today, mine)
            dues.append(Due(ObligationKind.summary, 0, _(SUMMARY_NAME), period, WEEKLY, admin_id, admin_name,
                            Role.admin.value, None, compose(), (), compose))
    return dues


def _weekly_text(today: date, counts: dict[str, list[tuple[Occurrence, int]]]) -> str:
    """The weekly overdue summary by province, in the locale in force."""
    lines = [_("{province}：{items}").format(province=province, items=_("；").join(
        _("{title} {n} 个结对未完成").format(title=occ.title, n=count) for occ, count in items))
        for province, items in counts.items()]
    return _("【{name}】截至{day}：").format(name=_(SUMMARY_NAME), day=day_label(today)) + "\n" + "\n".join(lines)


def _digest_dues(session: Session, now: datetime, policy: Policy) -> list[Due]:
    """Each admin's daily digest of their provinces, from `digest_at`, once per local day; none when empty,
    none to an admin who sent 退订."""
    local, due = now.astimezone(policy.zone), policy.digest_at
    if due is None or local.time() < due:
        return []
    period = local.date().isoformat()
    admins = _pending_admins(session, ObligationKind.digest, 0, period, DAILY, paused_too=False)
    if not admins:
        return []
    counties = coverage(session, Scope(), now, policy.zone)  # every province once; each digest takes its own
    dues = []
    for admin_id, admin_name, provinces in admins:
        digest = build_digest(session, Scope(tuple(provinces) or None), now, policy.zone, review_url=policy.review_url,
                              since=last_digest_at(session, admin_id), counties=counties)
        if not digest.empty:
            dues.append(Due(ObligationKind.digest, 0, _(DIGEST_NAME), period, DAILY, admin_id, admin_name,
                            Role.admin.value, None, digest.text(), (), digest.text))
    return dues


# --- writing -------------------------------------------------------------------------------------

def claim(session: Session, dues: Sequence[Due], now: datetime) -> dict[tuple[str, int, str, str, int], int]:
    """Insert the ledger rows; returns the ids of those this call inserted (the others were already claimed)."""
    if not dues:
        return {}
    values = [{"obligation": d.obligation.value, "obligation_id": d.obligation_id, "period": d.period,
               "stage": d.stage, "contact_id": d.contact_id, "due_on": d.due_on, "created_at": now} for d in dues]
    statement = (upsert_insert(session.get_bind().dialect, R).values(values)
                 .on_conflict_do_nothing(index_elements=KEY_COLUMNS)
                 .returning(R.c.id, R.c.obligation, R.c.obligation_id, R.c.period, R.c.stage, R.c.contact_id))
    return {(row[1], row[2], row[3], row[4], row[5]): row[0] for row in session.execute(statement).all()}


def queue_reminders(session: Session, dues: Sequence[Due], now: datetime) -> list[int]:
    """Claim the reminders and write a Delivery for each claimed one; returns the delivery ids.

    Call inside one unit of work and enqueue the ids after it commits.
    """
    claimed = claim(session, dues, now)
    ids = list({d.contact_id for d in dues})
    contacts = {c.id: c for c in session.scalars(select(Contact).where(C.c.id.in_(ids)))}
    links, delivery_ids = [], []
    for due in dues:
        reminder_id = claimed.get((due.obligation.value, due.obligation_id, due.period, due.stage, due.contact_id))
        if reminder_id is None:
            continue
        contact = contacts.get(due.contact_id)
        address = contact_address(session, contact) if contact is not None else None
        if address is None:  # became unreachable since planning: claimed, so not retried
            continue
        text = due.text
        locale = recipient_locale(contact.locale)  # type: ignore[union-attr]
        if due.compose is not None and locale != current():  # planned in another language than the recipient's
            with using(locale):
                text = due.compose()
        delivery = queue_message(session, address[0], address[1], text, contact_id=due.contact_id,
                                 dedupe_key=due.key)
        links.append({"b_reminder": reminder_id, "b_delivery": delivery.id})
        delivery_ids.append(delivery.id)
    if links:
        session.execute(update(R).where(R.c.id == bindparam("b_reminder"))
                        .values(delivery_id=bindparam("b_delivery")), links)
    return [i for i in delivery_ids if i is not None]


def chunks(dues: Sequence[Due], size: int = CLAIM_CHUNK) -> Iterable[Sequence[Due]]:
    for start in range(0, len(dues), size):
        yield dues[start:start + size]

