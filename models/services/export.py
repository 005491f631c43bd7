"""The ledger as an Excel workbook, written in constant memory.

Rows stream from the database (server-side cursors on PostgreSQL, a lazy cursor on SQLite)
straight into XlsxWriter's constant_memory mode, which flushes each row to disk as the next one
starts; memory stays flat however many progress updates there are. The file is written beside
the target and renamed into place at the end, so a failed export leaves nothing half-written.

Sheets: 社会组织, 结对与协议, 进展 (raw text beside the parsed columns), 消息投递, the 项目库's
需求库 and 帮扶项目 (with what each project's updates put into the ledger), 操作日志 (the audit
entries the admin may see, models.services.audit_log), and the year-end 统计表 per
organization × county. Headers are Chinese, times are local
("YYYY-MM-DD HH:MM" in the configured zone), the header row is frozen. Every export is audited.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Select, func
from sqlmodel import Session, col, select

from bot.db import one_snapshot, unit_of_work
from bot.i18n import N_, _
from models.base import count_of
from models.messaging import AuditLog, Delivery
from models.pairing import (PROJECT_STATUS_LABELS, Agreement, Pairing, PairingGroup, PairingStatus, PairingStatusChange,
                            Project)
from models.projects import NEED_STATUS_LABELS, Need, NeedClaim
from models.services.pairings import ACTIVE_LIKE as LIVE_PAIRING, kind_label
from models.registry import Contact, County, Group, Organization
from models.reporting import ProgressUpdate
from models.services.audit import audit
from models.services.audit_log import LOGIN_LINK as _LOGIN_LINK  # live login tokens never leave in an export
from models.services.audit_log import sheet_rows as audit_rows
from models.services.audit_log import visible_entries
from models.services.needs_listing import ACTIVE_CLAIMS
from models.services.projects import project_figures
from models.services.parsing import YEAR_TO_DATE
from models.services.reports import FIELD_LABELS
from models.services.sums import FIGURES, LEDGER_ZONE as _ZONE, MONEY
from models.services.ledger import (
    Scope,
    delivery_status_label,
    review_label,
    scoped_updates,
    update_org_id,
    visible_deliveries,
    visible_organization_ids,
    visible_updates,
    year_statistics,
)

Progress = Callable[[int], None]
BATCH = 2_000  # rows fetched per round trip, and rows between progress ticks
MAX_CELL = 32_767  # Excel's limit on the characters in one cell
YEARS = range(2000, 2101)  # the 统计表's year: the program's seasons, with room to spare
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")

CUMULATIVE_LABELS = {**FIELD_LABELS, YEAR_TO_DATE: N_("今年以来")}  # the 累计数 column: its fields, and from when


class ExportError(ValueError):
    """A request the export cannot serve (a year out of range); the message is Chinese."""


def statistics_year(value: int | str | None, default: int) -> int:
    """The year of the 统计表: `default` when not given, else a whole number in YEARS, or ExportError."""
    if value is None or value == "":
        return default
    text = unicodedata.normalize("NFKC", str(value)).strip()  # ２０２６ typed with a Chinese IME is 2026
    year = int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None
    if year is None or year not in YEARS:
        raise ExportError(_("统计年度应为 {first}–{last} 之间的年份，而不是“{text}”").format(
            first=YEARS.start, last=YEARS.stop - 1, text=text[:20]))
    return year


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text / number / int / datetime / date


@dataclass
class ExportReport:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)  # sheet name → data rows written

    def summary(self) -> str:
        return _("，").join(_("{sheet} {n} 行").format(sheet=sheet, n=n) for sheet, n in self.rows.items())


def formula_like(text: str) -> bool:
    """Text a spreadsheet would take for a formula once the cell is edited or the sheet saved as CSV (OWASP's
    list: = + - @ tab CR first). Such cells carry Excel's quote prefix — what typing a leading ' records —
    so the text reads the same and stays text. A plain number (-12.5) is left alone: it is inert."""
    return text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text)


class _Sheet:
    """One worksheet: header, column widths and formats, frozen header, autofilter; rows written by type."""

    def __init__(self, book: Any, formats: dict[str, Any], name: str, columns: Sequence[Column],
                 zone: ZoneInfo, title: str = "") -> None:
        self.sheet = book.add_worksheet(name)
        self.formats, self.columns, self.zone = formats, columns, zone
        self.first = 1 if title else 0
        if title:
            self.sheet.merge_range(0, 0, 0, len(columns) - 1, title, formats["title"])
        for index, column in enumerate(columns):
            self.sheet.set_column(index, index, column.width)
            self.sheet.write_string(self.first, index, _(column.header), formats["header"])
        self.sheet.freeze_panes(self.first + 1, 0)
        self.next_row = self.first + 1
        self._writers = [self._writer(c.kind) for c in columns]

    def _writer(self, kind: str) -> Callable[[int, int, Any], None]:
        sheet, fmt, zone = self.sheet, self.formats, self.zone

        def text(r: int, c: int, v: Any) -> None:
            v = str(v)
            v = v if len(v) <= MAX_CELL else v[: MAX_CELL - 6] + _("…（已截断）")
            sheet.write_string(r, c, v, fmt["quoted"] if formula_like(v) else None)

        def number(r: int, c: int, v: Any) -> None:
            if not math.isfinite(v):  # never stored now, but a workbook must open whatever an old row holds
                sheet.write_string(r, c, _("数字异常"))
                return
            # a whole amount in the whole-number format: “#,##0.####” shows 100 as “100.” in Excel
            sheet.write_number(r, c, v, fmt["int" if kind == "number" and float(v).is_integer() else kind])

        def when(r: int, c: int, v: Any) -> None:
            if isinstance(v, datetime):
                v = v.astimezone(zone).replace(tzinfo=None)
            sheet.write_datetime(r, c, v, fmt[kind])

        return {"text": text, "number": number, "int": number, "datetime": when, "date": when}[kind]

    def row(self, values: Sequence[Any], bold: bool = False) -> None:
        r = self.next_row
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if bold and self.columns[c].kind in ("text",):
                text = str(value)
                self.sheet.write_string(r, c, text, self.formats["bold_quoted" if formula_like(text) else "bold"])
            else:
                self._writers[c](r, c, value)
        self.next_row += 1

    def finish(self) -> int:
        rows = self.next_row - self.first - 1
        self.sheet.autofilter(self.first, 0, self.first + max(rows, 1), len(self.columns) - 1)
        return rows


# The 进展 sheet's ledger columns (what each update put into the ledger), one per figure.
LEDGER_HEADERS = {"funds_wan": N_("计入台账：投入资金"), "committed_wan": N_("计入台账：协议/承诺金额"),
                  "sales_wan": N_("计入台账：消费帮扶销售额"), "households": N_("计入台账：户数"),
                  "people": N_("计入台账：人数"), "projects": N_("计入台账：项目数")}
ORGANIZATIONS = [Column(N_("编号"), 8, "int"), Column(N_("社会组织名称"), 36), Column(N_("统一社会信用代码"), 22),
                 Column(N_("层级"), 10), Column(N_("类型"), 14), Column(N_("业务主管单位"), 24), Column(N_("所在省份"), 12),
                 Column(N_("结对县数"), 10, "int"), Column(N_("登记时间"), 17, "datetime")]
PAIRINGS = [Column(N_("结对编号"), 10, "int"), Column(N_("社会组织"), 36), Column(N_("统一社会信用代码"), 22), Column(N_("省份"), 12),
            Column(N_("市州"), 16), Column(N_("县"), 14), Column(N_("县代码"), 10), Column(N_("结对状态"), 10),
            Column(N_("结对时间"), 17, "datetime"), Column(N_("协议年度"), 9, "int"), Column(N_("协议签订日期"), 13, "date"),
            Column(N_("协议金额（万元）"), 14, "number"), Column(N_("协议文件"), 30), Column(N_("协议版本"), 22),
            Column(N_("结对类型"), 14), Column(N_("组团"), 20)]
PAIRING_CHANGES = [Column(N_("结对编号"), 10, "int"), Column(N_("社会组织"), 36), Column(N_("省份"), 12), Column(N_("县"), 14),
                   Column(N_("记录时间"), 17, "datetime"), Column(N_("生效日期"), 13, "date"), Column(N_("原状态"), 10),
                   Column(N_("新状态"), 10), Column(N_("原因"), 40), Column(N_("操作人"), 24)]
UPDATES = [Column(N_("编号"), 10, "int"), Column(N_("提交时间"), 17, "datetime"), Column(N_("省份"), 12), Column(N_("县"), 14),
           Column(N_("社会组织"), 30), Column(N_("报送人"), 12), Column(N_("渠道"), 10), Column(N_("原文"), 60),
           Column(N_("投入资金（万元）"), 14, "number"), Column(N_("协议/承诺（万元）"), 14, "number"),
           Column(N_("消费帮扶（万元）"), 14, "number"), Column(N_("受益户数"), 10, "int"), Column(N_("受益人数"), 10, "int"),
           Column(N_("项目数"), 8, "int"), Column(N_("帮扶领域"), 16), Column(N_("累计数（截至目前）"), 18), Column(N_("审核状态"), 10),
           Column(N_("审核备注"), 30), Column(N_("撤回时间"), 17, "datetime"),
           *(Column(LEDGER_HEADERS[key], 14, "number" if key in MONEY else "int") for key in FIGURES)]
DELIVERIES = [Column(N_("编号"), 10, "int"), Column(N_("创建时间"), 17, "datetime"), Column(N_("渠道"), 10),
              Column(N_("接收人"), 16), Column(N_("群"), 20), Column(N_("通知编号"), 10, "int"), Column(N_("内容"), 60),
              Column(N_("状态"), 10), Column(N_("尝试次数"), 10, "int"), Column(N_("发送时间"), 17, "datetime"),
              Column(N_("确认时间"), 17, "datetime"), Column(N_("最后错误"), 30)]
AUDIT = [Column(N_("编号"), 10, "int"), Column(N_("时间"), 17, "datetime"), Column(N_("操作人"), 20),
         Column(N_("操作人标识"), 24), Column(N_("操作"), 16), Column(N_("操作代码"), 22), Column(N_("对象"), 16),
         Column(N_("详情"), 60)]
STATISTICS = [Column(N_("省份"), 12), Column(N_("县"), 14), Column(N_("社会组织"), 36), Column(N_("统一社会信用代码"), 22),
              Column(N_("协议金额（万元）"), 14, "number"), Column(N_("投入资金（万元）"), 14, "number"),
              Column(N_("消费帮扶（万元）"), 14, "number"), Column(N_("受益户数"), 10, "int"), Column(N_("受益人数"), 10, "int"),
              Column(N_("项目数"), 8, "int"), Column(N_("帮扶领域"), 24), Column(N_("协议/承诺（万元）"), 14, "number")]
NEEDS = [Column(N_("编号"), 8, "int"), Column(N_("省份"), 12), Column(N_("县"), 14), Column(N_("领域"), 8),
         Column(N_("需求内容"), 60), Column(N_("金额（万元）"), 12, "number"), Column(N_("受益户数"), 10, "int"),
         Column(N_("受益人数"), 10, "int"), Column(N_("期望完成"), 12, "date"), Column(N_("状态"), 10), Column(N_("认领组织"), 30),
         Column(N_("发布时间"), 17, "datetime"), Column(N_("关闭原因"), 30)]
PROJECTS = [Column(N_("编号"), 8, "int"), Column(N_("省份"), 12), Column(N_("县"), 14), Column(N_("社会组织"), 30),
            Column(N_("名称"), 30), Column(N_("领域"), 8), Column(N_("金额（万元）"), 12, "number"), Column(N_("状态"), 10),
            Column(N_("计入台账：投入资金（万元）"), 16, "number"), Column(N_("计入台账：受益户数"), 14, "int"),
            Column(N_("计入台账：受益人数"), 14, "int"), Column(N_("创建时间"), 17, "datetime")]
CHANNELS = {"telegram": N_("Telegram"), "wecom": N_("企业微信"), "console": N_("终端")}


def _formats(book: Any) -> dict[str, Any]:
    return {
        "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "valign": "vcenter"}),
        "title": book.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "bold": book.add_format({"bold": True}),
        "quoted": book.add_format({"quote_prefix": True}),
        "bold_quoted": book.add_format({"bold": True, "quote_prefix": True}),
        "number": book.add_format({"num_format": "#,##0.####"}),
        "int": book.add_format({"num_format": "#,##0"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }


def count_rows(engine: Engine, scope: Scope, viewer: int | None = None) -> int:
    """Rows the workbook will hold in its detail sheets (the total for a progress bar)."""
    with Session(engine) as session:
        return sum(session.execute(query).scalar_one() for query in (
            select(func.count()).select_from(Organization).where(col(Organization.id).in_(visible_organization_ids(scope))),
            count_of(_pairings_query(scope)),
            scoped_updates(select(func.count()), scope),
            select(func.count()).select_from(Delivery).where(visible_deliveries(scope)),
            count_of(_needs_query(scope)),
            count_of(_projects_query(scope)),
            select(func.count()).select_from(AuditLog).where(visible_entries(scope, viewer)),
        ))


def export_workbook(
    engine: Engine, out: Path, scope: Scope, *, zone: ZoneInfo, year: int, actor: str,
    progress: Progress | None = None, now: datetime | None = None, viewer: int | None = None, target: str = "",
) -> ExportReport:
    """Write the workbook to `out` (replacing it) and audit the export; returns rows per sheet.

    `viewer` is the contact id of the admin exporting from the review pages: their own audit entries are
    in the 操作日志 sheet even outside their provinces. `target` is what the audit log names (default: `out`;
    a download names the file the browser saves, not the temporary one)."""
    import xlsxwriter

    statistics_year(year, year)  # refuses a year the 统计表 cannot have before anything is written
    tick = progress or (lambda n: None)
    report = ExportReport(out)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    book = xlsxwriter.Workbook(str(partial), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    try:
        formats = _formats(book)
        with engine.connect() as connection:
            one_snapshot(connection)  # every sheet as of one moment, while `pairbot run` files reports
            stream = connection.execution_options(stream_results=True, yield_per=BATCH)
            sections: list[tuple[str, Sequence[Column], Iterable[Sequence[Any]], str]] = [
                (_("社会组织"), ORGANIZATIONS, _organizations(stream, scope), ""),
                (_("结对与协议"), PAIRINGS, _pairings(stream, scope), ""),
                (_("结对变更记录"), PAIRING_CHANGES, _pairing_changes(stream, scope), ""),
                (_("进展"), UPDATES, _updates(stream, scope), ""),
                (_("消息投递"), DELIVERIES, _deliveries(stream, scope), ""),
                (_("需求库"), NEEDS, _needs(stream, scope), ""),
                (_("帮扶项目"), PROJECTS, _projects(stream, scope), ""),
            ]
            for name, columns, rows, title in sections:
                report.rows[name] = _write(book, formats, name, columns, rows, zone, tick, title)
            with Session(bind=stream) as session:
                report.rows[_("操作日志")] = _write(book, formats, _("操作日志"), AUDIT,
                                               audit_rows(session, scope, viewer, zone, BATCH), zone, tick)
            with Session(bind=connection) as session:
                name = _("{year}年度统计").format(year=year)
                title = _("{year} 年度社会组织结对帮扶统计表（{scope}；金额单位：万元）").format(year=year, scope=scope.label)
                report.rows[name] = _write(book, formats, name, STATISTICS, _statistics(session, scope, year, zone),
                                           zone, lambda n: None, title, total_row=True)
        book.close()
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with unit_of_work(engine) as session:
        audit(session, actor, "export", target or str(out), provinces=list(scope.provinces) if scope.provinces is not None
              else "all", year=year, rows=report.rows)
    return report


def _write(book: Any, formats: dict[str, Any], name: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
           zone: ZoneInfo, tick: Progress, title: str = "", total_row: bool = False) -> int:
    sheet = _Sheet(book, formats, name, columns, zone, title)
    pending = 0
    sums: list[float] = [0.0] * len(columns)
    for values in rows:
        sheet.row(values)
        if total_row:
            for i, value in enumerate(values):
                if columns[i].kind in ("number", "int") and value is not None:
                    sums[i] += value
        pending += 1
        if pending == BATCH:
            tick(pending)
            pending = 0
    tick(pending)
    written = sheet.next_row - sheet.first - 1
    if total_row:
        sheet.row([_("合计")] + [sums[i] if c.kind in ("number", "int") else None for i, c in enumerate(columns)][1:],
                  bold=True)
    sheet.finish()
    return written


def _organizations(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    paired = (select(func.count()).where(Pairing.organization_id == Organization.id)
              .correlate(Organization).scalar_subquery())
    query = (select(Organization.id, Organization.name, Organization.credit_code, Organization.level, Organization.kind,
                    Organization.supervisor, Organization.province, paired, Organization.created_at)
             .where(col(Organization.id).in_(visible_organization_ids(scope))).order_by(Organization.id))
    yield from connection.execute(query)


def _pairings_query(scope: Scope) -> Select[Any]:
    return (select(Pairing.id, Organization.name, Organization.credit_code, County.province, County.prefecture,
                   County.name, County.code, Pairing.status, Pairing.created_at, Agreement.season,
                   Agreement.signed_on, Agreement.amount_wan, Agreement.document, Agreement.superseded_at,
                   Pairing.organization_id, Pairing.county_id, PairingGroup.name, PairingGroup.leading_organization_id)
            .join(Organization, Organization.id == Pairing.organization_id)
            .join(County, County.id == Pairing.county_id)
            .outerjoin(Agreement, Agreement.pairing_id == Pairing.id)
            .outerjoin(PairingGroup, PairingGroup.id == Pairing.group_id)
            .where(scope.county_filter()).order_by(Pairing.id, Agreement.season, Agreement.id))


def _pairings(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    per_org, per_county = _live_counts(connection)
    for row in connection.execute(_pairings_query(scope)):
        values = list(row[:14])
        org_id, county_id, group, leader = row[14:]
        values[7] = _pairing_status(values[7])
        superseded = values[-1]
        values[-1] = "" if values[9] is None else (
            _("已被修订（{day}）").format(day=f"{superseded.astimezone(_ZONE):%Y-%m-%d}") if superseded else _("现行"))
        kind = _(kind_label(None if group is None else leader == org_id, per_org.get(org_id, 0),
                            per_county.get(county_id, 0)))
        yield [*values, kind, group or ""]


def _live_counts(connection: Any) -> tuple[dict[int, int], dict[int, int]]:
    """Live (not ended) pairings per organization and per county: what makes a pairing 一对多 or 多对一."""
    live = col(Pairing.status).in_([s.value for s in LIVE_PAIRING])
    per_org = dict(connection.execute(select(Pairing.organization_id, func.count()).where(live)
                                      .group_by(Pairing.organization_id)).all())
    per_county = dict(connection.execute(select(Pairing.county_id, func.count()).where(live)
                                         .group_by(Pairing.county_id)).all())
    return per_org, per_county


def _pairing_changes(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    change = PairingStatusChange
    query = (select(change.pairing_id, Organization.name, County.province, County.name, change.changed_at,
                    change.effective_on, change.from_status, change.to_status, change.note, change.actor)
             .join(Pairing, Pairing.id == change.pairing_id)
             .join(Organization, Organization.id == Pairing.organization_id)
             .join(County, County.id == Pairing.county_id)
             .where(scope.county_filter()).order_by(change.pairing_id, change.changed_at, change.id))
    for row in connection.execute(query):
        values = list(row)
        values[6] = _pairing_status(values[6]) if values[6] else _("新建")
        values[7] = _pairing_status(values[7])
        yield values


def _pairing_status(status: str) -> str:
    try:
        return _(PairingStatus(status).label)
    except ValueError:
        return status


def _updates(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    org = Organization.__table__.alias("update_org")  # type: ignore[attr-defined]
    query = visible_updates(select(
        ProgressUpdate.id, ProgressUpdate.created_at, County.province, County.name, org.c.name, Contact.name,
        ProgressUpdate.channel, ProgressUpdate.raw_text, ProgressUpdate.funds_wan, ProgressUpdate.committed_wan,
        ProgressUpdate.sales_wan, ProgressUpdate.households, ProgressUpdate.people, ProgressUpdate.projects,
        ProgressUpdate.fields, ProgressUpdate.cumulative, ProgressUpdate.review_status, ProgressUpdate.review_note,
        ProgressUpdate.withdrawn_at, ProgressUpdate.ledger_delta,
    ), scope).outerjoin(org, org.c.id == update_org_id()).order_by(ProgressUpdate.id)
    for row in connection.execute(query):
        values = list(row)
        values[6] = CHANNELS.get(values[6], values[6])
        values[14] = "、".join(values[14] or ())
        values[15] = _("、").join(_(CUMULATIVE_LABELS[key]) if key in CUMULATIVE_LABELS else key for key in values[15] or ())
        values[16] = review_label(values[16])
        delta = values.pop() or {}
        yield values + [delta.get(key) for key in FIGURES]


def _deliveries(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    query = (select(Delivery.id, Delivery.created_at, Delivery.channel, Contact.name, Group.title,
                    Delivery.broadcast_id, Delivery.text, Delivery.status, Delivery.attempts, Delivery.sent_at,
                    Delivery.acknowledged_at, Delivery.last_error)
             .outerjoin(Contact, Contact.id == Delivery.contact_id).outerjoin(Group, Group.id == Delivery.group_id)
             .where(visible_deliveries(scope)).order_by(Delivery.id))
    for row in connection.execute(query):
        values = list(row)
        values[2] = _(CHANNELS[values[2]]) if values[2] in CHANNELS else values[2]
        values[6] = _LOGIN_LINK.sub(r"\1…", values[6] or "")
        values[7] = delivery_status_label(values[7])
        yield values


def _needs_query(scope: Scope) -> Select[Any]:
    return (select(Need.id, County.province, County.name, Need.field, Need.description, Need.amount_wan,
                   Need.households, Need.people, Need.wanted_by, Need.status, Need.published_at, Need.close_reason)
            .join(County, County.id == Need.county_id).where(scope.county_filter()).order_by(Need.id))


def _needs(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    """One row per need; 认领组织 are the organizations whose claim waits or was confirmed."""
    claims = (select(NeedClaim.need_id, Organization.name).join(Organization, Organization.id == NeedClaim.organization_id)
              .where(col(NeedClaim.status).in_(ACTIVE_CLAIMS),
                     col(NeedClaim.need_id).in_(_needs_query(scope).with_only_columns(Need.id).order_by(None)))
              .order_by(NeedClaim.need_id, NeedClaim.id))
    for row, claimed in _beside(connection.execute(_needs_query(scope)), connection.execute(claims)):
        values = list(row)
        status = _(NEED_STATUS_LABELS[values[9]]) if values[9] in NEED_STATUS_LABELS else values[9]
        yield values[:9] + [status, _("、").join(name for _n, name in claimed),
                            *values[10:]]


def _projects_query(scope: Scope) -> Select[Any]:
    return (select(Project.id, County.province, County.name, Organization.name, Project.name, Project.field,
                   Project.amount_wan, Project.status, Project.created_at)
            .join(Pairing, Pairing.id == Project.pairing_id).join(County, County.id == Pairing.county_id)
            .join(Organization, Organization.id == Pairing.organization_id)
            .where(scope.county_filter()).order_by(Project.id))


def _projects(connection: Any, scope: Scope) -> Iterable[Sequence[Any]]:
    """One row per project with what its updates put into the ledger (`project_figures`, the project page's rule)."""
    updates = (select(ProgressUpdate.project_id, ProgressUpdate.id, *(getattr(ProgressUpdate, key) for key in FIGURES),
                      ProgressUpdate.cumulative, ProgressUpdate.withdrawn_at, ProgressUpdate.review_status,
                      ProgressUpdate.created_at)
               .where(col(ProgressUpdate.project_id).in_(_projects_query(scope).with_only_columns(Project.id)
                                                         .order_by(None)))
               .order_by(ProgressUpdate.project_id, ProgressUpdate.created_at, ProgressUpdate.id))
    for row, named in _beside(connection.execute(_projects_query(scope)), connection.execute(updates)):
        figures = project_figures(named)  # type: ignore[arg-type]
        status = _(PROJECT_STATUS_LABELS[row[7]]) if row[7] in PROJECT_STATUS_LABELS else row[7]
        yield [*row[:7], status, figures.get("funds_wan", 0), figures.get("households", 0),
               figures.get("people", 0), row[8]]


def _beside(rows: Iterable[Sequence[Any]], extras: Iterable[Sequence[Any]]) -> Iterable[tuple[Sequence[Any], list[Any]]]:
    """Each row (ordered by its first column, an id) with the `extras` whose first column names it.

    Both streams are read once, side by side, in id order: no row is held longer than its own turn.
    """
    others = iter(extras)
    pending = next(others, None)
    for row in rows:
        found = []
        while pending is not None and pending[0] <= row[0]:
            if pending[0] == row[0]:
                found.append(pending)
            pending = next(others, None)
        yield row, found


def _statistics(session: Session, scope: Scope, year: int, zone: ZoneInfo) -> Iterable[Sequence[Any]]:
    for r in year_statistics(session, scope, year):
        yield [_(r.province), _(r.county), _(r.organization), r.credit_code, r.agreed_wan, r.funds_wan, r.sales_wan,
               r.households, r.people, r.projects, _("、").join(_(f) for f in r.fields), r.committed_wan]


def default_year(now: datetime, zone: ZoneInfo) -> int:
    return now.astimezone(zone).year

