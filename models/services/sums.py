"""The ledger's sums: the one place that decides what each figure adds to the 台账.

Every update belongs to a ledger *account*: its pairing, or — while no pairing was chosen — its
sender (attributed to the sender's county and organization; the 统计表 shows it as 未指定结对).
Within an account the counted updates (neither withdrawn, rejected nor still flagged) are read
in the order they were sent, figure by figure:

1. an increment (本月投入20万元) adds to the account's total;
2. a running total (累计投入120万元, `ProgressUpdate.cumulative`) *is* the total to date: it
   replaces the total, so 20 then 累计120 gives 120, and increments after it add to 120; one of
   this year (今年累计, 1-11月累计: YEAR_TO_DATE) replaces this year's part only;
3. what an update changed the total by is its `ledger_delta`; the deltas summed per local month
   (Beijing time, LEDGER_ZONE) are the account's `LedgerMonth` rows;
4. the LedgerMonth rows of a county and month added up are its `LedgerCountyMonth` row: a few
   thousand rows that the totals page, the chart and province sums read in milliseconds.

A session hook rewrites the deltas, months and county months of every account whose updates
change, inside the flush that writes the change, so no write path (chat, review page, CLI) can
leave them stale. Every total the bot shows — the chat, the review pages, the Excel export, the
CLI — is read through `figures_by`, so a figure means the same thing everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Integer, and_, bindparam, cast, event, func, inspect, or_, select, true
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.ledger import FIELD_COLUMNS, LedgerCountyMonth, LedgerMonth
from models.pairing import Pairing
from models.registry import Contact, County
from models.services.parsing import FIELD_ORDER, YEAR_TO_DATE
from models.reporting import ProgressUpdate, ReviewStatus

if TYPE_CHECKING:
    from models.services.ledger import Scope

MONEY = ("funds_wan", "committed_wan", "sales_wan")
COUNTS = ("households", "people", "projects")
FIGURES = MONEY + COUNTS
LEDGER_ZONE = ZoneInfo("Asia/Shanghai")
# The largest believable figure of one update (DESIGN): beyond it the parser stores null and flags 数字异常,
# and the review form refuses it.
BOUNDS: dict[str, int] = {**dict.fromkeys(MONEY, 1_000_000), "households": 10_000_000, "people": 10_000_000,
                          "projects": 100_000}
COUNTED = (ReviewStatus.received.value, ReviewStatus.accepted.value)
_COUNTY_LOCK = 0x5042  # advisory-lock namespace for the county sums ("PB")
_LEDGER_LOCK = (0x504C, 0)  # the whole ledger ("PL"): shared by every refresh, exclusive for a rebuild

_UPDATES = ProgressUpdate.__table__  # type: ignore[attr-defined]
_MONTHS = LedgerMonth.__table__  # type: ignore[attr-defined]
_COUNTY_MONTHS = LedgerCountyMonth.__table__  # type: ignore[attr-defined]
_FIELD_COLUMN = dict(zip(FIELD_ORDER, FIELD_COLUMNS))
# Columns whose change moves an update's contribution (the hook ignores every other edit).
_WATCHED = ("pairing_id", "contact_id", "review_status", "withdrawn_at", "created_at", "cumulative", "fields",
            *FIGURES)


@dataclass(frozen=True, order=True)
class Account:
    """A pairing (sender_id None) or, for updates without a pairing, their sender (pairing_id None)."""

    pairing_id: int | None
    sender_id: int | None

    @classmethod
    def of(cls, pairing_id: int | None, contact_id: int | None) -> Account:
        return cls(pairing_id, None) if pairing_id is not None else cls(None, contact_id)


@dataclass(frozen=True)
class Entry:
    """One counted update as the walk reads it."""

    id: int
    values: dict[str, float | int | None]
    cumulative: frozenset[str] = frozenset()
    year: int = 0  # the ledger year it was sent in: a running total "今年累计…" is that year's total to date


def entry_of(update: Any) -> Entry:
    """The walk's view of an update (a ProgressUpdate or a row with its columns)."""
    return Entry(update.id, {key: getattr(update, key) for key in FIGURES}, frozenset(update.cumulative or ()),
                 ledger_year(update.created_at))


