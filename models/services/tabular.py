"""Read import files (CSV or XLSX) as a stream of rows keyed by canonical column names.

``pairbot import {orgs,pairings,contacts,counties} FILE`` receives whatever the
provincial offices send: Excel workbooks, CSVs saved by Chinese Excel (GBK/GB18030),
UTF-8 with or without BOM, headers in Chinese or English with full-width brackets.
This module hides those differences so the importer only sees
``Row(number, {"name": ..., "credit_code": ...})``, where ``number`` is the row
number the sender sees in Excel, so error reports point at the right line.

Files can hold 100,000+ rows, so nothing here reads a whole file into memory.
"""

from __future__ import annotations

import codecs
import csv
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Collection, Generator, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, TextIO
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.etree.ElementTree import ParseError

from bot.i18n import _, joined, os_reason
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

__all__ = [
    "CONTACT_COLUMNS",
    "COUNTY_COLUMNS",
    "ORG_COLUMNS",
    "PAIRING_COLUMNS",
    "Row",
    "TabularError",
    "count_rows",
    "read_rows",
]

# --- ready alias tables for the importer ---------------------------------------------
# The first alias containing Chinese is the one named in error messages.

ORG_COLUMNS: Mapping[str, Sequence[str]] = {
    "name": ("name", "组织名称", "名称", "社会组织名称"),
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码"),
    "level": ("level", "层级", "级别", "类别"),
    "kind": ("kind", "类型", "组织类型"),
    "province": ("province", "所在省份", "省份", "省"),
    "supervisor": ("supervisor", "业务主管单位"),
}

PAIRING_COLUMNS: Mapping[str, Sequence[str]] = {
    "organization": ("organization", "社会组织", "组织", "组织名称"),
    "county": ("county", "帮扶县", "县", "县名", "县代码", "结对县"),
    "status": ("status", "状态"),
}

CONTACT_COLUMNS: Mapping[str, Sequence[str]] = {
    "name": ("name", "姓名"),
    "role": ("role", "角色", "身份"),
    "county": ("county", "所在县", "县", "帮扶县"),
    "organization": ("organization", "社会组织", "组织", "单位"),
    "phone": ("phone", "电话", "手机", "手机号"),
    "telegram_id": ("telegram_id", "Telegram ID", "telegram", "Telegram账号", "Telegram帐号", "电报账号"),
    "wecom_userid": ("wecom_userid", "企业微信账号", "企业微信", "企业微信ID"),
}

COUNTY_COLUMNS: Mapping[str, Sequence[str]] = {
    "code": ("code", "行政区划代码", "代码", "县代码"),
    "province": ("province", "省份", "省"),
    "prefecture": ("prefecture", "所属地市", "地市", "市州"),
    "county": ("county", "县名", "县", "名称"),
}

_DELIMITERS = (",", ";", "\t")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # OLE2 container: Excel 97-2003 .xls
_ENCODING_LABELS = {"utf-8-sig": "UTF-8", "gb18030": "GB18030/GBK", "utf-16": "UTF-16"}
# Notes people add to template headers: "名称（必填）", "【电话】", "*姓名".
MAX_CELL_CHARS = 131_072  # a longer cell refuses its row (csv's own field limit, and no column needs more)
MAX_RECORD_CHARS = 4 * 1024 * 1024  # a CSV row longer than this is skipped unread, so memory stays bounded
# csv's own field limit (131,072) would refuse a long cell without saying which: cells are read up to a whole record,
# and _unusable names the column of one over MAX_CELL_CHARS.
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
_LINE_CHUNK = 1024 * 1024  # CSV text is read at most this many characters at a time
_VOTES = 20  # lines with non-ASCII text that decide a CSV's encoding
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes the encoding could not decode, kept by surrogateescape
# Raw records: (row number, stripped cell strings, or why they could not be read) for every row, blank or not.
_Records = Generator[tuple[int, "list[str] | Unreadable"], None, None]
_SHOWN_FORMULA_CHARS = 60  # of a formula named in a refusal
_HEADER_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕|[*＊]")


