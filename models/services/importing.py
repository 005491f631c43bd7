"""`pairbot import {orgs,pairings,contacts,counties} FILE`: stream rows in, keep the good ones, report the bad.

Every row is checked on its own; a bad row is reported with file, row and column and the
others are kept — also a row the file could not give whole (bytes not in its encoding, a cell over
131,072 characters, a NUL) and text longer than its column holds. Rows are matched on a natural
key (credit code, county code, organization and county, contact name and scope), so importing the
same file again changes nothing. Rows are committed in batches, so memory stays flat on large
files; refusals are all counted and the first MAX_LISTED listed.
"""

from __future__ import annotations

import contextvars
import logging
import re
from contextlib import closing
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (Column, Engine, Integer, String, and_, delete, func, insert, literal, or_, text, true, union_all,
                        update)
from sqlalchemy import Sequence as DatabaseSequence
from sqlmodel import Session, select

from bot.db import unit_of_work
from bot.i18n import _, current
from models.base import utcnow
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Organization, Role
from models.services.audit import audit
from models.services.credit_code import CreditCodeError, validate_credit_code
from models.services.phones import PhoneError, normalize_phone
from models.services.provinces import full_name
from models.services.registry import set_pairing_status
from models.services.collector import collector_paused
from models.services.staging import fill, staging_table
from models.services.tabular import (
    CONTACT_COLUMNS,
    COUNTY_COLUMNS,
    ORG_COLUMNS,
    PAIRING_COLUMNS,
    Row,
    TabularError,
    header_matches,
    read_rows,
)
from bot.vocabulary import CONTACT_ROLE, ORG_KIND, ORG_LEVEL, PAIRING_STATUS, Vocabulary

BATCH = 1000
MAX_LISTED = 1000  # refused rows listed with their reasons; the rest are counted
KINDS = ("orgs", "pairings", "contacts", "counties")
log = logging.getLogger(__name__)


class RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("{file} 第 {row} 行，列 {column}：{problem}").format(
                file=self.file, row=self.row, column=self.column, problem=self.message)
        return _("{file} 第 {row} 行：{problem}").format(file=self.file, row=self.row, problem=self.message)


@dataclass
class ImportReport:
    """What an import did. Every refused row is counted; the first MAX_LISTED are kept with their reasons,
    so a file of three million bad rows costs a thousand problems of memory, not three million."""

    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_LISTED refusals
    stopped: str = ""  # why reading stopped before the end of the file (rows before it are kept)

    def refuse(self, row: int, column: str, message: str) -> None:
        self.refused += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(self.file, row, column, message))

    @property
    def unlisted(self) -> int:
        return self.refused - len(self.problems)

    def summary(self) -> str:
        return _("{file}：新增 {created}，更新 {updated}，未变 {unchanged}，拒绝 {refused}").format(
            file=self.file, created=self.created, updated=self.updated, unchanged=self.unchanged, refused=self.refused)


# The header cells of the file being imported (canonical column → as written), for naming columns in problems.
_WRITTEN_HEADERS: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("written_headers", default={})
_SHOWN_HEADER_CHARS = 40


def _column(columns: Mapping[str, Sequence[str]], name: str) -> str:
    """A column as problems name it: `county（帮扶县）`, the canonical name with the first Chinese alias; when the
    file's header says it another way, that header first, so the clerk finds it: `“县名”（county）`, `“Telegram ID”（telegram_id）`."""
    chinese = next((alias for alias in columns[name] if not alias.isascii()), "")
    english = current() == "en"
    written = " ".join(_WRITTEN_HEADERS.get().get(name, "").split())[:_SHOWN_HEADER_CHARS]
    if written and not any(header_matches(written, known) for known in (name, chinese) if known):
        return f'"{written}" ({name})' if english else f"“{written}”（{name}）"
    return f"{name}（{chinese}）" if chinese and not english else name


def too_long(text: str, limit: int) -> str:
    """“超过 64 个字符（实际 65 个）” for text longer than `limit` characters, else ""."""
    if len(text) <= limit:
        return ""
    return _("超过 {limit} 个字符（实际 {length} 个）").format(limit=limit, length=f"{len(text):,}")