def walk(entries: Iterable[Entry], start: dict[str, float] | None = None,
         year_start: dict[str, float] | None = None) -> dict[int, dict[str, float | int]]:
    """update id → what it changed each figure's total by, entries given in the order they were sent
    (after `start`: the account's totals before the first entry; `year_start`: before the first entry's
    year, when that is not `start`).

    A running total replaces the total; one of this year (YEAR_TO_DATE: "今年累计", "1-11月累计")
    replaces only this year's part, the years before it stay."""
    totals: dict[str, float] = dict(start or {})
    opening: dict[str, float] = dict(totals if year_start is None else year_start)  # totals as the year began
    year: int | None = None
    out: dict[int, dict[str, float | int]] = {}
    for entry in entries:
        if year is not None and entry.year != year:
            opening = dict(totals)
        year = entry.year
        delta: dict[str, float | int] = {}
        for key in FIGURES:
            value = entry.values.get(key)
            if value is None:
                continue
            before = totals.get(key, 0)
            if key not in entry.cumulative:
                after = before + value
            elif YEAR_TO_DATE in entry.cumulative:
                after = opening.get(key, 0) + value
            else:
                after = value
            totals[key] = round(after, 4) if key in MONEY else int(after)
            delta[key] = round(totals[key] - before, 4) if key in MONEY else int(totals[key] - before)
        out[entry.id] = delta
    return out


def ledger_month(moment: datetime) -> str:
    """YYYY-MM of a moment in the ledger's calendar (Beijing time)."""
    return moment.astimezone(LEDGER_ZONE).strftime("%Y-%m")


def ledger_year(moment: datetime) -> int:
    """The year of a moment in the ledger's calendar (Beijing time)."""
    return moment.astimezone(LEDGER_ZONE).year


# --- writing: recompute an account -------------------------------------------------------------

def refresh(
    connection: Connection, accounts: Iterable[Account], appended: dict[Account, list[ProgressUpdate]] | None = None,
) -> dict[int, dict[str, float | int]]:
    """Rewrite the deltas and months of these accounts from their updates; returns the changed deltas.

    `appended` accounts only gained these new updates (just written by the session, so their values are
    read from the objects): when they are the account's newest, their deltas are added to the stored
    sums (a report in chat costs a few row reads, not a recount, however long its account's history);
    otherwise the account is recomputed like the others. Accounts are locked (their pairing or
    sender row, on PostgreSQL) in a fixed order, so two workers filing updates for one pairing at
    once serialise instead of each missing the other's.
    """
    if connection.dialect.name == "postgresql":  # wait for a rebuild under way; a rebuild waits for this
        connection.execute(select(func.pg_advisory_xact_lock_shared(*_LEDGER_LOCK)))
    changed: dict[int, dict[str, float | int]] = {}
    counties: set[int | None] = set()
    increments: dict[tuple[int | None, str], dict[str, Any]] = {}
    full, appended = set(accounts), appended or {}
    for account in sorted(full | set(appended), key=_order):  # one lock order for every account
        added = None if account in full else _append(connection, account, appended[account], increments)
        changed.update(_refresh_one(connection, account, counties) if added is None else added)
    for county_id in sorted(counties | {county for county, _ in increments}, key=lambda c: -1 if c is None else c):
        if county_id in counties:
            _refresh_county(connection, county_id)
        else:
            _add_to_county(connection, county_id, {month: values for (county, month), values in increments.items()
                                                   if county == county_id})
    return changed


def _order(account: Account) -> tuple[int, int]:
    return account.pairing_id or 0, account.sender_id or 0


def _blank_month() -> dict[str, Any]:
    return {**dict.fromkeys(FIGURES, 0), "updates": 0, "fields": {}}


