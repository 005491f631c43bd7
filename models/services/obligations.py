"""What pairings owe and by when: report cycles and deadlines, their due dates and reminder stages.

Two tables hold obligations. A `Deadline` is one dated obligation fulfilled by a record (kind
`agreement`: a current Agreement of the pairing whose season is the due date's year; see
`models.services.agreements`, which records them — `record_agreement` is re-exported here; the
yearly one is made per season by `models.services.seasons`). A
`ReportCycle` recurs — `monthly`, `quarterly`, `annual` — and is fulfilled, per pairing and
period, by a progress update. Both carry reminder `stages` (days before the due date) and a
`scope`: `{}` for every active pairing, `{"provinces": [...]}`, `{"pairings": [ids]}`, plus
optional `{"roles": [...]}` naming which contacts (organization, county) are reminded.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.i18n import N_, _

from models.messaging import Delivery
from models.pairing import Pairing
from models.registry import Contact, Role
from models.reminders import ObligationKind, ReminderSent
from models.reporting import Deadline, ProgressUpdate, ReportCycle
from models.services.agreements import AgreementError, AgreementResult, record_agreement  # noqa: F401  (re-exported)
from models.services.audit import audit
from models.services.provinces import UnknownProvince, canonical
from models.services.workcalendar import WorkCalendar, local_midnight

AGREEMENT = "agreement"
CYCLE_KINDS = ("monthly", "quarterly", "annual")
KINDS = (AGREEMENT, *CYCLE_KINDS)
KIND_LABELS = {AGREEMENT: N_("签订帮扶协议"), "monthly": N_("月度进展"), "quarterly": N_("季度进展"),
               "annual": N_("年度报送")}
# The names pairbot gives the obligations it makes (models.services.seasons): shown translated; names people
# gave stay as written.
DEFAULT_NAMES = (N_("月度进展"), N_("年度统计"))
_SEASON_NAME = re.compile(r"^(\d{4})年帮扶协议签订$")


def obligation_name(name: str) -> str:
    """An obligation's name as shown, in the locale in force: pairbot's own names are translated."""
    season = _SEASON_NAME.match(name)
    if season:
        return _("{season}年帮扶协议签订").format(season=season.group(1))
    return _(name) if name in DEFAULT_NAMES else name


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind
REMINDED_ROLES = (Role.organization.value, Role.county.value)
MAX_STAGE = 366


class ObligationError(ValueError):
    """An obligation request that cannot be done; the message says what was wrong, in the locale in force."""


@dataclass(frozen=True)
class Obligation:
    """A ReportCycle or a Deadline as the planner sees it."""

    source: ObligationKind  # deadline / cycle
    id: int
    name: str
    kind: str  # agreement / monthly / quarterly / annual
    due_rule: str  # deadline: YYYY-MM-DD; monthly/quarterly: end | day:N; annual: MM-DD
    stages: tuple[int, ...]  # days before the due date, largest first
    provinces: tuple[str, ...] = ()
    pairings: tuple[int, ...] = ()
    roles: tuple[str, ...] = REMINDED_ROLES
    active: bool = True
    since: datetime | None = None  # when it was created: periods due before then are never overdue
    season: int | None = None  # the yearly agreement deadline pairbot made for this season (models.services.seasons)

    @property
    def by_record(self) -> bool:
        """Fulfilled by a record (an Agreement), not by a progress update."""
        return self.kind == AGREEMENT

    @property
    def counts_plain_updates(self) -> bool:
        """Progress cycles accept any update sent during the period; annual reports must be filed under them."""
        return self.kind in ("monthly", "quarterly")

    def scope_text(self) -> str:
        parts = []
        if self.provinces:
            parts.append(_("、").join(self.provinces))
        if self.pairings:
            parts.append(_("结对 {ids}").format(ids=",".join(map(str, self.pairings))))
        if tuple(self.roles) != REMINDED_ROLES:
            parts.append(_("提醒{roles}").format(roles=_("、").join(_(Role(r).label) for r in self.roles)))
        return _("；").join(parts) or _("全部结对")


@dataclass(frozen=True)
class Occurrence:
    """One period of an obligation: what is due, on which (working) day, and the window it covers."""

    obligation: Obligation
    period: str  # 2026-08, 2026-Q3, 2026; a deadline's nominal date
    due: date  # after the working-day rule
    opens: datetime  # UTC start of the period: plain progress updates from here on count
    closes: datetime  # UTC end of the due date
    calendar: WorkCalendar  # the working days its stages keep to

    def stage_day(self, stage: int) -> date:
        """`stage` days before the (moved) due date, or the working day before that when it is not one."""
        return self.calendar.previous_workday(self.due - timedelta(days=stage))

    def stage_time(self, stage: int, zone: ZoneInfo) -> datetime:
        """Stage reminders become due at the start of their stage day.

        Stages that land on the same working day (3 and 1 days before a Monday) are one message: the
        later stage, as after downtime.
        """
        return local_midnight(self.stage_day(stage), zone)

    def latest_stage(self, now: datetime, zone: ZoneInfo) -> int | None:
        """The most recent stage whose time has come, while the due date has not passed; None otherwise.

        Only this one is sent: after downtime the earlier, stale stages are skipped.
        """
        if now >= self.closes:
            return None
        passed = [s for s in self.obligation.stages if self.stage_time(s, zone) <= now]
        return min(passed) if passed else None

    def escalation_ends(self, days: int, zone: ZoneInfo) -> datetime:
        """The end of the overdue digests' window: `days` days from the first working day after the due date.

        Counted from a working day, so a long holiday right after the due date cannot swallow it.
        """
        first = self.calendar.due_date(self.due + timedelta(days=1))
        return local_midnight(first + timedelta(days=days), zone)

    def can_be_overdue(self, zone: ZoneInfo) -> bool:
        """Periods due before the obligation was created are never overdue: adding one does not judge history."""
        since = self.obligation.since
        return since is None or self.due >= since.astimezone(zone).date()

    @property
    def title(self) -> str:
        """月度进展（2026年8月）, 2026年帮扶协议签订"""
        return titled(self.obligation.name, self.obligation.kind, self.period)


# --- due rules and periods -------------------------------------------------------------------------

_DAY_RULE = re.compile(r"^day:([1-9]|[12][0-9]|3[01])$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def check_due_rule(kind: str, rule: str) -> str:
    """The rule, normalised; ObligationError naming what is expected for this kind."""
    rule = rule.strip()
    if kind == AGREEMENT:
        try:
            return date.fromisoformat(rule).isoformat()
        except ValueError:
            raise ObligationError(_("截止日期应为 YYYY-MM-DD，例如 2026-08-31，而不是“{rule}”").format(rule=rule)) from None
    if kind in ("monthly", "quarterly"):
        if rule == "end" or _DAY_RULE.match(rule):
            return rule
        raise ObligationError(_("{kind}的截止规则应为 end（期末最后一天）或 day:N（下期第 N 天），而不是“{rule}”").format(
            kind=kind_label(kind), rule=rule))
    if kind == "annual":
        if _MONTH_DAY.match(rule) and _valid_month_day(rule):
            return rule
        raise ObligationError(_("年度报送的截止日应为 MM-DD，例如 12-31，而不是“{rule}”").format(rule=rule))
    raise ObligationError(_("类型应为 {kinds} 之一，而不是“{kind}”").format(kinds=_("、").join(KINDS), kind=kind))


def _valid_month_day(rule: str) -> bool:
    month, day = map(int, rule.split("-"))
    return day <= calendar.monthrange(2024, month)[1]  # a leap year: 02-29 is allowed


def check_stages(stages: Iterable[int]) -> tuple[int, ...]:
    values = sorted(set(stages), reverse=True)
    if not values:
        raise ObligationError(_("至少需要一个提醒节点（截止前的天数），例如 30,14,7,3,1"))
    if any(s < 0 or s > MAX_STAGE for s in values):
        raise ObligationError(_("提醒节点应为 0 到 {max} 之间的天数").format(max=MAX_STAGE))
    return tuple(values)


def parse_stages(text: str) -> tuple[int, ...]:
    """'30,14,7' (also full-width commas and spaces) → (30, 14, 7)."""
    parts = [p for p in re.split(r"[,，、\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise ObligationError(_("提醒节点应为用逗号分隔的天数，例如 30,14,7,3,1，而不是“{text}”").format(text=text))
    return check_stages(int(p) for p in parts)


def period_label(kind: str, period: str) -> str:
    """2026年8月, 2026年第3季度, 2026年 — in the locale in force."""
    if kind == "monthly":
        year, month = period.split("-")
        return _(MONTH_PERIODS[int(month) - 1]).format(year=year)
    if kind == "quarterly":
        year, quarter = period.split("-Q")
        return _("{year}年第{quarter}季度").format(year=year, quarter=quarter)
    if kind == "annual":
        return _("{year}年").format(year=period)
    return ""


# One msgid per month, so English can say “August 2026”.
MONTH_PERIODS = (N_("{year}年1月"), N_("{year}年2月"), N_("{year}年3月"), N_("{year}年4月"), N_("{year}年5月"),
                 N_("{year}年6月"), N_("{year}年7月"), N_("{year}年8月"), N_("{year}年9月"), N_("{year}年10月"),
                 N_("{year}年11月"), N_("{year}年12月"))


def titled(name: str, kind: str, period: str) -> str:
    """月度进展（2026年8月）: an obligation's name with its period, as reminders and replies name it."""
    label = period_label(kind, period)
    shown = obligation_name(name)
    return _("{name}（{period}）").format(name=shown, period=label) if label else shown


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def clamped_date(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _nominal_due(kind: str, rule: str, start: date, months: int) -> date:
    """The due date before the working-day rule, for a period starting on `start` lasting `months` months."""
    if kind == "annual":
        month, day = map(int, rule.split("-"))
        return clamped_date(start.year, month, day)
    following = _add_months(start, months)
    if rule == "end":
        return following - timedelta(days=1)
    return clamped_date(following.year, following.month, int(rule.split(":")[1]))


def _periods(kind: str, around: date, back_days: int, ahead_days: int) -> list[tuple[str, date, int]]:
    """(period key, first day, length in months) of every period starting between the two bounds."""
    first, last = around - timedelta(days=back_days), around + timedelta(days=ahead_days)
    if kind == "annual":
        return [(str(y), date(y, 1, 1), 12) for y in range(first.year - 1, last.year + 1)]
    months = 1 if kind == "monthly" else 3
    start = date(first.year, ((first.month - 1) // months) * months + 1, 1)
    start = _add_months(start, -months)
    found = []
    while start <= last:
        key = f"{start.year}-{start.month:02d}" if months == 1 else f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        found.append((key, start, months))
        start = _add_months(start, months)
    return found


def occurrences(obligation: Obligation, around: date, cal: WorkCalendar, zone: ZoneInfo,
                back_days: int, ahead_days: int) -> list[Occurrence]:
    """The obligation's periods whose due date lies within [around - back_days, around + ahead_days]."""
    low, high = around - timedelta(days=back_days), around + timedelta(days=ahead_days)
    if obligation.source is ObligationKind.deadline:
        nominal = date.fromisoformat(obligation.due_rule)
        due = cal.due_date(nominal)
        opens = local_midnight(nominal - timedelta(days=MAX_STAGE), zone)  # unused: a record fulfils a deadline
        found = [Occurrence(obligation, nominal.isoformat(), due, opens, local_midnight(due + timedelta(days=1), zone),
                            cal)]
    else:
        found = []
        # A period's due date can fall up to about four months after its start (quarterly, day:N).
        for key, start, months in _periods(obligation.kind, around, back_days + 130, ahead_days):
            due = cal.due_date(_nominal_due(obligation.kind, obligation.due_rule, start, months))
            found.append(Occurrence(obligation, key, due, local_midnight(start, zone),
                                    local_midnight(due + timedelta(days=1), zone), cal))
    return [o for o in found if low <= o.due <= high]


def next_occurrence(obligation: Obligation, today: date, cal: WorkCalendar, zone: ZoneInfo) -> Occurrence | None:
    """The first period due today or later (None for a deadline that has passed)."""
    found = occurrences(obligation, today, cal, zone, 0, MAX_STAGE + 130)
    return min(found, key=lambda o: o.due, default=None)


# --- loading and editing obligations ---------------------------------------------------------------

def _as_obligation(row: ReportCycle | Deadline) -> Obligation:
    scope = row.scope or {}
    roles = tuple(r for r in REMINDED_ROLES if r in scope.get("roles", REMINDED_ROLES))
    common: dict[str, Any] = dict(
        id=row.id, name=row.name, kind=row.kind, stages=check_stages(row.stages or [0]),
        provinces=tuple(scope.get("provinces", ())), pairings=tuple(int(p) for p in scope.get("pairings", ())),
        roles=roles, active=row.active, since=row.created_at,
    )
    if isinstance(row, Deadline):
        return Obligation(source=ObligationKind.deadline, due_rule=row.due_on.isoformat(), season=row.season,
                          **common)
    return Obligation(source=ObligationKind.cycle, due_rule=row.due_rule, **common)


def load_obligations(session: Session, active_only: bool = True) -> list[Obligation]:
    """Deadlines and cycles with a kind the planner knows (others are left to whoever made them)."""
    deadlines = select(Deadline).where(Deadline.kind == AGREEMENT)
    cycles = select(ReportCycle).where(col(ReportCycle.kind).in_(CYCLE_KINDS))
    if active_only:
        deadlines = deadlines.where(Deadline.active == True)  # noqa: E712
        cycles = cycles.where(ReportCycle.active == True)  # noqa: E712
    rows: list[ReportCycle | Deadline] = [*session.exec(deadlines.order_by(Deadline.id)).all(),
                                          *session.exec(cycles.order_by(ReportCycle.id)).all()]
    return [_as_obligation(row) for row in rows]


def _find_row(session: Session, name: str) -> ReportCycle | Deadline | None:
    name = name.strip()
    return (session.exec(select(Deadline).where(Deadline.name == name)).first()
            or session.exec(select(ReportCycle).where(ReportCycle.name == name)).first())


def find_obligation(session: Session, name: str) -> Obligation:
    row = _find_row(session, name)
    if row is None:
        raise ObligationError(_("没有名为“{name}”的报送事项。用 pairbot cycles list 查看现有事项").format(name=name))
    return _as_obligation(row)


def _scope(provinces: Sequence[str], pairings: Sequence[int], roles: Sequence[str] | None) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    if provinces:
        try:  # 四川, 西藏自治區 → the full names counties carry
            scope["provinces"] = sorted(canonical(p for p in provinces if p.strip()))
        except UnknownProvince as exc:
            raise ObligationError(str(exc)) from None
    if pairings:
        scope["pairings"] = sorted(set(pairings))
    if roles is not None:
        unknown = [r for r in roles if r not in REMINDED_ROLES]
        if unknown or not roles:
            raise ObligationError(_("提醒对象应为 organization、county 或两者，而不是“{roles}”").format(roles=",".join(roles)))
        if set(roles) != set(REMINDED_ROLES):
            scope["roles"] = [r for r in REMINDED_ROLES if r in roles]
    return scope


def _check_pairings(session: Session, pairings: Sequence[int]) -> None:
    if not pairings:
        return
    known = set(session.exec(select(Pairing.id).where(col(Pairing.id).in_(list(pairings)))).all())
    missing = sorted(set(pairings) - known)
    if missing:
        raise ObligationError(_("结对编号不存在：{ids}").format(ids=", ".join(map(str, missing))))


def add_obligation(
    session: Session, name: str, kind: str, due: str, stages: Sequence[int], *, provinces: Sequence[str] = (),
    pairings: Sequence[int] = (), roles: Sequence[str] | None = None, actor: str, now: datetime | None = None,
) -> Obligation:
    """Create a deadline (kind agreement) or a report cycle; `now` is its creation time (default: the real now)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ObligationError(_("名称不能为空，且不超过 64 个字"))
    if _find_row(session, name) is not None:
        raise ObligationError(_("已有名为“{name}”的报送事项；修改请用 pairbot cycles set").format(name=name))
    rule = check_due_rule(kind, due)
    checked = list(check_stages(stages))
    _check_pairings(session, pairings)
    scope = _scope(provinces, pairings, roles)
    row: ReportCycle | Deadline
    if kind == AGREEMENT:
        row = Deadline(name=name, kind=kind, due_on=date.fromisoformat(rule), stages=checked, scope=scope)
    else:
        row = ReportCycle(name=name, kind=kind, due_rule=rule, stages=checked, scope=scope)
    if now is not None:
        row.created_at = now
    session.add(row)
    session.flush()
    audit(session, actor, "obligation.add", f"{_source(row)}:{row.id}", name=name, kind=kind, due=rule,
          stages=checked, scope=scope)
    return _as_obligation(row)


def _source(row: ReportCycle | Deadline) -> str:
    return ObligationKind.deadline.value if isinstance(row, Deadline) else ObligationKind.cycle.value


def change_obligation(
    session: Session, name: str, *, actor: str, due: str | None = None, stages: Sequence[int] | None = None,
    provinces: Sequence[str] | None = None, pairings: Sequence[int] | None = None,
    roles: Sequence[str] | None = None, new_name: str | None = None,
) -> Obligation:
    """Change what is given; a scope given replaces the old one (`provinces=[]`, `pairings=[]` mean all)."""
    row = _find_row(session, name)
    if row is None:
        raise ObligationError(_("没有名为“{name}”的报送事项。用 pairbot cycles list 查看现有事项").format(name=name))
    before = _as_obligation(row)
    if due is not None:
        rule = check_due_rule(row.kind, due)
        if isinstance(row, Deadline):
            row.due_on = date.fromisoformat(rule)
        else:
            row.due_rule = rule
    if stages is not None:
        row.stages = list(check_stages(stages))
    if provinces is not None or pairings is not None or roles is not None:
        new_pairings = list(pairings) if pairings is not None else list(before.pairings)
        _check_pairings(session, new_pairings)
        row.scope = _scope(list(provinces) if provinces is not None else list(before.provinces), new_pairings,
                           list(roles) if roles is not None else list(before.roles))
    if new_name is not None and new_name.strip() != row.name:
        if _find_row(session, new_name) is not None:
            raise ObligationError(_("已有名为“{name}”的报送事项").format(name=new_name.strip()))
        row.name = new_name.strip()
    session.add(row)
    session.flush()
    after = _as_obligation(row)
    audit(session, actor, "obligation.set", f"{_source(row)}:{row.id}", name=row.name, before=_describe(before),
          after=_describe(after))
    return after


def _describe(obligation: Obligation) -> dict[str, Any]:
    return {"name": obligation.name, "due": obligation.due_rule, "stages": list(obligation.stages),
            "provinces": list(obligation.provinces), "pairings": list(obligation.pairings),
            "roles": list(obligation.roles)}


def set_active(session: Session, name: str, active: bool, actor: str) -> Obligation:
    """Pause or resume: a paused obligation sends nothing and is left out of digests and summaries."""
    row = _find_row(session, name)
    if row is None:
        raise ObligationError(_("没有名为“{name}”的报送事项。用 pairbot cycles list 查看现有事项").format(name=name))
    if row.active != active:
        row.active = active
        session.add(row)
        audit(session, actor, "obligation.resume" if active else "obligation.pause", f"{_source(row)}:{row.id}",
              name=row.name)
    session.flush()
    return _as_obligation(row)


# --- fulfilling: replies (agreements are recorded in models.services.agreements) -------------------

@dataclass(frozen=True)
class ReplyTarget:
    """The reminder a message answers: its cycle and period are where the update is filed."""

    reminder: ReminderSent
    cycle_id: int
    period: str
    title: str


@cache
def _recent_reminder_query() -> Any:
    """Built once (asked for every private message that replies to nothing): the contact's newest unanswered
    cycle reminder sent since `since`."""
    return (select(ReminderSent).where(ReminderSent.contact_id == bindparam("contact_id"),
                                       ReminderSent.obligation == ObligationKind.cycle,
                                       col(ReminderSent.answered_at).is_(None),
                                       ReminderSent.created_at >= bindparam("since"))
            .order_by(col(ReminderSent.created_at).desc(), col(ReminderSent.id).desc()).limit(1))


def reply_target(
    session: Session, contact: Contact, channel: str, chat_id: str, reply_to_message_id: str | None, now: datetime,
    window: timedelta,
) -> ReplyTarget | None:
    """The report-cycle reminder this message answers, if any.

    A reply (threaded) to a reminder answers that reminder (platform message ids are only unique
    within a chat, so the chat must match too). A message that replies to nothing
    answers the contact's most recent unanswered cycle reminder sent within `window` — for
    channels without reply threading, and for people who do not use it.
    """
    if reply_to_message_id:
        query = (select(ReminderSent).where(ReminderSent.contact_id == contact.id)
                 .join(Delivery, col(Delivery.id) == col(ReminderSent.delivery_id))
                 .where(Delivery.platform_message_id == reply_to_message_id, Delivery.channel == channel,
                        Delivery.chat_id == chat_id))
        reminder = session.exec(
            query.order_by(col(ReminderSent.created_at).desc(), col(ReminderSent.id).desc()).limit(1)).first()
    elif window > timedelta(0):
        reminder = session.exec(_recent_reminder_query(),
                                params={"contact_id": contact.id, "since": now - window}).first()
    else:
        return None
    if reminder is None or reminder.obligation != ObligationKind.cycle:
        return None
    cycle = session.get(ReportCycle, reminder.obligation_id)
    if cycle is None:
        return None
    title = titled(cycle.name, cycle.kind, reminder.period)
    return ReplyTarget(reminder, cycle.id, reminder.period, title)  # type: ignore[arg-type]


def mark_answered(session: Session, target: ReplyTarget, update: ProgressUpdate, now: datetime) -> None:
    reminder = target.reminder
    if reminder.answered_at is None:
        reminder.answered_at = now
        reminder.update_id = update.id
        session.add(reminder)