@dataclass(frozen=True, slots=True)
class Row:
    """One non-blank data row.

    ``number`` is the 1-based row number as a spreadsheet shows it (header = 1), so
    blank rows skipped before it still count. ``values`` has every canonical column
    the caller asked for; absent columns and empty cells are ``''``.
    """

    number: int
    values: dict[str, str]
    problem: str = ""  # why the row could not be read (bytes not in the file's encoding, a cell too long …)
    column: str = ""  # the canonical column the problem is in, when it is one the caller asked for


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A raw record that could not be read; the importer refuses its row and goes on with the next."""

    reason: str
    position: int | None = None  # 0-based cell position, when one cell is to blame


class TabularError(Exception):
    """A file-level problem: unreadable, unknown encoding, missing required column.

    The message is Chinese and names the file, so the CLI can print it as is.
    """

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(_("{file}：{problem}").format(file=path, problem=message))
        self.path = path


# --- public API ------------------------------------------------------------------------


class Rows(Iterator[Row]):
    """The data rows of a file, read lazily, and the file's own header for each column it has
    (canonical name → the header cell as written), so a problem can name the column as the file does."""

    def __init__(self, rows: Generator[Row, None, None], headers: dict[str, str]) -> None:
        self._rows = rows
        self.headers = headers

    def __next__(self) -> Row:
        return next(self._rows)

    def close(self) -> None:
        self._rows.close()


def read_rows(
    path: Path, columns: Mapping[str, Sequence[str]], required: Collection[str]
) -> Rows:
    """Stream the non-blank data rows of a CSV or XLSX file.

    The header (first non-blank row) is read and checked *now*, so a missing required
    column raises :class:`TabularError` before the caller starts a transaction or a
    progress bar; data rows are then read lazily. Unknown headers are ignored. When
    several headers map to one column (e.g. 县名 and 县代码), a row takes the first
    non-empty one, left to right.
    """
    path = Path(path)
    index = _alias_index(columns)
    unknown = set(required) - set(columns)
    if unknown:
        raise ValueError(f"required columns not in columns: {sorted(unknown)}")
    records = _records(path)
    try:
        header_number, header = _header(records, path)
        positions = _column_positions(header, index)
        _check_required(path, header_number, header, positions, columns, required)
    except BaseException:
        records.close()
        raise
    headers = {canonical: header[where[0]] for canonical, where in positions.items()}
    return Rows(_data_rows(records, header, positions, columns), headers)


def count_rows(path: Path) -> int | None:
    """Estimate the number of data rows, cheaply, for a progress bar.

    CSV: physical lines minus the header (blank lines and line breaks inside quoted
    cells are counted too, so it is an upper bound). XLSX: the sheet's recorded
    dimension, without loading the workbook. ``None`` when that is unknown or would
    cost as much as the import; never raises, since :func:`read_rows` is the one
    that reports problems. Compare it with ``Row.number - 1``, not with a row count.
    """
    path = Path(path)
    try:
        if _file_kind(path) == "xlsx":
            total = _xlsx_dimension_rows(path)
        else:
            total = _csv_line_count(path)
    except (OSError, TabularError, zipfile.BadZipFile, ParseError, KeyError, ValueError):
        return None
    return None if total is None else max(total - 1, 0)


# --- header handling -------------------------------------------------------------------


def _header_key(text: str) -> str:
    """Canonical form of a header for comparison.

    NFKC folds full-width letters and brackets （） into ASCII, BOM and all whitespace
    go, and case is folded, so "Telegram ID", "telegramid" and "ＴＥＬＥＧＲＡＭ ＩＤ" agree.
    """
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    return "".join(text.split()).casefold()


def _alias_index(columns: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Map every normalized alias (and each canonical name) to its canonical name.

    An alias claimed by two columns is a bug in the caller's table, not in the file,
    hence ``ValueError``.
    """
    index: dict[str, str] = {}
    for canonical, aliases in columns.items():
        for alias in (canonical, *aliases):
            key = _header_key(alias)
            if index.setdefault(key, canonical) != canonical:
                raise ValueError(f"alias {alias!r} given for both {index[key]!r} and {canonical!r}")
    return index


def _match_header(cell: str, index: Mapping[str, str]) -> str | None:
    """Canonical column for a header cell; retries without notes like （必填） or *."""
    key = _header_key(cell)
    if not key:
        return None
    if key in index:
        return index[key]
    return index.get(_HEADER_NOTES.sub("", key))