def _append(
    connection: Connection, account: Account, added: list[ProgressUpdate],
    increments: dict[tuple[int | None, str], dict[str, Any]],
) -> dict[int, dict[str, float | int]] | None:
    """Add new updates that are the account's newest to its stored sums; None when a recount is needed.

    One statement reads the account's owner, whether any earlier-sent update came in after these, and the
    stored months: a report's sums cost few round trips. On PostgreSQL the owner's row is locked first, by a
    statement of its own: a statement that waited for a row lock still reads the other tables as they were
    when it started, so the months must be read by the next one."""
    rows = sorted(added, key=lambda update: (update.created_at, update.id))
    if not rows:
        return {}
    if connection.dialect.name == "postgresql":
        _owner(connection, account)
    statements = _append_statements(account.pairing_id is not None)
    owner = {"owner": account.pairing_id if account.pairing_id is not None else account.sender_id}
    first = rows[0]
    found = connection.execute(statements["owner_months"], {
        **owner, "ids": [row.id for row in rows], "first_at": first.created_at, "first_id": first.id}).all()
    county_id, organization_id = (found[0].owner_county, found[0].owner_organization) if found else (None, None)
    later = found[0].later if found else 0
    stored = [row for row in found if row.id is not None]
    if later or any(row.county_id != county_id for row in stored):
        return None  # an update sent earlier, or a contact that moved county: recount
    start = {key: sum(row._mapping[key] for row in stored) for key in FIGURES}
    january = f"{ledger_year(first.created_at):04d}-01"
    year_start = {key: sum(row._mapping[key] for row in stored if row.month < january) for key in FIGURES}
    counted = [r for r in rows if r.withdrawn_at is None and r.review_status in COUNTED]
    deltas = walk((entry_of(r) for r in counted), start, year_start)
    if deltas:
        connection.execute(statements["delta"],
                           [{"row_id": row_id, "ledger_delta": delta} for row_id, delta in deltas.items()])
    months: dict[str, dict[str, Any]] = {}
    for row in counted:
        month = months.setdefault(ledger_month(row.created_at), _blank_month())
        _add_update(month, deltas[row.id], row.fields)
    existing = {row.month: row for row in stored}
    for label, values in months.items():
        total = increments.setdefault((county_id, label), _blank_month())
        _merge(total, values)
        if label in existing:
            row = existing[label]
            merged = {**{key: row._mapping[key] for key in FIGURES}, "updates": row.updates, "fields": dict(row.fields or {})}
            _merge(merged, values)
            connection.execute(statements["month_update"], {"month_id": row.id, **_stored(merged)})
        else:
            connection.execute(_MONTHS.insert(), {
                "pairing_id": account.pairing_id, "sender_id": account.sender_id, "county_id": county_id,
                "organization_id": organization_id, "month": label, **_stored(values)})
    return deltas


@cache
def _append_statements(by_pairing: bool) -> dict[str, Any]:
    """The statements of `_append`, built once (building them is most of the cost of a report's sums)."""
    u, m = _UPDATES.c, _MONTHS.c
    table = Pairing.__table__ if by_pairing else Contact.__table__  # type: ignore[attr-defined]
    owner = bindparam("owner")
    of_updates = u.pairing_id == owner if by_pairing else and_(u.pairing_id.is_(None), u.contact_id == owner)
    of_months = m.pairing_id == table.c.id if by_pairing else and_(m.pairing_id.is_(None), m.sender_id == table.c.id)
    ids = bindparam("ids", expanding=True)
    first_at, first_id = bindparam("first_at", type_=u.created_at.type), bindparam("first_id")
    later = select(func.count()).select_from(_UPDATES).where(
        of_updates, u.id.not_in(ids), or_(u.created_at > first_at, and_(u.created_at == first_at, u.id > first_id)))
    # The owner's row, each stored month beside it (none: one row of NULLs), and the later updates' count.
    owner_months = (
        select(table.c.county_id.label("owner_county"), table.c.organization_id.label("owner_organization"),
               later.scalar_subquery().label("later"),
               m.id, m.month, m.county_id, m.updates, m.fields, *(m[key] for key in FIGURES))
        .select_from(table.outerjoin(_MONTHS, of_months))
        .where(table.c.id == owner))
    return {
        "owner_months": owner_months,
        "delta": _UPDATES.update().where(u.id == bindparam("row_id")),
        "month_update": _MONTHS.update().where(m.id == bindparam("month_id")),
    }


def _add_update(month: dict[str, Any], delta: dict[str, float | int], fields: Any) -> None:
    """Count one update into a month's figures: its delta, one update, the fields it names."""
    for key, value in delta.items():
        month[key] += value
    month["updates"] += 1
    for name in fields or ():
        month["fields"][name] = month["fields"].get(name, 0) + 1


