"""Planning reminders set-wise and writing them once.

`plan_reminders` asks the database what is due at a moment: for each obligation period in its
reminder window, ONE query joins pairings, contacts, their reachable identities, the records
that fulfil it (a current agreement of the deadline's season, progress updates) and the reminder
ledger, so its cost grows with the data, never with one scheduler job per reminder. Only the latest stage whose time has come is
planned, so after downtime the stale ones are skipped. Once the due date has passed unfulfilled,
the county contact and the province's admins get one digest; admins get a weekly summary, and a
daily digest of what waits for them (models.services.digest) from `[reminders] digest_time`.

Planning streams: `iter_reminders` reads each query through a server-side cursor ordered by
contact and yields one `Due` at a time, so a due set of millions is never held in memory; the
words of each message are composed in one place, `ReminderText`.

`queue_reminders` writes a batch set-wise: the batch goes to a staging table (COPY on
PostgreSQL), ONE `INSERT … SELECT` writes its Delivery rows (addressed as `contact_address`
does) and ONE `INSERT … SELECT … ON CONFLICT DO NOTHING` claims the ledger rows on the unique
key (obligation, id, period, stage, contact), each pointing to its Delivery; a delivery whose
reminder someone else claimed meanwhile is deleted before commit. So a reminder goes out at most
once across restarts and concurrent schedulers. Nothing is planned during quiet hours; reminders go out when
they end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, islice
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (Column, Date, Integer, Select, String, Text, and_, case, delete, exists, func,
                        literal, literal_column, or_, select, text, true, union_all)
from sqlmodel import Session

from bot.i18n import N_, _, current, installation_locale, using
from models.base import upsert_insert, utcnow
from models.messaging import Delivery, DeliveryStatus
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Organization, Role
from models.reminders import DAILY, OVERDUE, WEEKLY, ObligationKind, ReminderSent
from models.reporting import ProgressUpdate
from models.services.agreements import deadline_season, has_current_agreement
from models.services.collector import collector_paused
from models.services.digest import DIGEST_NAME, build_digest, last_digest_at
from models.services.ledger import Scope, coverage
from models.services.obligations import Obligation, Occurrence, load_obligations, occurrences
from models.services.outbox import recipient_locale
from models.services.staging import fill, staging_table
from models.services.workcalendar import MAX_SHIFT_DAYS, WorkCalendar, day_label, in_quiet_hours

# The tables, for SQLAlchemy Core queries.
P, K, O, C, I, U, R, D = (model.__table__ for model in (  # type: ignore[attr-defined]
    Pairing, County, Organization, Contact, ChannelIdentity, ProgressUpdate, ReminderSent, Delivery))

SUMMARY_NAME = N_("每周逾期汇总")
LIST_LIMIT = 5  # pairings named in one message before "等 N 个"
CLAIM_CHUNK = 5000  # reminders written per transaction
PLANNING_WORK_MEM = "128MB"  # PostgreSQL's work_mem while planning (see _tune_for_planning)
STREAM_ROWS = 10_000  # rows fetched at a time from a planning query's server-side cursor
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
    """(contact, name, role, pairing, counterpart, paused, locale) rows: reachable contacts of in-scope pairings that
    still owe `occ`, not yet sent `stage`; contacts who sent 退订 only when the obligation is `mandatory`."""
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
                   P.c.id.label("pairing_id"), counterpart.label("counterpart"), C.c.paused_at.label("paused_at"),
                   C.c.locale.label("locale"))
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
    """Everything that should go out at `now`, read-only, as a list (`pairbot reminders due`, tests)."""
    with collector_paused():
        return list(iter_reminders(session, now, policy, obligations))


def iter_reminders(session: Session, now: datetime, policy: Policy,
                   obligations: Sequence[Obligation] | None = None) -> Iterator[Due]:
    """Everything that should go out at `now`, one at a time: stage reminders, overdue digests, weekly summaries,
    daily digests. Read-only; the planning queries are streamed, so memory does not grow with the due set.

    Nothing during quiet hours or on a non-working day: what is due then goes out when they end.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = policy.today(now)
    if policy.quiet(now) or not policy.calendar.is_workday(today):
        return
    if obligations is None:
        obligations = load_obligations(session)
    _tune_for_planning(session)
    for obligation in obligations:
        # Stage days move back over holidays: look far enough ahead to see a due date whose first
        # stage moved into today; and back over a holiday after a due date for its digests.
        ahead = max(obligation.stages) + 1 + MAX_SHIFT_DAYS
        behind = policy.escalate_days + 1 + MAX_SHIFT_DAYS
        for occ in occurrences(obligation, today, policy.calendar, policy.zone, behind, ahead):
            stage = occ.latest_stage(now, policy.zone)
            mandatory = obligation.kind in policy.mandatory
            if stage is not None:
                yield from _stage_dues(session, occ, stage, today, mandatory)
            elif (occ.closes <= now < occ.escalation_ends(policy.escalate_days, policy.zone)
                  and occ.can_be_overdue(policy.zone)):
                yield from _overdue_dues(session, occ, mandatory)
    yield from _weekly_dues(session, now, policy, obligations)
    yield from _digest_dues(session, now, policy)