def header_matches(cell: str, name: str) -> bool:
    """Whether a header cell reads as `name`, case, spaces, full-width forms and notes such as （万元） aside."""
    key, target = _header_key(cell), _header_key(name)
    return key == target or _HEADER_NOTES.sub("", key) == target


def _column_positions(header: Sequence[str], index: Mapping[str, str]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for position, cell in enumerate(header):
        canonical = _match_header(cell, index)
        if canonical is not None:
            positions.setdefault(canonical, []).append(position)
    return positions


def _header(records: _Records, path: Path) -> tuple[int, list[str]]:
    """The first non-blank record is the header; leading blank rows are tolerated."""
    for number, cells in records:
        if isinstance(cells, Unreadable):
            raise TabularError(path, _("第{number}行（表头）无法读取：{reason}").format(number=number, reason=cells.reason))
        if any(cells):
            return number, cells
    raise TabularError(path, _("文件为空，找不到表头行"))


def _display_name(canonical: str, aliases: Sequence[str]) -> str:
    """The Chinese alias a clerk would write, falling back to the canonical name."""
    return next((a for a in aliases if not a.isascii()), canonical)


def _check_required(
    path: Path,
    header_number: int,
    header: Sequence[str],
    positions: Mapping[str, list[int]],
    columns: Mapping[str, Sequence[str]],
    required: Collection[str],
) -> None:
    missing = [name for name in columns if name in required and name not in positions]
    if not missing:
        return
    parts = []
    for name in missing:
        accepted = joined(dict.fromkeys((name, *columns[name])))
        parts.append(_("缺少必需的列“{column}”（{name}，可写作：{accepted}）").format(
            column=_display_name(name, columns[name]), name=name, accepted=accepted))
    found = joined(cell for cell in header if cell) or _("（无）")
    message = _("；").join(parts) + _("。第{number}行的表头为：{found}").format(number=header_number, found=found)
    if path.suffix.lower() in (".xlsx", ".xlsm"):  # read as text because it is no Excel file inside
        message += _("。注意：此文件名为 {suffix}，但内容不是 Excel 文件（可能已损坏，或是改了扩展名的其他文件）").format(
            suffix=path.suffix)
    raise TabularError(path, message)


def _data_rows(
    records: _Records,
    header: Sequence[str],
    positions: Mapping[str, list[int]],
    columns: Mapping[str, Sequence[str]],
) -> Iterator[Row]:
    """Turn raw records into Rows, skipping blank ones without renumbering; an unreadable record, or one
    with a cell over MAX_CELL_CHARS or a NUL, is a Row with its problem and no values."""
    owner = {i: canonical for canonical, where in positions.items() for i in where}
    # A column under one header is read straight from its cell; only one under several looks for the first filled.
    single = [(canonical, where[0]) for canonical, where in positions.items() if len(where) == 1]
    several = [(canonical, where) for canonical, where in positions.items() if len(where) > 1]
    with closing(records):
        for number, cells in records:
            if not isinstance(cells, Unreadable):
                formula = _uncached_formula(cells, owner) if type(cells) is _FormulaRow else None
                if formula is None and not any(cells):
                    continue
                cells = _unusable(cells, header) or formula or cells
            if isinstance(cells, Unreadable):
                yield Row(number, dict.fromkeys(columns, ""), cells.reason, owner.get(cells.position, ""))  # type: ignore[arg-type]
                continue
            values = dict.fromkeys(columns, "")
            width = len(cells)
            for canonical, i in single:
                if i < width:
                    values[canonical] = cells[i]
            for canonical, where in several:
                values[canonical] = next((cells[i] for i in where if i < width and cells[i]), "")
            yield Row(number, values)


def _unusable(cells: Sequence[str], header: Sequence[str]) -> Unreadable | None:
    """Why a row of cells cannot be imported as it is: a cell too long, or holding a NUL character."""
    text = "".join(cells)
    if len(text) <= MAX_CELL_CHARS and "\x00" not in text:  # every row but a rare one: no cell to look at
        return None
    for position, cell in enumerate(cells):
        problem = ""
        if len(cell) > MAX_CELL_CHARS:
            problem = _("单元格有 {length} 个字符，超过上限 {limit}，整行未导入").format(
                length=f"{len(cell):,}", limit=f"{MAX_CELL_CHARS:,}")
        elif "\x00" in cell:
            problem = _("单元格含有空字符（NUL），整行未导入")
        if problem:
            name = header[position] if position < len(header) and header[position] else \
                _("第 {n} 列").format(n=position + 1)
            return Unreadable(_("“{column}”{problem}").format(column=name[:40], problem=problem), position)
    return None


def _uncached_formula(cells: _FormulaRow, owner: Mapping[int, str]) -> Unreadable | None:
    """A formula cell, in a column the caller asked for, whose result the file does not hold (a workbook written by
    a script and never opened in Excel): its row is refused, rather than read as if the cell were empty."""
    position = next((p for p in sorted(cells.formulas) if p in owner), None)
    if position is None:
        return None
    shown = " ".join(cells.formulas[position].split())
    if len(shown) > _SHOWN_FORMULA_CHARS:
        shown = shown[:_SHOWN_FORMULA_CHARS] + "…"
    return Unreadable(_("单元格是公式（{formula}），文件中没有保存计算结果，请粘贴为数值后再导入").format(formula=shown), position)


# --- raw records: (row number, stripped cell strings) for every physical row ----------


def _file_kind(path: Path) -> str:
    """'xlsx' or 'csv', by content rather than suffix (renamed files are common)."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except FileNotFoundError as e:
        raise TabularError(path, _("文件不存在")) from e
    except OSError as e:
        raise TabularError(path, _("无法打开文件：{reason}").format(reason=os_reason(e))) from e
    if magic == _XLSX_MAGIC:
        return "xlsx"
    if magic == _XLS_MAGIC:
        raise TabularError(path, _("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV"))
    return "csv"


def _records(path: Path) -> _Records:
    if _file_kind(path) == "xlsx":
        yield from _xlsx_records(path)
    else:
        yield from _csv_records(path)


# --- CSV -------------------------------------------------------------------------------


def _detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (superset of GBK).

    Decided by the first lines that hold non-ASCII text, each voting for the encoding it
    decodes in, not by the first chunk: a GBK file whose first 64 KiB happen to be ASCII is
    GBK, and a UTF-8 file with one GBK row pasted in is UTF-8 (that row is refused on its
    own). Reads line by line with a bounded line length, so memory stays constant.
    """
    with path.open("rb") as f:
        head = f.read(3)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        f.seek(0)
        votes = {"utf-8-sig": 0, "gb18030": 0, "": 0}
        while sum(votes.values()) < _VOTES and (line := f.readline(_LINE_CHUNK)):
            if not line.isascii():
                votes[next((name for name in ("utf-8-sig", "gb18030") if _decodes(line, name)), "")] += 1
    if votes["utf-8-sig"] == votes["gb18030"] == 0 and votes[""]:
        raise TabularError(path, _("无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030），请另存为 UTF-8 CSV 或 .xlsx"))
    return "utf-8-sig" if votes["utf-8-sig"] >= votes["gb18030"] else "gb18030"


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether `data` is text in `encoding` (a character cut off at the end, by a line-length limit, is fine)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(path: Path, encoding: str) -> str:
    """Comma, semicolon or tab: whichever occurs most in the header line.

    Counting in the header is more predictable than csv.Sniffer on Chinese text,
    and header names practically never contain a delimiter.
    """
    with path.open(encoding=encoding, errors="replace", newline="") as f:
        for line in f:
            if line.strip():
                break
        else:
            return ","
    best = max(_DELIMITERS, key=line.count)
    return best if line.count(best) else ","


def _csv_records(path: Path) -> _Records:
    """Each CSV record on its own, so one bad row costs that row only.

    Text is decoded with surrogateescape: bytes the file's encoding cannot read (a GBK row in a
    UTF-8 file) stay in the text as lone surrogates, and the record holding them is Unreadable.
    Records are split the way csv reads them (a line break inside quotes continues the record)
    and each is parsed alone, so a cell over csv's field limit refuses its row, not the file.
    """
    encoding = _detect_encoding(path)
    delimiter = _sniff_delimiter(path, encoding)
    label = _ENCODING_LABELS[encoding]
    number = 0
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
        try:
            for number, lines in enumerate(_csv_record_lines(f, delimiter), start=1):
                yield number, _csv_cells(lines, delimiter, label)
        except UnicodeDecodeError as e:  # UTF-16 cannot carry every byte through surrogateescape
            raise TabularError(
                path,
                _("第{number}行或其后有无法按 {encoding} 解码的内容，文件可能混用了多种编码或已损坏").format(
                    number=number + 1, encoding=label),
            ) from e


def _csv_cells(lines: list[str] | None, delimiter: str, label: str) -> list[str] | Unreadable:
    if lines is None:
        return Unreadable(_("此行超过 {limit} 个字符，未读取").format(limit=f"{MAX_RECORD_CHARS:,}"))
    try:
        record = next(csv.reader(lines, delimiter=delimiter), [])
    except csv.Error:  # a malformed quote (a long cell is read, and refused by _unusable, which names its column)
        return Unreadable(_("此行 CSV 格式有误（引号不成对或位置不对），整行未导入"))
    if not any(map(_UNDECODABLE.search, lines)):  # the record decoded whole: no cell to look at
        return [cell.strip() for cell in record]
    for position, cell in enumerate(record):
        if _UNDECODABLE.search(cell):
            other = _("（可能是 GBK 编码的内容）") if label == "UTF-8" else ""
            return Unreadable(_("第 {n} 列含有无法按 {encoding} 解码的字节{other}，整行未导入；请把整个文件另存为同一种编码")
                              .format(n=position + 1, encoding=label, other=other), position)
    return [cell.strip() for cell in record]


# Where csv stands at the end of a chunk of text: at the start of a field, inside an unquoted one,
# inside a quoted one, or just after a quote inside a quoted one (closing it, or the first of "").
_START, _UNQUOTED, _QUOTED, _QUOTE = range(4)


def _csv_record_lines(f: TextIO, delimiter: str) -> Iterator[list[str] | None]:
    """The physical lines of each record (None for a record over MAX_RECORD_CHARS, skipped unread)."""
    lines: list[str] = []
    size, state, too_long = 0, _START, False
    while chunk := f.readline(_LINE_CHUNK):
        if not too_long:
            lines.append(chunk)
            size += len(chunk)
            if size > MAX_RECORD_CHARS:
                lines, too_long = [], True
        state = _START if state == _START and '"' not in chunk else _scan(chunk, state, delimiter)
        if chunk[-1] in "\r\n" and state != _QUOTED:
            yield None if too_long else lines
            lines, size, state, too_long = [], 0, _START, False
    if lines or too_long:
        yield None if too_long else lines


def _scan(text: str, state: int, delimiter: str) -> int:
    """csv's quoting state after `text`, from `state` (its non-strict rules: a quote opens a quoted field
    only at the field's start, "" inside one is a quote, text after the closing quote joins the field)."""
    i, end = 0, len(text)
    while i < end:
        if state == _QUOTED:
            j = text.find('"', i)
            if j < 0:
                return _QUOTED
            state, i = _QUOTE, j + 1
        elif state == _QUOTE:
            state = _QUOTED if text[i] == '"' else _START if text[i] == delimiter else _UNQUOTED
            i += 1
        elif state == _START and text[i] == '"':
            state, i = _QUOTED, i + 1
        else:
            j = text.find(delimiter, i)
            if j < 0:
                return _UNQUOTED
            state, i = _START, j + 1
    return state


def _csv_line_count(path: Path) -> int | None:
    """Count line feeds in binary chunks; 0x0A never occurs inside a UTF-8 or GB18030
    multi-byte character, but it does inside UTF-16 ones, hence None there."""
    lines = 0
    last = b""
    with path.open("rb") as f:
        head = f.read(2)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return None
        f.seek(0)
        while chunk := f.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return lines


# --- XLSX ------------------------------------------------------------------------------


# What a workbook may unpack to. openpyxl streams the worksheets in read-only mode but holds every
# shared string in memory (about 60 bytes each, however short) and parses the other parts whole:
# a 4 MB file can declare gigabytes of them. The zip's declared sizes bound what zipfile will ever
# inflate, so checking them refuses such a file before anything is unpacked.
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024  # ≈ 300,000 rows of names and phone numbers; ≤ ~170 MB held
MAX_PART_BYTES = 8 * 1024 * 1024  # styles, workbook, relationships, theme: parsed whole
MAX_SHEET_RATIO = 100  # a worksheet over MAX_PART_BYTES inflating more than this is a zip bomb, not data
MAX_XLSX_ROWS = 1_048_576  # Excel's last row; a row number past it is a forgery
MAX_XLSX_COLUMNS = 16_384  # Excel's last column (XFD)
_XLSX_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, ParseError, ValueError, IndexError, TypeError,
                EOFError, OverflowError, zlib.error, DefusedXmlException)