def _merge(total: dict[str, Any], values: dict[str, Any]) -> None:
    for key in (*FIGURES, "updates"):
        total[key] += values[key]
    for name, n in values["fields"].items():
        total["fields"][name] = total["fields"].get(name, 0) + n


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """A month's figures as LedgerMonth columns (money rounded to the ledger's 4 decimals)."""
    return {**{key: round(values[key], 4) if key in MONEY else values[key] for key in FIGURES},
            "updates": values["updates"], "fields": values["fields"]}


def _account_filter(table: Any, account: Account) -> Any:
    if account.pairing_id is not None:
        return table.c.pairing_id == account.pairing_id
    if table is _UPDATES:
        return and_(table.c.pairing_id.is_(None), table.c.contact_id == account.sender_id)
    return and_(table.c.pairing_id.is_(None), table.c.sender_id == account.sender_id)


def _owner(connection: Connection, account: Account) -> tuple[int | None, int | None]:
    """(county id, organization id) of the account, locking its row against concurrent refreshes."""
    by_pairing = account.pairing_id is not None
    query = _owner_statement(by_pairing, connection.dialect.name == "postgresql")
    row = connection.execute(query, {"row_id": account.pairing_id if by_pairing else account.sender_id}).first()
    return (row[0], row[1]) if row is not None else (None, None)


@cache
def _owner_statement(by_pairing: bool, lock: bool) -> Any:
    table = Pairing.__table__ if by_pairing else Contact.__table__  # type: ignore[attr-defined]
    query = select(table.c.county_id, table.c.organization_id).where(table.c.id == bindparam("row_id"))
    if lock:
        query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE: inserting an update holds FOR KEY SHARE
    return query


def _refresh_one(connection: Connection, account: Account, counties: set[int | None]) -> dict[int, dict[str, float | int]]:
    """Rewrite one account's deltas and months; adds the counties whose sums this touches to `counties`."""
    county_id, organization_id = _owner(connection, account)
    counties.add(county_id)
    counties.update(connection.execute(  # the county the rows were filed under before (a moved contact)
        select(_MONTHS.c.county_id).where(_account_filter(_MONTHS, account)).distinct()).scalars())
    u = _UPDATES.c
    rows = connection.execute(
        select(u.id, u.created_at, u.review_status, u.withdrawn_at, u.cumulative, u.fields, u.ledger_delta,
               *(u[key] for key in FIGURES))
        .where(_account_filter(_UPDATES, account)).order_by(u.created_at, u.id)
    ).all()
    counted = [r for r in rows if r.withdrawn_at is None and r.review_status in COUNTED]
    deltas = walk(entry_of(r) for r in counted)
    changed = {row.id: deltas.get(row.id, {}) for row in rows if (row.ledger_delta or {}) != deltas.get(row.id, {})}
    if changed:  # one executemany, not a statement per row (a rebuild rewrites every update)
        connection.execute(_UPDATES.update().where(u.id == bindparam("row_id")),
                           [{"row_id": row_id, "ledger_delta": delta} for row_id, delta in changed.items()])
    months: dict[str, dict[str, Any]] = {}
    for row in counted:
        _add_update(months.setdefault(ledger_month(row.created_at), _blank_month()), deltas[row.id], row.fields)
    connection.execute(_MONTHS.delete().where(_account_filter(_MONTHS, account)))
    if months:
        connection.execute(_MONTHS.insert(), [
            {"pairing_id": account.pairing_id, "sender_id": account.sender_id, "county_id": county_id,
             "organization_id": organization_id, "month": label, **_stored(values)}
            for label, values in sorted(months.items())
        ])
    return changed


def _county_filter(table: Any, county_id: int | None) -> Any:
    return table.c.county_id.is_(None) if county_id is None else table.c.county_id == county_id


