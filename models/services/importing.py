"""`pairbot import {orgs,pairings,contacts,counties} FILE`: stream rows in, keep the good ones, report the bad.

Every row is checked on its own; a bad row is reported with file, row and column and the
others are kept. Rows are matched on a natural key (credit code, county code, organization
and county, contact name and scope), so importing the same file again changes nothing.
Rows are committed in batches, so memory stays flat on large files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import unit_of_work
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Organization, Role
from models.services.audit import audit
from models.services.credit_code import CreditCodeError, validate_credit_code
from models.services.registry import set_pairing_status
from models.services.tabular import (
    CONTACT_COLUMNS,
    COUNTY_COLUMNS,
    ORG_COLUMNS,
    PAIRING_COLUMNS,
    Row,
    read_rows,
)

BATCH = 1000
KINDS = ("orgs", "pairings", "contacts", "counties")

ORG_LEVELS = {"全国性": "全国性", "全国": "全国性", "national": "全国性", "东部省": "东部省", "eastern": "东部省",
              "省内": "省内", "provincial": "省内", "中部省": "中部省", "central": "中部省"}
ORG_KINDS = {"社会团体": "社会团体", "社团": "社会团体", "基金会": "基金会", "社会服务机构": "社会服务机构",
             "民办非企业单位": "社会服务机构", "民非": "社会服务机构"}
STATUSES = {s.value: s for s in PairingStatus} | {s.label: s for s in PairingStatus} | {"进行中": PairingStatus.active}
ROLES = {r.value: r for r in Role} | {r.label: r for r in Role} | {
    "县": Role.county, "县联络人": Role.county, "组织": Role.organization, "社会组织": Role.organization,
    "组织联络人": Role.organization, "管理": Role.admin}


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
        where = f"第 {self.row} 行" + (f"，列 {self.column}" if self.column else "")
        return f"{self.file} {where}：{self.message}"


@dataclass
class ImportReport:
    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        return (f"{self.file}：新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}，"
                f"拒绝 {self.refused}")


def _column(columns: Mapping[str, Sequence[str]], name: str) -> str:
    """`county（帮扶县）`: the canonical name with the first Chinese alias, as errors show it."""
    chinese = next((alias for alias in columns[name] if not alias.isascii()), "")
    return f"{name}（{chinese}）" if chinese else name


class _Importer:
    """One kind of row; subclasses say which columns, how to find the existing row and how to apply one."""

    columns: Mapping[str, Sequence[str]]
    required: tuple[str, ...]

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.seen: dict[Any, int] = {}  # natural key -> row number, to refuse duplicates within a file
        self.claimed: list[Any] = []  # keys claimed by the row being applied, released if it is refused
        self._orgs: dict[str, Organization] = {}

    def col(self, name: str) -> str:
        return _column(self.columns, name)

    def need(self, row: Row, name: str) -> str:
        value = row.values.get(name, "")
        if not value:
            raise RowError(self.col(name), "不能为空")
        return value

    def claim(self, key: Any, row: Row, column: str) -> None:
        first = self.seen.get(key)
        if first is not None:
            raise RowError(self.col(column), f"与第 {first} 行重复")
        self.seen[key] = row.number
        self.claimed.append(key)

    def apply(self, row: Row) -> str:
        """Create or update one row; return 'created', 'updated' or 'unchanged', or raise RowError."""
        raise NotImplementedError

    def county(self, value: str, column: str) -> County:
        county = self._counties_by_code.get(value) if value.isdigit() else None
        if county is None and not value.isdigit():
            matches = self._counties_by_name.get(value, [])
            if len(matches) > 1:
                raise RowError(self.col(column), f"县名“{value}”不唯一，请改用 6 位行政区划代码")
            county = matches[0] if matches else None
        if county is None:
            raise RowError(self.col(column), f"未找到县“{value}”（请先导入县名单：pairbot import counties）")
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
            raise RowError(self.col(column), f"未找到社会组织“{value}”（请先导入社会组织：pairbot import orgs）")
        return org


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

    def apply(self, row: Row) -> str:
        code = self.need(row, "code")
        if len(code) != 6 or not code.isdigit():
            raise RowError(self.col("code"), f"应为 6 位数字的行政区划代码，实际为“{code}”")
        self.claim(code, row, "code")
        values = {"name": self.need(row, "county"), "province": self.need(row, "province"),
                  "prefecture": row.values.get("prefecture", "")}
        county = self.session.exec(select(County).where(County.code == code)).first()
        if county is None:
            self.session.add(County(code=code, level="national", **values))
            return "created"
        if _changed(county, values):
            self.session.add(county)
            return "updated"
        return "unchanged"


class OrganizationImporter(_Importer):
    columns = ORG_COLUMNS
    required = ("name", "credit_code")

    def apply(self, row: Row) -> str:
        name = self.need(row, "name")
        try:
            code = validate_credit_code(self.need(row, "credit_code"))
        except CreditCodeError as exc:
            raise RowError(self.col("credit_code"), str(exc)) from None
        self.claim(code, row, "credit_code")
        self.claim(("name", name), row, "name")
        values = {"name": name, "level": self._choice(row, "level", ORG_LEVELS),
                  "kind": self._choice(row, "kind", ORG_KINDS), "province": row.values.get("province", ""),
                  "supervisor": row.values.get("supervisor", "")}
        by_name = self.session.exec(select(Organization).where(Organization.name == name)).first()
        if by_name is not None and by_name.credit_code != code:
            raise RowError(self.col("name"), f"名称已属于信用代码为 {by_name.credit_code} 的组织")
        org = self.session.exec(select(Organization).where(Organization.credit_code == code)).first()
        if org is None:
            self.session.add(Organization(credit_code=code, **values))
            return "created"
        if _changed(org, values):
            self.session.add(org)
            return "updated"
        return "unchanged"

    def _choice(self, row: Row, name: str, allowed: Mapping[str, str]) -> str:
        value = row.values.get(name, "")
        if value and value not in allowed and value.lower() not in allowed:
            choices = "、".join(sorted(set(allowed.values())))
            raise RowError(self.col(name), f"“{value}”不是可用的取值（可用：{choices}）")
        return allowed.get(value) or allowed.get(value.lower(), "")


class PairingImporter(_Importer):
    columns = PAIRING_COLUMNS
    required = ("organization", "county")

    def apply(self, row: Row) -> str:
        org = self.organization(self.need(row, "organization"), "organization")
        county = self.county(self.need(row, "county"), "county")
        raw_status = row.values.get("status", "") or PairingStatus.active.value
        status = STATUSES.get(raw_status) or STATUSES.get(raw_status.lower())
        if status is None:
            raise RowError(self.col("status"), f"“{raw_status}”不是可用的状态（可用：拟结对、结对中、暂停、已结束）")
        self.claim((org.id, county.id), row, "county")
        pairing = self.session.exec(
            select(Pairing).where(Pairing.organization_id == org.id, Pairing.county_id == county.id)
        ).first()
        if pairing is None:
            pairing = Pairing(organization_id=org.id, county_id=county.id, status=status)  # type: ignore[arg-type]
            set_pairing_status(self.session, pairing, status, self.actor, "导入")
            return "created"
        changed = set_pairing_status(self.session, pairing, status, self.actor, "导入")
        return "updated" if changed else "unchanged"


class ContactImporter(_Importer):
    columns = CONTACT_COLUMNS
    required = ("name", "role")

    def apply(self, row: Row) -> str:
        name = self.need(row, "name")
        raw_role = self.need(row, "role")
        role = ROLES.get(raw_role) or ROLES.get(raw_role.lower())
        if role is None:
            raise RowError(self.col("role"), f"“{raw_role}”不是可用的角色（可用：county/县联络员、organization/社会组织联络人、admin/管理员）")
        county = self.county(row.values["county"], "county") if row.values.get("county") else None
        org = self.organization(row.values["organization"], "organization") if row.values.get("organization") else None
        if role is Role.county and county is None:
            raise RowError(self.col("county"), "县联络员必须填写所在县")
        if role is Role.organization and org is None:
            raise RowError(self.col("organization"), "社会组织联络人必须填写社会组织")
        telegram_id = row.values.get("telegram_id", "")
        if telegram_id and not telegram_id.lstrip("-").isdigit():
            raise RowError(self.col("telegram_id"), f"Telegram ID 应为数字，实际为“{telegram_id}”")
        key = (name, role.value, county.id if county and role is Role.county else None,
               org.id if org and role is Role.organization else None)
        self.claim(key, row, "name")
        identities = [(ch, ext) for ch, ext in (("telegram", telegram_id), ("wecom", row.values.get("wecom_userid", "")))
                      if ext]
        contact = self.session.exec(
            select(Contact).where(Contact.name == name, Contact.role == role.value, Contact.county_id == key[2],
                                  Contact.organization_id == key[3])
        ).first()
        for channel, external in identities:
            owner = self.session.exec(select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external)).first()
            if owner is not None and (contact is None or owner.contact_id != contact.id):
                other = self.session.get(Contact, owner.contact_id)
                column = "telegram_id" if channel == "telegram" else "wecom_userid"
                raise RowError(self.col(column), f"“{external}”已绑定到联系人“{other.name if other else owner.contact_id}”")
        outcome = "unchanged"
        if contact is None:
            contact = Contact(name=name, role=role.value, county_id=key[2], organization_id=key[3],
                              phone=row.values.get("phone", ""))
            self.session.add(contact)
            self.session.flush()
            outcome = "created"
        elif _changed(contact, {"phone": row.values.get("phone", "") or contact.phone}):
            self.session.add(contact)
            outcome = "updated"
        for channel, external in identities:
            exists = self.session.exec(select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external)).first()
            if exists is None:
                self.session.add(ChannelIdentity(contact_id=contact.id, channel=channel, external_id=external))
                outcome = "updated" if outcome == "unchanged" else outcome
        return outcome


IMPORTERS: dict[str, type[_Importer]] = {
    "counties": CountyImporter, "orgs": OrganizationImporter, "pairings": PairingImporter, "contacts": ContactImporter,
}


def import_file(
    engine: Engine, kind: str, path: Path, actor: str, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import one file; raises TabularError for a file-level problem (unreadable, missing required column)."""
    importer_cls = IMPORTERS[kind]
    rows = read_rows(path, importer_cls.columns, importer_cls.required)
    report = ImportReport(kind=kind, file=path.name)
    seen: dict[Any, int] = {}
    for batch in _batches(rows, BATCH):
        with unit_of_work(engine) as session:
            importer = importer_cls(session, actor)
            importer.seen = seen
            importer.load_counties()
            for row in batch:
                _apply_row(session, importer, row, report)
            session.expunge_all()
        if progress is not None:
            progress(len(batch))
    with unit_of_work(engine) as session:
        audit(session, actor, f"import.{kind}", str(path), created=report.created, updated=report.updated,
              unchanged=report.unchanged, refused=report.refused)
    return report


def _apply_row(session: Session, importer: _Importer, row: Row, report: ImportReport) -> None:
    """Apply one row inside a savepoint, so a refused row leaves nothing half-written."""
    importer.claimed = []
    try:
        with session.begin_nested():
            outcome = importer.apply(row)
            session.flush()
    except RowError as exc:
        for key in importer.claimed:
            importer.seen.pop(key, None)
        report.problems.append(Problem(report.file, row.number, exc.column, str(exc)))
        return
    setattr(report, outcome, getattr(report, outcome) + 1)


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def reference_counties() -> Path:
    """The national key counties shipped inside the package (see models/data/SOURCES.md)."""
    return Path(__file__).resolve().parent.parent / "data" / "key_counties.csv"