_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _xlsx_records(path: Path) -> _Records:
    # A file object, not the path: openpyxl refuses paths not ending in .xlsx/.xlsm,
    # and a workbook saved as "名单.csv" by mistake should still be read.
    with path.open("rb") as stream:
        try:
            _check_xlsx_sizes(path, stream)
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except _XLSX_ERRORS as e:
            raise TabularError(path, _("无法作为 Excel（.xlsx）文件读取：{reason}").format(reason=_reason(e))) from e
        number = 0
        try:
            if not workbook.worksheets:
                raise TabularError(path, _("工作簿里没有工作表"))
            sheet = workbook.worksheets[0]
            # The sheet's rows as they are numbered in it, until its data really ends (some exporters write a wrong
            # <dimension>, e.g. "A1", which would silently drop rows); the missing ones are blank.
            with sheet._get_source() as source:
                parser = _SheetParser(source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                                      date_formats=workbook._date_formats,
                                      timedelta_formats=workbook._timedelta_formats)
                for row_number, cells in parser.parse():
                    if row_number <= number:  # a row number out of order: skipped, as openpyxl's own reading does
                        continue
                    if row_number > MAX_XLSX_ROWS:
                        raise TabularError(path, _("工作表的行号超过 Excel 上限 {limit}，文件已损坏或被篡改").format(
                            limit=f"{MAX_XLSX_ROWS:,}"))
                    number = row_number
                    yield number, _sheet_cells(cells)
        except _XLSX_ERRORS as e:
            raise TabularError(path, _("读取第{number}行时出错，Excel 文件可能已损坏：{reason}").format(
                number=number + 1, reason=_reason(e))) from e
        finally:
            workbook.close()