def _refresh_county(connection: Connection, county_id: int | None) -> None:
    """Rewrite the county's LedgerCountyMonth rows as the sum of its accounts' months.

    On PostgreSQL a transaction-scoped advisory lock per county makes concurrent refreshes of two
    pairings of one county take turns, so neither writes a sum that misses the other's accounts."""
    _lock_county(connection, county_id)
    m = _MONTHS.c
    months: dict[str, dict[str, Any]] = {}
    for row in connection.execute(select(m.month, m.updates, m.fields, *(m[key] for key in FIGURES))
                                  .where(_county_filter(_MONTHS, county_id))):
        _merge(months.setdefault(row.month, _blank_month()),
               {**{key: row._mapping[key] for key in FIGURES}, "updates": row.updates, "fields": row.fields or {}})
    connection.execute(_COUNTY_MONTHS.delete().where(_county_filter(_COUNTY_MONTHS, county_id)))
    if months:
        connection.execute(_COUNTY_MONTHS.insert(), [{"county_id": county_id, "month": label, **_county_columns(values)}
                                                     for label, values in sorted(months.items())])


def _county_columns(values: dict[str, Any]) -> dict[str, Any]:
    """A month's figures as LedgerCountyMonth columns: the fields counted in one column each."""
    columns = {**_stored(values), **dict.fromkeys(FIELD_COLUMNS, 0)}
    del columns["fields"]
    for name, n in values["fields"].items():
        if name in _FIELD_COLUMN:
            columns[_FIELD_COLUMN[name]] += int(n)
    return columns


def _lock_county(connection: Connection, county_id: int | None) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_COUNTY_LOCK, county_id or 0)))


def _add_to_county(connection: Connection, county_id: int | None, months: dict[str, dict[str, Any]]) -> None:
    """Add appended updates' month figures to the county's LedgerCountyMonth rows (under its lock)."""
    _lock_county(connection, county_id)
    add = _county_statement(county_id is None)
    for label, values in months.items():
        columns = _county_columns(values)
        added = connection.execute(add, {"the_county": county_id, "the_month": label,
                                         **{f"add_{key}": value for key, value in columns.items()}})
        if added.rowcount == 0:  # the county's first update of that month
            connection.execute(_COUNTY_MONTHS.insert(), {"county_id": county_id, "month": label, **columns})


@cache
def _county_statement(no_county: bool) -> Any:
    """Adding to the county's row of a month (every column `_county_columns` gives), built once."""
    c = _COUNTY_MONTHS.c
    county = c.county_id.is_(None) if no_county else c.county_id == bindparam("the_county")
    keys = _county_columns(_blank_month())
    return _COUNTY_MONTHS.update().where(county, c.month == bindparam("the_month")).values(
        {key: c[key] + bindparam(f"add_{key}", type_=c[key].type) for key in keys})


def rebuild_all(connection: Connection) -> int:
    """Recompute every account from scratch (after a migration, or `pairbot ledger rebuild`); returns how many.

    On PostgreSQL the rebuild holds the ledger's advisory lock exclusively, and every `refresh` holds it shared:
    it waits for the reports being filed (by `pairbot run`) to commit, and they wait for it. So an account first
    written meanwhile — a new sender's first report — is neither missed by the rebuild's list of accounts nor
    deleted after it was summed. A report that already holds rows the rebuild locks can still meet it in a
    deadlock: `rebuild_with_retries` runs it again."""
    u = _UPDATES.c
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(*_LEDGER_LOCK)))
    accounts = {Account(pid, None) for (pid,) in connection.execute(
        select(u.pairing_id).where(u.pairing_id.is_not(None)).distinct())}
    accounts |= {Account(None, cid) for (cid,) in connection.execute(
        select(u.contact_id).where(u.pairing_id.is_(None)).distinct())}
    connection.execute(_MONTHS.delete())
    connection.execute(_COUNTY_MONTHS.delete())
    refresh(connection, accounts)
    return len(accounts)


RETRIED = {"40P01", "40001"}  # deadlock detected, serialization failure: PostgreSQL undid it, it can run again