class _Importer:
    """One kind of row; subclasses say which columns, how to find the existing row and how to apply one."""

    columns: Mapping[str, Sequence[str]]
    required: tuple[str, ...]
    batch = BATCH  # rows per transaction

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.seen: dict[Any, int] = {}  # natural key -> row number, to refuse duplicates within a file
        self.claimed: list[Any] = []  # keys claimed by the row being applied, released if it is refused
        self.collided: set[Any] = set()  # keys rows were refused for as duplicates of an earlier row
        self._orgs: dict[str, Organization] = {}

    # Columns whose text is stored as it is, with the most characters the table holds
    # (PostgreSQL refuses a longer value, which would fail the whole batch).
    lengths: Mapping[str, Any] = {}
    # Columns that are one line of text (names, codes, accounts): a line break or a control character refuses the row.
    one_line: tuple[str, ...] = ()

    @classmethod
    def col(cls, name: str) -> str:
        return _column(cls.columns, name)

    @classmethod
    def prepare(cls, row: Row) -> Any:
        """What `apply_batch` gets for a row; called by the thread that reads the file, so it must not touch the
        database nor anything an importer changes. A row as it is, unless a kind checks some of it there."""
        return row

    @classmethod
    def check(cls, row: Row) -> None:
        """RowError for a row the file could not give whole, or with text longer than its column holds."""
        if row.problem:
            raise RowError(cls.col(row.column) if row.column else "", row.problem)
        for name, limit in cls._limits():
            if len(row.values.get(name, "")) > limit:
                raise RowError(cls.col(name), too_long(row.values[name], limit))
        values = row.values
        if cls.one_line and _CONTROL.search("".join([values.get(name, "") for name in cls.one_line])):
            for name in cls.one_line:
                if found := _CONTROL.search(values.get(name, "")):
                    raise RowError(cls.col(name), _control_problem(found.group()))

    @classmethod
    def limit(cls, name: str) -> int:
        """The most characters column `name` holds: what `check` refuses beyond (`pairbot invite --name` too)."""
        return dict(cls._limits())[name]

    @classmethod
    def _limits(cls) -> tuple[tuple[str, int], ...]:
        """`lengths` as (column, most characters), read from the model once per class: asking an ORM attribute for
        its type goes through several proxies, which for every column of every row cost more than the check."""
        limits = cls.__dict__.get("_limits_cache")
        if limits is None:
            limits = tuple((name, column.type.length) for name, column in cls.lengths.items())
            cls._limits_cache = limits
        return limits

    @classmethod
    def need(cls, row: Row, name: str) -> str:
        value = row.values.get(name, "")
        if not value:
            raise RowError(cls.col(name), _("不能为空"))
        return value

    @classmethod
    def choice(cls, row: Row, name: str, vocabulary: Vocabulary) -> str:
        """The stored value of an enumerated column ("" when empty); RowError listing what is allowed."""
        value = row.values.get(name, "")
        if not value:
            return ""
        found = vocabulary.read(value)
        if found is None:
            raise RowError(cls.col(name), _("“{value}”不是可用的取值（可用：{allowed}）").format(
                value=value, allowed=vocabulary.allowed()))
        return found

    def province(self, row: Row, name: str) -> str:
        """A province in any common form (四川, 四川省, 西藏自治區), stored by its full name."""
        value = self.need(row, name)
        found = full_name(value)
        if found is None:
            raise RowError(self.col(name), _("“{value}”不是省份（请写省份全称或简称，例如 四川省 或 四川）").format(value=value))
        return found

    def claim(self, key: Any, row: Row | _ReadContact, column: str) -> None:
        first = self.seen.get(key)
        if first is not None:
            self.collided.add(key)
            raise RowError(self.col(column), _("与第 {row} 行重复").format(row=first))
        self.seen[key] = row.number
        self.claimed.append(key)

    def apply(self, row: Row) -> str:
        """Create or update one row; return 'created', 'updated' or 'unchanged', or raise RowError."""
        raise NotImplementedError

    def plan_batch(self, rows: list[Any], report: ImportReport) -> Any:
        """What can be decided about a batch before it is written, while the batch before is being written (with a
        session of its own, read only): the rows as they are, unless a kind plans some of its work here."""
        return rows

    def forget(self, planned: Any) -> None:
        """Undo `plan_batch`'s claims on the in-file keys (the batch is planned again)."""

    def apply_batch(self, planned: Any, report: ImportReport) -> list[Any]:
        """Write a planned batch; the in-file keys that rows refused here held, to be released by the caller (a kind
        that claims keys while writing releases them itself)."""
        self.load_counties()
        for row in planned:
            _apply_row(self.session, self, row, report)
        return []

    def county(self, value: str, column: str) -> County:
        county = self._counties_by_code.get(value) if value.isdigit() else None
        if county is None and not value.isdigit():
            matches = self._counties_by_name.get(value, [])
            if len(matches) > 1:
                raise RowError(self.col(column), _("县名“{value}”不唯一，请改用 6 位行政区划代码").format(value=value))
            county = matches[0] if matches else None
        if county is None:
            raise RowError(self.col(column), _("未找到县“{value}”（请先导入县名单：pairbot import counties）").format(value=value))
        return county

    def load_counties(self) -> None:
        counties = self.session.exec(select(County)).all()
        self._counties_by_code = {c.code: c for c in counties}
        self._counties_by_name: dict[str, list[County]] = {}
        for county in counties:
            self._counties_by_name.setdefault(county.name, []).append(county)

    def organization(self, value: str, column: str) -> Organization:
        org = self._orgs.get(value) or self.session.exec(
            select(Organization).where((Organization.name == value) | (Organization.credit_code == value.upper()))
        ).first()
        if org is not None:
            self._orgs[value] = org
        if org is None:
            raise RowError(self.col(column), _("未找到社会组织“{value}”（请先导入社会组织：pairbot import orgs）").format(
                value=value))
        return org