def _tune_for_planning(session: Session) -> None:
    """On PostgreSQL, for this transaction only: enough memory to hash and sort a million-row due set without
    spilling to disk, and no JIT (it compiles each planning query anew, about a second apiece, for no gain)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{PLANNING_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


def _per_contact(session: Session, query: Select[Any], occ: Occurrence, stage: str,
                 words: ReminderText) -> Iterator[Due]:
    """One Due per contact from `owed_query` rows, streamed in contact order: the text names the contact's pairings.

    Built by the million, so a Due can be composed again (`Due.compose`) only when its recipient may read another
    language than the one in force — they chose one, or planning runs in another than the installation's."""
    obligation, title, period, due_on = occ.obligation, occ.title, occ.period, occ.due
    source, obligation_id, compose = obligation.source, obligation.id, words.compose
    everyone_may_differ = current() != installation_locale()
    head, tail, note = words.frame()
    new_due = tuple.__new__  # Due(...) without the generated __new__'s Python frame: every field is given
    ordered = query.order_by(literal_column("contact_id"), literal_column("pairing_id"))
    rows = stream_rows(session, ordered)
    following = next(rows, None)
    while following is not None:
        contact_id, name, role, pairing_id, counterpart, paused_at, locale = following
        following = next(rows, None)
        labels: tuple[str, ...] = (counterpart,)
        pairings: tuple[int, ...] = (pairing_id,)
        if following is not None and following[0] == contact_id:  # a contact of several pairings (the rarer case)
            group = [(pairing_id, counterpart)]
            while following is not None and following[0] == contact_id:
                group.append((following[3], following[4]))
                following = next(rows, None)
            pairings, labels = tuple(g[0] for g in group), tuple(g[1] for g in group)
        paused = paused_at is not None
        # The message as `compose` makes it, inlined with the frame read once: this loop runs millions of times.
        text_ = f"{head}{counterpart if len(labels) == 1 else _labels(labels)}{tail}{note if paused else ''}"
        again = partial(compose, labels, paused) if locale is not None or everyone_may_differ else None
        yield new_due(Due, (source, obligation_id, title, period, stage, contact_id, name, role, due_on, text_, pairings,
                            again))