def rebuild_with_retries(engine: Engine, attempts: int = 8) -> int:
    """`rebuild_all` in a transaction of its own, run again when PostgreSQL broke a deadlock with it."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as connection:
                return rebuild_all(connection)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRIED or attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


# --- the session hook -----------------------------------------------------------------------------

_PENDING = "ledger_accounts"


def _collect(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: note the accounts (old and new) of every update whose counted figures change —
    with the new updates when that is all that happened to the account (see `refresh`)."""
    pending: dict[Account, list[ProgressUpdate] | None] = session.info.setdefault(_PENDING, {})

    def recount(account: Account) -> None:
        pending[account] = None

    for obj in session.new:
        if isinstance(obj, ProgressUpdate):
            account = Account.of(obj.pairing_id, obj.contact_id)
            added = pending.setdefault(account, [])
            if added is not None:
                added.append(obj)
    for obj in session.deleted:
        if isinstance(obj, ProgressUpdate):
            recount(Account.of(obj.pairing_id, obj.contact_id))
    for obj in session.dirty:
        if not isinstance(obj, ProgressUpdate):
            continue
        state = inspect(obj)
        if not any(state.attrs[name].history.has_changes() for name in _WATCHED):
            continue
        recount(Account.of(obj.pairing_id, obj.contact_id))
        old_pairing = state.attrs.pairing_id.history.deleted
        old_sender = state.attrs.contact_id.history.deleted
        if old_pairing or old_sender:
            recount(Account.of(old_pairing[0] if old_pairing else obj.pairing_id,
                               old_sender[0] if old_sender else obj.contact_id))