# Line breaks (also Unicode's line and paragraph separators) and other control characters: none belongs in a name.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _control_problem(char: str) -> str:
    if char in "\r\n\u2028\u2029":
        return _("含有换行，此列只能是一行文字；请删去换行后再导入")
    return _("含有控制字符（U+{code:04X}），请删去后再导入").format(code=ord(char))


def _filled(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the optional cells that are filled in: a blank cell leaves the stored value as it is."""
    return {name: value for name, value in values.items() if value not in ("", None)}


def _changed(obj: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class CountyImporter(_Importer):
    columns = COUNTY_COLUMNS
    required = ("code", "province", "county")
    lengths = {"county": County.name, "province": County.province, "prefecture": County.prefecture}
    one_line = tuple(COUNTY_COLUMNS)

    def apply(self, row: Row) -> str:
        code = self.need(row, "code")
        if len(code) != 6 or not (code.isascii() and code.isdigit()):
            raise RowError(self.col("code"), _("应为 6 位数字的行政区划代码，实际为“{code}”").format(code=code))
        self.claim(code, row, "code")
        values = {"name": self.need(row, "county"), "province": self.province(row, "province")}
        optional = {"prefecture": row.values.get("prefecture", "")}
        county = self.session.exec(select(County).where(County.code == code)).first()
        if county is None:
            self.session.add(County(code=code, level="national", **values, **optional))
            return "created"
        if _changed(county, {**values, **_filled(optional)}):
            self.session.add(county)
            return "updated"
        return "unchanged"


class OrganizationImporter(_Importer):
    columns = ORG_COLUMNS
    required = ("name", "credit_code")
    lengths = {"name": Organization.name, "province": Organization.province, "supervisor": Organization.supervisor}
    one_line = tuple(ORG_COLUMNS)

    def apply(self, row: Row) -> str:
        name = self.need(row, "name")
        try:
            code = validate_credit_code(self.need(row, "credit_code"))
        except CreditCodeError as exc:
            raise RowError(self.col("credit_code"), str(exc)) from None
        self.claim(code, row, "credit_code")
        self.claim(("name", name), row, "name")
        optional = {"level": self.choice(row, "level", ORG_LEVEL), "kind": self.choice(row, "kind", ORG_KIND),
                    "province": self.province(row, "province") if row.values.get("province") else "",
                    "supervisor": row.values.get("supervisor", "")}
        by_name = self.session.exec(select(Organization).where(Organization.name == name)).first()
        if by_name is not None and by_name.credit_code != code:
            raise RowError(self.col("name"), _("名称已属于信用代码为 {code} 的组织").format(code=by_name.credit_code))
        org = self.session.exec(select(Organization).where(Organization.credit_code == code)).first()
        if org is None:
            self.session.add(Organization(credit_code=code, name=name, **optional))
            return "created"
        if _changed(org, {"name": name, **_filled(optional)}):
            self.session.add(org)
            return "updated"
        return "unchanged"


class PairingImporter(_Importer):
    columns = PAIRING_COLUMNS
    required = ("organization", "county")
    one_line = tuple(PAIRING_COLUMNS)

    def apply(self, row: Row) -> str:
        org = self.organization(self.need(row, "organization"), "organization")
        county = self.county(self.need(row, "county"), "county")
        written = self.choice(row, "status", PAIRING_STATUS)
        self.claim((org.id, county.id), row, "county")
        pairing = self.session.exec(
            select(Pairing).where(Pairing.organization_id == org.id, Pairing.county_id == county.id)
        ).first()
        if pairing is None:
            status = PairingStatus(written or PairingStatus.active)
            pairing = Pairing(organization_id=org.id, county_id=county.id, status=status)  # type: ignore[arg-type]
            set_pairing_status(self.session, pairing, status, self.actor, "导入")
            return "created"
        if not written:  # a blank status leaves the pairing's as it is
            return "unchanged"
        status = PairingStatus(written)
        changed = set_pairing_status(self.session, pairing, status, self.actor, "导入")
        return "updated" if changed else "unchanged"


@dataclass(slots=True)
class _PlannedContact:
    row: _ReadContact
    key: tuple[str, str, int | None, int | None]
    phone: str
    identities: list[tuple[str, str]]  # (channel, external id)
    claims: list[Any]  # the in-file keys it holds, released if it is refused after all

    def identity(self, channel: str) -> str:
        return next((external for ch, external in self.identities if ch == channel), "")


@dataclass(slots=True)
class _StagedBatch:
    """A planned batch of contacts: the rows kept, and their staging rows (built while the batch before is written)."""

    plans: list[_PlannedContact]
    staged: list[tuple[Any, ...]]


@dataclass(slots=True)
class _ReadContact:
    """A contact row as far as the reading thread could check it (`ContactImporter.prepare`): its number and what the
    checks after it need, not the row, so a batch waiting for its turn holds a few strings a row."""

    number: int
    county: str  # as written: looked up by `_plan`
    organization: str
    error: RowError | None = None  # refused by the checks before its county and organization are looked up
    later: RowError | None = None  # refused by the checks after them, if those pass
    name: str = ""
    role: Role = Role.county
    phone: str = ""
    identities: list[tuple[str, str]] = field(default_factory=list)  # (channel, external id)


# A batch of checked contact rows next to the registry: matched, upserted and bound set-wise.
CONTACT_STAGE = staging_table(
    "contact_stage",
    Column("n", Integer), Column("name", String(64)), Column("role", String(16)), Column("county_id", Integer),
    Column("organization_id", Integer), Column("phone", String(32)), Column("telegram_id", String(128)),
    Column("wecom_userid", String(128)), Column("contact_id", Integer),
    Column("created", Integer),  # 1 once this batch has created the row's contact: its accounts are all unbound
)
CONTACT_IDS = DatabaseSequence("contact_id_seq")  # PostgreSQL's sequence behind contact.id (a SERIAL)
CS, CT, CI = CONTACT_STAGE.c, Contact.__table__.c, ChannelIdentity.__table__.c  # type: ignore[attr-defined]


class ContactImporter(_Importer):
    """Contacts come in hundreds of thousands: each row is checked in Python (with its reason on refusal), then the
    batch is staged (COPY on PostgreSQL) and matched, inserted, updated and bound with a few set-wise statements."""

    columns = CONTACT_COLUMNS
    required = ("name", "role")
    batch = 5000
    lengths = {"name": Contact.name, "phone": Contact.phone, "telegram_id": ChannelIdentity.external_id,
               "wecom_userid": ChannelIdentity.external_id}
    one_line = tuple(CONTACT_COLUMNS)

    def plan_batch(self, rows: list[_ReadContact], report: ImportReport) -> _StagedBatch:
        """Each row's county and organization looked up and its in-file keys claimed, and the staging rows built."""
        self.load_counties()
        planned = [p for p in (self._checked(read, report) for read in rows) if p is not None]
        return _StagedBatch(planned, [(p.row.number, *p.key, p.phone, p.identity("telegram"), p.identity("wecom"),
                                       None, None) for p in planned])

    def forget(self, planned: _StagedBatch) -> None:
        for plan in planned.plans:
            for key in plan.claims:
                self.seen.pop(key, None)

    def apply_batch(self, planned: _StagedBatch, report: ImportReport) -> list[Any]:  # type: ignore[override]
        """Stage the batch, look its rows up, refuse the ones whose accounts another contact holds (their keys are
        returned, to be released), and write the rest."""
        released: list[Any] = []
        if not planned.plans:
            return released
        _without_jit(self.session)
        fill(self.session, CONTACT_STAGE, planned.staged, analyze=False)
        self.session.execute(_match_contacts())
        found = {row[0]: row[1:] for row in self.session.execute(_lookup()).all()}
        refused: list[int] = []
        needed: set[str] = set()  # the writes this batch calls for: "phone", "contact" and the channels to bind
        for plan in planned.plans:
            contact_id, phone, telegram_owner, wecom_owner = found[plan.row.number]
            try:
                self._check_owners(plan, contact_id, {"telegram": telegram_owner, "wecom": wecom_owner})
            except RowError as exc:
                report.refuse(plan.row.number, exc.column, str(exc))
                released.extend(plan.claims)
                refused.append(plan.row.number)
                continue
            bound = {"telegram": telegram_owner, "wecom": wecom_owner}
            fresh = [ch for ch, _ in plan.identities if bound[ch] is None]
            needed.update(fresh)
            if contact_id is None:
                report.created += 1
                needed.add("contact")
            elif plan.phone and plan.phone != phone:
                report.updated += 1
                needed.add("phone")
            elif fresh:
                report.updated += 1
            else:
                report.unchanged += 1
        for first in range(0, len(refused), 500):
            self.session.execute(delete(CONTACT_STAGE).where(CS.n.in_(refused[first:first + 500])))
        self._write(utcnow(), needed)
        return released

    def _write(self, now: datetime, needed: set[str]) -> None:
        """The staged rows that were kept: new phones, new contacts, then their new chat identities — each statement
        only when the lookup found something for it to do (a re-import writes nothing)."""
        session = self.session
        if "phone" in needed:
            session.execute(update(Contact).where(CT.id == CS.contact_id, CS.phone != "", CT.phone != CS.phone)
                            .values(phone=CS.phone))
        if "contact" in needed:
            drawn = session.get_bind().dialect.name == "postgresql"
            if drawn:
                session.execute(_draw_contact_ids())
            columns = ["name", "role", "county_id", "organization_id", "phone", "provinces", "active", "created_at"]
            values = [CS.name, CS.role, CS.county_id, CS.organization_id, CS.phone, literal([], CT.provinces.type),
                      true(), literal(now, CT.created_at.type)]
            new = (select(*values, *([CS.contact_id] if drawn else []))
                   .where(CS.created == 1 if drawn else CS.contact_id.is_(None)).order_by(CS.n))
            session.execute(insert(Contact).from_select(columns + (["id"] if drawn else []), new))
            if not drawn:
                session.execute(_match_contacts(created=True))
        bound = [select(CS.contact_id, literal(channel), column, literal(now, CI.created_at.type)).where(
                     # A new contact's accounts were found unbound by the lookup (or the row was refused): no probe.
                     column != "", or_(CS.created == 1, _holder(channel, column).is_(None)))
                 for channel, column in (("telegram", CS.telegram_id), ("wecom", CS.wecom_userid))
                 if channel in needed]
        if bound:
            session.execute(insert(ChannelIdentity).from_select(
                ["contact_id", "channel", "external_id", "created_at"], union_all(*bound) if len(bound) > 1 else bound[0]))

    @classmethod
    def prepare(cls, row: Row) -> _ReadContact:
        """The checks that need neither the database nor the rows before, in the reading thread; their refusals are
        kept to be raised by `_plan` in the order the checks have always run (county and organization between)."""
        scope = (row.number, row.values.get("county", ""), row.values.get("organization", ""))
        try:
            cls.check(row)
            name = cls.need(row, "name")
            cls.need(row, "role")
            role = Role(cls.choice(row, "role", CONTACT_ROLE))
        except RowError as exc:
            return _ReadContact(*scope, error=exc)
        read = _ReadContact(*scope, name=name, role=role)
        try:
            read.identities, read.phone = cls._accounts(row, role)
        except RowError as exc:
            read.later = exc
        return read

    @classmethod
    def _accounts(cls, row: Row, role: Role) -> tuple[list[tuple[str, str]], str]:
        """The row's chat accounts and phone, once its scope is filled in as its role requires."""
        values = row.values
        if role is Role.county and not values.get("county"):
            raise RowError(cls.col("county"), _("县联络员必须填写所在县"))
        if role is Role.organization and not values.get("organization"):
            raise RowError(cls.col("organization"), _("社会组织联络人必须填写社会组织"))
        if role is Role.admin:  # an admin's scope is provinces, never a county or an organization
            for name in ("county", "organization"):
                if values.get(name):
                    raise RowError(cls.col(name), _("管理员按省份管理，不属于某个县或社会组织；请把此列留空"))
        telegram_id = values.get("telegram_id", "")
        if telegram_id and not (telegram_id.isascii() and telegram_id.lstrip("-").isdigit()):
            raise RowError(cls.col("telegram_id"), _("Telegram ID 应为数字，实际为“{value}”").format(value=telegram_id))
        identities = [(ch, ext) for ch, ext in (("telegram", telegram_id), ("wecom", values.get("wecom_userid", "")))
                      if ext]
        try:
            phone = normalize_phone(values.get("phone", ""))
        except PhoneError as exc:
            raise RowError(cls.col("phone"), str(exc)) from None
        return identities, phone

    def _checked(self, read: _ReadContact, report: ImportReport) -> _PlannedContact | None:
        self.claimed = []
        try:
            return self._plan(read)
        except RowError as exc:
            self._refuse(read, exc, report)
            return None

    def _refuse(self, row: _ReadContact, exc: RowError, report: ImportReport) -> None:
        for key in self.claimed:
            self.seen.pop(key, None)
        report.refuse(row.number, exc.column, str(exc))

    def _plan(self, read: _ReadContact) -> _PlannedContact:
        """The rest of a row's checks, after `prepare`'s: its county and organization, then the in-file duplicates."""
        if read.error is not None:
            raise read.error
        role = read.role
        county = self.county(read.county, "county") if read.county else None
        org = self.organization(read.organization, "organization") if read.organization else None
        if read.later is not None:
            raise read.later
        key = (read.name, role.value, county.id if county and role is Role.county else None,
               org.id if org and role is Role.organization else None)
        self.claim(key, read, "name")
        for channel, external in read.identities:
            self.claim((channel, external), read, "telegram_id" if channel == "telegram" else "wecom_userid")
        return _PlannedContact(read, key, read.phone, read.identities, self.claimed)

    def _check_owners(self, plan: _PlannedContact, contact_id: int | None, owners: dict[str, int | None]) -> None:
        for channel, external in plan.identities:
            owner = owners[channel]
            if owner is not None and owner != contact_id:
                other = self.session.get(Contact, owner)
                column = "telegram_id" if channel == "telegram" else "wecom_userid"
                raise RowError(self.col(column), _("“{account}”已绑定到联系人“{name}”").format(
                    account=external, name=other.name if other else owner))


# The statements below look each staged row up by index, as correlated subqueries, not as joins: a join lets
# PostgreSQL hash the whole contact or identity table for every batch (its statistics, stale while an import grows
# the table, make that look cheap), so a batch cost as much as the table was large; probes cost what the batch is.

def _match_contacts(created: bool = False) -> Any:
    """UPDATE the staged rows still without a contact id with the registered contact each names (same name, role
    and scope), the lowest id when several do; `created` marks them as contacts this batch has just inserted."""
    # Only the name may be looked up by index: without statistics SQLite would otherwise probe by role or by an
    # empty organization, each shared by thousands of rows.
    same = and_(CT.name == CS.name, CT.role.concat("") == CS.role,
                func.coalesce(CT.county_id, 0) == func.coalesce(CS.county_id, 0),
                func.coalesce(CT.organization_id, 0) == func.coalesce(CS.organization_id, 0))
    return (update(CONTACT_STAGE).where(CS.contact_id.is_(None))
            .values(contact_id=select(func.min(CT.id)).where(same).scalar_subquery(),
                    **({"created": 1} if created else {})))


def _draw_contact_ids() -> Any:
    """PostgreSQL: UPDATE the staged rows still without a contact with ids drawn from the contact sequence (a plain
    scan of the freshly filled stage: file order), marked as created: the insert then writes them, and no second
    lookup has to find what it inserted. (A join to draw them in an ORDER BY costs more than that lookup.)"""
    return (update(CONTACT_STAGE).where(CS.contact_id.is_(None))
            .values(contact_id=CONTACT_IDS.next_value(), created=1))


def _without_jit(session: Session) -> None:
    """PostgreSQL: no JIT compiling for the rest of this transaction. The per-row probes below are cheap, but their
    estimated cost (from a table growing faster than its statistics) passes the JIT thresholds, and compiling and
    optimizing a statement took ~0.6 s where running it takes ~30 ms."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _holder(channel: str, external_id: Any) -> Any:
    """The contact holding this chat account (NULL when none), looked up by the (channel, external_id) key."""
    return (select(CI.contact_id).where(CI.channel == channel, external_id != "", CI.external_id == external_id)
            .scalar_subquery())


def _lookup() -> Any:
    """Per staged row: its contact's id and phone, and who already holds its Telegram and WeCom accounts."""
    phone = select(CT.phone).where(CT.id == CS.contact_id).scalar_subquery()
    return select(CS.n, CS.contact_id, phone, _holder("telegram", CS.telegram_id), _holder("wecom", CS.wecom_userid))


IMPORTERS: dict[str, type[_Importer]] = {
    "counties": CountyImporter, "orgs": OrganizationImporter, "pairings": PairingImporter, "contacts": ContactImporter,
}


def import_file(
    engine: Engine, kind: str, path: Path, actor: str, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import one file; raises TabularError for a file-level problem found before any row (unreadable, missing
    required column). A problem later in the file ends the reading there: the rows before it are kept and
    the report says where it stopped (`stopped`)."""
    importer_cls = IMPORTERS[kind]
    rows = read_rows(path, importer_cls.columns, importer_cls.required)
    report = ImportReport(kind=kind, file=path.name)
    headers = _WRITTEN_HEADERS.set(rows.headers)  # the reading thread inherits it (it runs in a copy of this context)
    try:
        with collector_paused():  # the in-file duplicate index keeps a key per row, none of them in a cycle
            with closing(_read_ahead(_batches(map(importer_cls.prepare, rows), importer_cls.batch, report))) as batches:
                _Pipeline(engine, importer_cls, actor, report, progress).run(batches)
    except BaseException as exc:  # interrupted, or the database failed: what was committed is audited all the same
        _audit_import(engine, actor, path, report, interrupted=type(exc).__name__)
        raise
    finally:
        _WRITTEN_HEADERS.reset(headers)
    _audit_import(engine, actor, path, report)
    return report


def _audit_import(engine: Engine, actor: str, path: Path, report: ImportReport, interrupted: str = "") -> None:
    """One audit row per import with its counts; for an import that ended early, best effort (the database may be
    what failed) and with why it ended."""
    details = {"stopped": report.stopped} if report.stopped else {}
    try:
        with unit_of_work(engine) as session:
            audit(session, actor, f"import.{report.kind}", str(path), created=report.created, updated=report.updated,
                  unchanged=report.unchanged, refused=report.refused, **details,
                  **({"interrupted": interrupted} if interrupted else {}))
    except Exception:
        if not interrupted:
            raise
        log.warning("the interrupted import of %s could not be audited", path, exc_info=True)


class _Pipeline:
    """Batch k+1 planned (`plan_batch`, in this thread, with a read-only session) while batch k is written (`apply_batch`,
    in a writer thread, in its own transaction): the database and Python work at the same time.

    Each phase reports into a batch report of its own, added to the import's report here, in file order: a batch's
    planning refusals once the batch before is written, then what its writing did — and that only once it is
    committed, so an import that fails or is interrupted counts what was kept. A row refused while writing releases
    its in-file keys only then; if the next batch, already planned, refused a row as a duplicate of one of those
    keys, that batch is planned again."""

    def __init__(self, engine: Engine, importer_cls: type[_Importer], actor: str, report: ImportReport,
                 progress: Callable[[int], None] | None) -> None:
        self.engine, self.importer_cls, self.actor, self.report = engine, importer_cls, actor, report
        self.progress = progress
        self.seen: dict[Any, int] = {}  # natural key -> row number, across the whole file

    def run(self, batches: Iterator[list[Any]]) -> None:
        with ThreadPoolExecutor(1, thread_name_prefix="import-writer") as writer:
            pending: tuple[Future[_Written], int] | None = None
            try:
                for batch in batches:
                    planned, refusals = self._plan(batch)
                    if pending is not None:
                        released = self._finish(*pending)
                        pending = None
                        if refusals.collided & set(released):
                            planned, refusals = self._plan(batch, again=planned)
                    refusals.add_to(self.report)
                    pending = writer.submit(contextvars.copy_context().run, self._write, planned), len(batch)
                if pending is not None:
                    self._finish(*pending)
                    pending = None
            finally:
                if pending is not None and pending[0].exception() is None:  # stopped by an error or an interrupt:
                    self._finish(*pending)  # the batch being written is committed all the same, and counted

    def _plan(self, batch: list[Any], again: Any = None) -> tuple[Any, _BatchReport]:
        refusals = _BatchReport(self.report.kind, self.report.file)
        with Session(self.engine) as lookups:
            planner = self.importer_cls(lookups, self.actor)
            planner.seen = self.seen
            if again is not None:
                planner.forget(again)
            planned = planner.plan_batch(batch, refusals)
            refusals.collided = planner.collided
            lookups.expunge_all()
        return planned, refusals

    def _write(self, planned: Any) -> _Written:
        written = _BatchReport(self.report.kind, self.report.file)
        with unit_of_work(self.engine) as session:
            importer = self.importer_cls(session, self.actor)
            importer.seen = self.seen
            released = importer.apply_batch(planned, written)
            session.expunge_all()
        return written, released

    def _finish(self, pending: Future[_Written], size: int) -> list[Any]:
        written, released = pending.result()
        written.add_to(self.report)
        for key in released:
            self.seen.pop(key, None)
        if self.progress is not None:
            self.progress(size)
        return released


class _BatchReport(ImportReport):
    """What one phase did to one batch, added to the import's report when its turn comes; and, for planning, the keys
    its duplicates ran into."""

    def __init__(self, kind: str, file: str) -> None:
        super().__init__(kind=kind, file=file)
        self.collided: set[Any] = set()

    def add_to(self, report: ImportReport) -> None:
        report.created += self.created
        report.updated += self.updated
        report.unchanged += self.unchanged
        for problem in self.problems:
            report.refuse(problem.row, problem.column, problem.message)
        report.refused += self.unlisted


_Written = tuple[_BatchReport, list[Any]]  # a committed batch's report, and the in-file keys its refusals release


def _apply_row(session: Session, importer: _Importer, row: Row, report: ImportReport) -> None:
    """Apply one row inside a savepoint, so a refused row leaves nothing half-written."""
    importer.claimed = []
    try:
        importer.check(row)
        with session.begin_nested():
            outcome = importer.apply(row)
            session.flush()
    except RowError as exc:
        for key in importer.claimed:
            importer.seen.pop(key, None)
        report.refuse(row.number, exc.column, str(exc))
        return
    setattr(report, outcome, getattr(report, outcome) + 1)


def _batches(rows: Iterator[Any], size: int, report: ImportReport) -> Iterator[list[Any]]:
    """Rows in lists of `size`; when the file breaks off (a damaged workbook), the rows read before it
    still come as a last batch and `report.stopped` says why reading ended."""
    batch: list[Row] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
    except TabularError as exc:
        report.stopped = str(exc)
    if batch:
        yield batch


_END = object()  # what the reading thread puts after the last batch


def _read_ahead(batches: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The same batches, read by a thread one batch ahead: the file is parsed (and what the importer's `prepare`
    checks, checked) while the database works on the batch before (psycopg and sqlite3 let other threads run while
    they wait), at the memory of two batches more. The thread runs in a copy of the caller's context, so problems it
    words are in the caller's language; an error it meets is raised here, and it stops however the caller stops."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    done = threading.Event()

    def hand(item: Any) -> bool:
        while not done.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not hand(batch):
                    return
            hand(_END)
        except BaseException as exc:  # handed to the caller, raised there
            hand(exc)
        finally:
            batches.close()  # type: ignore[attr-defined]

    context = contextvars.copy_context()
    reader = threading.Thread(target=context.run, args=(read,), name="import-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        done.set()
        reader.join()


def reference_counties() -> Path:
    """The national key counties shipped inside the package (see models/data/SOURCES.md)."""
    return Path(__file__).resolve().parent.parent / "data" / "key_counties.csv"


# The 项目库's kinds (needs, offers) live in their own module, which adds them to IMPORTERS.
import models.services.project_imports  # noqa: E402,F401