def stream_rows(session: Session, query: Select[Any]) -> Iterator[Sequence[Any]]:
    """The rows of `query`, `STREAM_ROWS` at a time, in this session's transaction.

    On PostgreSQL through libpq's chunked mode rather than a server-side cursor: PostgreSQL never runs a cursor's
    query in parallel, and a planning query's joins take half the time with two parallel workers. Rows are plain
    tuples of the driver's values (ints, strings, timestamps), which is all the planning queries select."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        result = session.execute(query, execution_options={"yield_per": STREAM_ROWS})
        try:
            yield from chain.from_iterable(result.partitions())
        finally:
            result.close()
        return
    from psycopg import pq

    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw = connection.connection.dbapi_connection
    assert raw is not None
    chunk = STREAM_ROWS if pq.version() >= 170000 else 1  # chunks need libpq 17; before, single-row mode
    with raw.cursor() as cursor:
        yield from cursor.stream(str(compiled), compiled.params, size=chunk)


def _labels(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    unique = list(dict.fromkeys(items))
    shown = _("、").join(unique[:LIST_LIMIT])
    return _("{shown} 等 {n} 个结对").format(shown=shown, n=len(unique)) if len(unique) > LIST_LIMIT else shown


MANDATORY_NOTE = N_("\n（您已退订提醒；此项为必报事项，仍会提醒。）")


class ReminderText:
    """The words of a stage reminder or an overdue digest to a county or organization contact — the one place they
    are composed: a head naming the obligation and its date, the pairings that still owe it, a tail saying what to
    do, and a note for a contact who sent 退订 (only mandatory kinds reach them). Built once per obligation period
    and stage; the frame is made once per language, then `compose` runs once per contact."""

    def __init__(self, head: Callable[[], str], tail: Callable[[], str]) -> None:
        self.head, self.tail = head, tail
        self.frames: dict[str, tuple[str, str, str]] = {}

    @classmethod
    def for_stage(cls, occ: Occurrence, today: date) -> ReminderText:
        days = (occ.due - today).days

        def head() -> str:
            when = _("今天截止") if days <= 0 else _("还有 {days} 天").format(days=days)
            if occ.obligation.by_record:
                return _("【{title}】请于{day}前签订结对帮扶协议，{when}。尚未登记协议的结对：").format(
                    title=occ.title, day=day_label(occ.due), when=when)
            return _("【{title}】请于{day}前报送，{when}。待报送的结对：").format(
                title=occ.title, day=day_label(occ.due), when=when)

        def tail() -> str:
            if occ.obligation.by_record:
                return _("。签订后请将协议交管理员登记。")
            return _("。直接回复本消息即可，例如：本月投入资金20万元，带动38户增收。")

        return cls(head, tail)

    @classmethod
    def for_overdue(cls, occ: Occurrence) -> ReminderText:
        def head() -> str:
            if occ.obligation.by_record:
                return _("【逾期】{title}已过截止日{day}，以下结对仍未登记帮扶协议：").format(
                    title=occ.title, day=day_label(occ.due))
            return _("【逾期】{title}已过截止日{day}，以下结对仍未报送：").format(title=occ.title, day=day_label(occ.due))

        return cls(head, lambda: _("。请督促尽快办理。"))

    def frame(self) -> tuple[str, str, str]:
        """(head, tail, note) in the locale in force, made once per language."""
        frame = self.frames.get(current())
        if frame is None:
            frame = self.frames[current()] = (self.head(), self.tail(), _(MANDATORY_NOTE))
        return frame

    def compose(self, counterparts: Sequence[str], paused: bool) -> str:
        """The message for one contact in the locale in force: `counterparts` are the other sides of their pairings."""
        head, tail, note = self.frame()
        return f"{head}{_labels(counterparts)}{tail}{note if paused else ''}"


def _stage_dues(session: Session, occ: Occurrence, stage: int, today: date, mandatory: bool) -> Iterator[Due]:
    query = owed_query(occ, str(stage), occ.obligation.roles, mandatory=mandatory)
    return _per_contact(session, query, occ, str(stage), ReminderText.for_stage(occ, today))


def _overdue_dues(session: Session, occ: Occurrence, mandatory: bool) -> Iterator[Due]:
    """Once the due date has passed: a digest to each county contact with overdue pairings, and to admins."""
    obligation = occ.obligation
    yield from _per_contact(session, owed_query(occ, OVERDUE, (Role.county.value,), skip_answered=False,
                                                mandatory=mandatory), occ, OVERDUE, ReminderText.for_overdue(occ))
    admins = _pending_admins(session, obligation.source, obligation.id, occ.period, OVERDUE)
    if not admins:
        return
    by_province: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pairing_id, province, county, organization in session.execute(overdue_query(occ)).all():
        by_province[province].append((pairing_id, f"{county}—{organization}"))
    for admin_id, admin_name, provinces in admins:
        seen = {p: items for p, items in sorted(by_province.items()) if not provinces or p in provinces}
        if not seen:
            continue
        compose = partial(_admin_overdue_text, occ, seen)
        pairings = tuple(sorted(pid for items in seen.values() for pid, _pid_label in items))
        yield Due(obligation.source, obligation.id, occ.title, occ.period, OVERDUE, admin_id, admin_name,
                  Role.admin.value, occ.due, compose(), pairings, compose)


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

# A batch of planned reminders, and the deliveries written for it: the statements below read them set-wise.
STAGE = staging_table(
    "reminder_stage",
    Column("obligation", String(16)), Column("obligation_id", Integer), Column("period", String(16)),
    Column("stage", String(16)), Column("contact_id", Integer), Column("due_on", Date), Column("text", Text),
    Column("dedupe_key", String(255)),
)
DELIVERED = staging_table("reminder_delivered", Column("delivery_id", Integer), Column("dedupe_key", String(255)))
S = STAGE.c


def queue_reminders(session: Session, dues: Sequence[Due], now: datetime) -> list[int]:
    """Claim the reminders in the ledger and keep a Delivery for each one this call claimed; returns the delivery ids.

    Set-wise, whatever the batch's size: the batch is staged; one statement writes a Delivery for each staged
    reminder whose contact is reachable; one claims the ledger rows (ON CONFLICT DO NOTHING on the unique key),
    each pointing to its Delivery; the deliveries of reminders claimed by someone else in the meantime (another
    scheduler) are deleted again before commit, so the ledger's claim decides what goes out. A claimed reminder
    whose contact has no reachable chat is not retried. Call inside one unit of work and enqueue the ids after
    it commits.
    """
    if not dues:
        return []
    _tune_for_writing(session)
    fill(session, STAGE, ((d.obligation.value, d.obligation_id, d.period, d.stage, d.contact_id,
                           d.due_on.isoformat() if d.due_on else None, text, d.key)
                          for d, text in zip(dues, _in_recipients_languages(session, dues))))
    delivered: dict[str, int] = {key: delivery_id for delivery_id, key in session.execute(_deliveries(session))}
    fill(session, DELIVERED, ((delivery_id, key) for key, delivery_id in delivered.items()))
    claimed = _claim_staged(session, now)
    lost = [delivery_id for key, delivery_id in delivered.items() if key not in claimed]
    for first in range(0, len(lost), 500):
        session.execute(delete(D).where(D.c.id.in_(lost[first:first + 500])))
    return [delivery_id for key, delivery_id in delivered.items() if key in claimed]


def _in_recipients_languages(session: Session, dues: Sequence[Due]) -> list[str]:
    """Each due's text in its recipient's language: as planned, or composed again for a contact who chose another
    (one query for the batch's chosen languages; most contacts chose none)."""
    ids = list({d.contact_id for d in dues if d.compose is not None})  # the others are read as planned
    chosen: dict[int, str] = {}
    for first in range(0, len(ids), 1000):
        chosen.update(session.execute(select(C.c.id, C.c.locale).where(
            C.c.id.in_(ids[first:first + 1000]), C.c.locale.is_not(None))).all())
    planned_in = current()
    texts = []
    for due in dues:
        locale = recipient_locale(chosen.get(due.contact_id))
        if due.compose is None or locale == planned_in:
            texts.append(due.text)
        else:
            with using(locale):
                texts.append(due.compose())
    return texts


def _tune_for_writing(session: Session) -> None:
    """No JIT on PostgreSQL for this transaction: it compiles each batch's statements anew, ~0.15 s apiece."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _address(column: Any) -> Any:
    """`column` of the staged contact's chat identity that `contact_address` would choose — the chosen channel, then
    the one used last, then the oldest reachable identity — as a correlated subquery (one index probe per row)."""
    preference = case((I.c.channel == C.c.preferred_channel, 0), (I.c.channel == C.c.last_channel, 1), else_=2)
    return (select(column).select_from(I.join(C, C.c.id == I.c.contact_id))
            .where(I.c.contact_id == S.contact_id, I.c.unreachable_since.is_(None))
            .order_by(preference, I.c.id).limit(1).scalar_subquery())


def _deliveries(session: Session) -> Any:
    """INSERT one Delivery per staged reminder whose contact is reachable, RETURNING (id, dedupe key); none for a
    reminder that already has one (sent before: its dedupe key is taken).

    OFFSET 0 keeps the addressed rows a subquery of their own, so PostgreSQL runs each address look-up once per row
    rather than again for the WHERE that drops the unreachable."""
    addressed = (select(_address(I.c.channel).label("channel"), _address(I.c.external_id).label("chat_id"),
                        S.text, S.contact_id, S.dedupe_key).offset(0).subquery("addressed"))
    a = addressed.c
    rows = select(a.channel, a.chat_id, a.text, literal([], D.c.buttons.type), a.contact_id, a.dedupe_key,
                  literal(DeliveryStatus.pending.value), literal(0), literal(""),
                  literal(utcnow(), D.c.created_at.type)).where(a.channel.is_not(None))
    columns = ["channel", "chat_id", "text", "buttons", "contact_id", "dedupe_key", "status", "attempts", "last_error",
               "created_at"]
    return (upsert_insert(session.get_bind().dialect, D).from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(D.c.id, D.c.dedupe_key))


def _claim_staged(session: Session, now: datetime) -> set[str]:
    """Insert the staged ledger rows, each pointing to its Delivery (if any); returns the keys of those this statement
    inserted — the others were claimed before."""
    delivered = DELIVERED.c
    columns = ["obligation", "obligation_id", "period", "stage", "contact_id", "due_on", "created_at", "delivery_id"]
    staged = (select(S.obligation, S.obligation_id, S.period, S.stage, S.contact_id, S.due_on,
                     literal(now, R.c.created_at.type), delivered.delivery_id)
              .select_from(STAGE.outerjoin(DELIVERED, delivered.dedupe_key == S.dedupe_key))
              .where(true()))  # WHERE: SQLite's upsert after a SELECT needs one
    statement = (upsert_insert(session.get_bind().dialect, R).from_select(columns, staged)
                 .on_conflict_do_nothing(index_elements=KEY_COLUMNS)
                 .returning(R.c.obligation, R.c.obligation_id, R.c.period, R.c.stage, R.c.contact_id))
    return {f"reminder:{row[0]}:{row[1]}:{row[2]}:{row[3]}:{row[4]}" for row in session.execute(statement)}


def chunks(dues: Iterable[Due], size: int = CLAIM_CHUNK) -> Iterator[list[Due]]:
    """Batches of `size` from a (streamed) due set."""
    iterator = iter(dues)
    while batch := list(islice(iterator, size)):
        yield batch