def _apply(session: Session, _context: Any) -> None:
    """After the flush, in its transaction: bring those accounts' sums up to date; keep loaded updates in step."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    full = [account for account, added in pending.items() if added is None]
    appended = {account: added for account, added in pending.items() if added}
    changed = refresh(session.connection(), full, appended)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, ProgressUpdate) and obj.id in changed:
            set_committed_value(obj, "ledger_delta", changed[obj.id])


def _forget(session: Session, _previous: Any = None) -> None:
    session.info.pop(_PENDING, None)


event.listen(Session, "before_flush", _collect)
event.listen(Session, "after_flush_postexec", _apply)
event.listen(Session, "after_soft_rollback", _forget)


# --- reading: the one way totals are computed ------------------------------------------------------

@dataclass
class Figures:
    """What a set of ledger accounts adds up to: the four questions' numbers."""

    funds_wan: float = 0.0
    committed_wan: float = 0.0
    sales_wan: float = 0.0
    households: int = 0
    people: int = 0
    projects: int = 0
    updates: int = 0
    fields: dict[str, int] = field(default_factory=dict)  # assistance field → counted updates naming it

    def add(self, other: Figures) -> None:
        for key in (*FIGURES, "updates"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        for name, n in other.fields.items():
            self.fields[name] = self.fields.get(name, 0) + n
        self.round()

    def round(self) -> None:
        for key in MONEY:
            setattr(self, key, round(getattr(self, key), 4))


class ShowsFigures:
    """The ledger figures of a row that holds `figures` (a Totals row, a pairing summary), by name."""

    figures: Figures

    @property
    def funds_wan(self) -> float:
        return self.figures.funds_wan

    @property
    def committed_wan(self) -> float:
        return self.figures.committed_wan

    @property
    def sales_wan(self) -> float:
        return self.figures.sales_wan

    @property
    def households(self) -> int:
        return self.figures.households

    @property
    def people(self) -> int:
        return self.figures.people

    @property
    def projects(self) -> int:
        return self.figures.projects

    @property
    def updates(self) -> int:
        return self.figures.updates

    @property
    def fields(self) -> dict[str, int]:
        return self.figures.fields


# What each grouping reads: the small county table where a county is fine-grained enough, else the accounts.
_COARSE = {"all": (), "province": (County.province,), "county": (LedgerCountyMonth.county_id,),
           "month": (LedgerCountyMonth.month,)}
_FINE = {"pairing": (LedgerMonth.pairing_id,), "organization": (LedgerMonth.organization_id,),
         "account": (LedgerMonth.pairing_id, LedgerMonth.sender_id, LedgerMonth.county_id,
                     LedgerMonth.organization_id),
         "month": (LedgerMonth.month,), "all": (), "province": (County.province,),
         "county": (LedgerMonth.county_id,)}
GROUPS = frozenset(_COARSE) | frozenset(_FINE)


def figures_by(
    session: Session, scope: Scope, by: str, *, year: int | None = None, pairing_ids: Sequence[int] | None = None,
    county_id: int | None = None, with_fields: bool = False,
) -> dict[Any, Figures]:
    """Ledger figures grouped `by` one of GROUPS (key: the group's value, a tuple for "account", None for "all").

    The scope keeps the accounts of counties in the admin's provinces (an account with no known county
    is seen only by an admin of every province); `year` keeps the months of that calendar year;
    `pairing_ids` keeps those pairings; `county_id` keeps that county's accounts (its pairings and its
    contacts' unfiled updates). Fields are counted when `with_fields` (always, from the county table).
    """
    coarse = by in _COARSE and pairing_ids is None
    keys = (_COARSE if coarse else _FINE)[by]
    columns = (*FIGURES, "updates", *(FIELD_COLUMNS if coarse else ()))
    query = _figures_query(by, coarse, year is not None, pairing_ids is not None, county_id is not None)
    if scope.provinces is not None:
        query = query.where(_in_scope(scope))
    params: dict[str, Any] = {}
    if year is not None:
        params.update(first_month=f"{year:04d}-01", last_month=f"{year:04d}-12")
    if pairing_ids is not None:
        params["pairing_ids"] = list(pairing_ids)
    if county_id is not None:
        params["county_id"] = county_id
    out: dict[Any, Figures] = {}
    for row in session.execute(query, params).all():
        values = dict(zip(columns, row[len(keys):]))
        figures = Figures(**{key: float(values[key]) if key in MONEY else int(values[key]) for key in FIGURES},
                          updates=int(values["updates"]))
        figures.fields = {name: int(values[column]) for name, column in _FIELD_COLUMN.items()
                          if coarse and values[column]}
        figures.round()
        out[_key(row[:len(keys)])] = figures
    if by == "all" and None not in out:
        out[None] = Figures()
    if with_fields and not coarse:
        conditions = [_in_scope(scope)]
        if year is not None:
            conditions.append(LedgerMonth.month.between(  # type: ignore[attr-defined]
                f"{year:04d}-01", f"{year:04d}-12"))
        if pairing_ids is not None:
            conditions.append(LedgerMonth.pairing_id.in_(list(pairing_ids)))  # type: ignore[union-attr]
        if county_id is not None:
            conditions.append(LedgerMonth.county_id == county_id)
        each = (func.json_each_text if session.get_bind().dialect.name == "postgresql" else func.json_each)(
            LedgerMonth.fields).table_valued("key", "value")
        query = (select(*keys, each.c.key, func.sum(cast(each.c.value, Integer))).select_from(LedgerMonth)
                 .outerjoin(County, County.id == LedgerMonth.county_id).join(each, true())
                 .where(*conditions).group_by(*keys, each.c.key))
        for row in session.execute(query).all():  # summed in SQL: a few rows per group, however many months
            target = out.setdefault(_key(row[:len(keys)]), Figures())
            target.fields[row[-2]] = target.fields.get(row[-2], 0) + int(row[-1])
    return out


@cache
def _figures_query(by: str, coarse: bool, by_year: bool, by_pairings: bool, by_county: bool = False) -> Any:
    """The statement of `figures_by` without its scope, built once per shape (values are bound at execution)."""
    table = LedgerCountyMonth if coarse else LedgerMonth
    keys = (_COARSE if coarse else _FINE)[by]
    conditions = []
    if by_year:
        conditions.append(table.month.between(  # type: ignore[attr-defined]
            bindparam("first_month"), bindparam("last_month")))
    if by_pairings:
        conditions.append(LedgerMonth.pairing_id.in_(  # type: ignore[union-attr]
            bindparam("pairing_ids", expanding=True)))
    if by_county:
        conditions.append(table.county_id == bindparam("county_id"))
    columns = (*FIGURES, "updates", *(FIELD_COLUMNS if coarse else ()))
    sums = [func.coalesce(func.sum(getattr(table, key)), 0) for key in columns]
    query = (select(*keys, *sums).select_from(table)
             .outerjoin(County, County.id == table.county_id).where(*conditions))
    return query.group_by(*keys) if keys else query


def _key(values: Sequence[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def _in_scope(scope: Scope) -> Any:
    if scope.provinces is None:
        return true()
    return scope.county_filter()