class _Uncached(str):
    """A formula cell whose result the file does not hold (openpyxl writes formulas so): its formula, ``=A1``."""

    __slots__ = ()


class _FormulaRow(list):  # type: ignore[type-arg]
    """A row's cells (its uncached formulas read as empty), with those formulas by position."""

    __slots__ = ("formulas",)

    def __init__(self, cells: list[str], formulas: dict[int, str]) -> None:
        super().__init__(cells)
        self.formulas = formulas


class _SheetParser(WorkSheetParser):
    """openpyxl's streaming worksheet parser, reading a formula cell's stored result (as ``data_only`` does), but a
    formula cell without one as its formula (`_Uncached`), not as an empty cell."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell = super().parse_cell(element)
        # No result: no <v>, or an empty one (openpyxl writes <v/>), except for a text result (t="str"), which is ""
        if cell["value"] is None and cell["data_type"] not in ("str", "inlineStr") and not element.findtext(VALUE_TAG):
            formula = element.find(FORMULA_TAG)
            if formula is not None:
                written = self.parse_formula(element)  # also learns a shared formula for the cells sharing it
                text = written if isinstance(written, str) else getattr(written, "text", None)
                cell["value"] = _Uncached(text if isinstance(text, str) and text != "=" else "=" + (formula.text or ""))
        return cell


def _sheet_cells(cells: Sequence[dict[str, Any]]) -> list[str]:
    """A parsed row's cells as text, by column (cells a row skips are empty); a `_FormulaRow` when some hold a
    formula without its result."""
    if not cells:
        return []
    width = cells[-1]["column"]
    if width > MAX_XLSX_COLUMNS:
        raise ValueError(_("列号 {column} 超过 Excel 上限 {limit}").format(column=f"{width:,}", limit=f"{MAX_XLSX_COLUMNS:,}"))
    values = [""] * width
    formulas: dict[int, str] = {}
    for cell in cells:
        position, value = cell["column"] - 1, cell["value"]
        if position < width:
            if type(value) is _Uncached:
                formulas[position] = value
            else:
                values[position] = _cell_text(value)
    return _FormulaRow(values, formulas) if formulas else values


def _check_xlsx_sizes(path: Path, stream: BinaryIO) -> None:
    """Refuse, from the zip's directory alone, a workbook whose parts would unpack past the limits above."""
    with zipfile.ZipFile(stream) as archive:
        types = archive.getinfo("[Content_Types].xml")
        if types.file_size > MAX_PART_BYTES:
            raise TabularError(path, _("[Content_Types].xml 过大，不是正常的 Excel 文件"))
        kinds = {e.get("PartName", "").lstrip("/"): e.get("ContentType", "")
                 for e in SafeET.fromstring(archive.read(types)).iter() if e.tag.rsplit("}", 1)[-1] == "Override"}
        for info in archive.infolist():
            kind, size = kinds.get(info.filename, ""), info.file_size
            if kind == _SHARED_STRINGS and size > MAX_SHARED_STRINGS_BYTES:
                raise TabularError(path, _("共享字符串表解压后有 {size} MB，超过上限 {limit} MB（可能是“压缩炸弹”）；"
                                           "如确是数据，请拆分文件或另存为 CSV").format(
                    size=f"{size / 2**20:,.0f}", limit=MAX_SHARED_STRINGS_BYTES // 2**20))
            if kind == _WORKSHEET and size > MAX_PART_BYTES and size > MAX_SHEET_RATIO * max(info.compress_size, 1):
                raise TabularError(path, _("工作表 {part} 解压后有 {size} MB，压缩比超过 {ratio}:1（可能是“压缩炸弹”），未读取")
                                   .format(part=info.filename, size=f"{size / 2**20:,.0f}", ratio=MAX_SHEET_RATIO))
            if kind == _WORKSHEET and size > MAX_PART_BYTES and not _has_dimension(archive, info):
                # openpyxl looks for <dimension> by building the sheet's whole tree when it is missing
                raise TabularError(path, _("工作表 {part} 有 {size} MB 却没有尺寸信息（<dimension>），请在 Excel 中打开并另存后再导入")
                                   .format(part=info.filename, size=f"{size / 2**20:,.0f}"))
            if kind not in (_SHARED_STRINGS, _WORKSHEET) and size > MAX_PART_BYTES:
                raise TabularError(path, _("{part} 解压后有 {size} MB，超过上限 {limit} MB，未读取").format(
                    part=info.filename, size=f"{size / 2**20:,.0f}", limit=MAX_PART_BYTES // 2**20))
    stream.seek(0)


def _has_dimension(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a worksheet states its <dimension> before its data (read only that far, streaming)."""
    with archive.open(info) as source:
        for _event, element in SafeET.iterparse(source, events=("start",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag in ("dimension", "sheetData"):
                return tag == "dimension"
    return False


def _reason(error: BaseException) -> str:
    """An error for the person importing: its own words when it has some, never just a class name."""
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else _("文件结构不完整")


def _cell_text(value: object) -> str:
    """Render a cell as the text a person sees, for identifiers above all.

    Excel stores every number as a float, so 513429 (a county code) or 123456789
    (a telegram id) must not come out as "513429.0"; dates become ISO strings.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def _xlsx_dimension_rows(path: Path) -> int | None:
    """Last row of the first sheet's <dimension>, read straight from the zip.

    load_workbook would parse all shared strings first, which for a large file costs
    about as much as the import itself.
    """
    with zipfile.ZipFile(path) as archive:
        sheet_path = _first_sheet_path(archive)
        if sheet_path is None:
            return None
        with archive.open(sheet_path) as source:
            for _event, element in SafeET.iterparse(source, events=("start",)):
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "dimension":
                    return _last_row_of(element.get("ref", ""))
                if tag == "sheetData":
                    return None
    return None


def _last_row_of(ref: str) -> int | None:
    """'A1:F200' -> 200; a single cell like 'A1' is what broken exporters write."""
    if ":" not in ref:
        return None
    digits = re.search(r"(\d+)$", ref)
    return int(digits.group(1)) if digits else None


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    workbook_path = "xl/workbook.xml"
    with archive.open(workbook_path) as source:
        sheets = [e for e in SafeET.parse(source).iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]
    if not sheets:
        return None
    rel_id = next((v for k, v in sheets[0].attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
    with archive.open("xl/_rels/workbook.xml.rels") as source:
        for rel in SafeET.parse(source).iter():
            if rel.get("Id") == rel_id:
                target = rel.get("Target", "")
                if target.startswith("/"):
                    return target.lstrip("/")
                return posixpath.normpath(posixpath.join(posixpath.dirname(workbook_path), target))
    return None
