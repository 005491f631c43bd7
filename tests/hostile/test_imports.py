"""Hostile import files, on SQLite and PostgreSQL: a bad row costs that row (with its number and reason), every
other row is imported and reported; refusals are capped in the listing, counted in full; an XLSX that would
unpack to gigabytes is refused from its zip directory before anything is inflated."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from models.registry import Contact, Organization
from models.services.importing import MAX_LISTED, import_file
from models.services.tabular import MAX_CELL_CHARS, MAX_SHARED_STRINGS_BYTES, TabularError
from tests.factories import CODES
from tests.hostile.workbooks import replace_part, shared_strings, workbook
from tests.test_cli import pairbot
from tests.test_import import engine  # noqa: F401  (the fixture: a database with the counties loaded)

HEADER = "姓名,角色,电话\n"


def contacts(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Contact)).one()


def admin_row(n: int) -> bytes:
    return f"联系人{n},管理员,1380000{n:04d}\n".encode()


def test_a_gbk_row_in_a_utf8_csv_is_refused_alone(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    rows = [admin_row(n) for n in range(2, 2001)]
    rows[1502 - 2] = "王小明,管理员,13800001502\n".encode("gbk")  # line 1,502 (header is line 1)
    path.write_bytes(HEADER.encode() + b"".join(rows))
    report = import_file(engine, "contacts", path, actor="test")
    assert (report.created, report.refused, report.stopped) == (1998, 1, "")
    [problem] = report.problems
    assert problem.row == 1502 and problem.column.startswith("name") and "UTF-8" in problem.message
    assert str(problem).startswith("contacts.csv 第 1502 行，列 name（姓名）")
    assert contacts(engine) == 1998


def test_a_cell_over_the_limit_refuses_its_row_only(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    huge = "长" * (MAX_CELL_CHARS + 1)
    body = [admin_row(n) for n in range(2, 12)]
    body[3] = f"联系人5,管理员,{huge}\n".encode()  # line 5: unquoted
    body[6] = f'"联系人\n8",管理员,"{huge}\n{huge}"\n'.encode()  # line 8: quoted, over several lines
    body.append(f'联系人X,管理员,"{"长" * MAX_CELL_CHARS}"\n'.encode())  # exactly the limit: fine (too long a phone)
    path.write_bytes(HEADER.encode() + b"".join(body))
    report = import_file(engine, "contacts", path, actor="test")
    assert report.created == 8 and report.refused == 3
    assert [p.row for p in report.problems] == [5, 8, 12]
    assert all("131,072" in p.message and "整行未导入" in p.message for p in report.problems[:2])
    assert [p.column[:5] for p in report.problems[:2]] == ["phone", "phone"], report.problems  # the cell is named
    assert report.problems[2].message.startswith("超过 32 个字符")  # read whole; the phone column holds 32


def test_a_row_of_megabytes_is_skipped_unread(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    path.write_bytes(HEADER.encode() + admin_row(2) + b"x," * 3_000_000 + b"\n" + admin_row(4))
    tracemalloc.start()
    try:
        report = import_file(engine, "contacts", path, actor="test")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.created, report.refused, report.problems[0].row) == (2, 1, 3)
    assert peak < 40 * 2**20, peak


def test_nul_and_over_long_text_are_refused_with_their_column(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "orgs.csv"
    path.write_bytes(("名称,统一社会信用代码,业务主管单位\n"
                      f"甲\x00基金会,{CODES[0]},\n"
                      f"{'很长的名字' * 30},{CODES[1]},\n"
                      f"乙基金会,{CODES[2]},{'主管' * 70}\n"
                      f"丙基金会,{CODES[3]},民政部\n").encode())
    report = import_file(engine, "orgs", path, actor="test")
    assert report.created == 1 and [p.row for p in report.problems] == [2, 3, 4]
    assert "NUL" in report.problems[0].message
    assert report.problems[1].column == "“名称”（name）" and "128" in report.problems[1].message
    assert report.problems[2].column.startswith("supervisor")
    with Session(engine) as session:
        assert [o.name for o in session.exec(select(Organization)).all()] == ["丙基金会"]


def test_problems_are_capped_in_the_listing_and_counted_in_full(engine, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    with path.open("wb") as f:
        f.write(HEADER.encode())
        for n in range(2, 3502):
            f.write(f"坏{n},不存在的角色,\n".encode() if n % 7 else admin_row(n))
    report = import_file(engine, "contacts", path, actor="test")
    bad = sum(1 for n in range(2, 3502) if n % 7)
    assert (report.refused, len(report.problems), report.created) == (bad, MAX_LISTED, 3500 - bad)
    assert report.problems[0].row == 2 and report.problems[-1].row < 1200
    again = pairbot("import", "contacts", str(path), cwd=tmp_path, env={"PAIRBOT_DATABASE__URL": db_url})
    assert again.returncode == 3  # rows were refused (README: exit codes of pairbot import)
    assert len([line for line in again.stderr.splitlines() if "第 " in line and " 行" in line]) == MAX_LISTED
    assert f"另有 {bad - MAX_LISTED:,} 行被拒绝" in again.stderr and f"共拒绝 {bad:,} 行" in again.stderr
    assert f"拒绝 {bad}" in again.stdout


# --- XLSX ------------------------------------------------------------------------------------


def test_an_xlsx_whose_shared_strings_would_explode_is_refused_at_once(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "bomb.xlsx", [["姓名", "角色"], ["张三", "管理员"]])
    replace_part(path, "xl/sharedStrings.xml", shared_strings(MAX_SHARED_STRINGS_BYTES + 2**20))
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(TabularError, match="共享字符串表.*超过上限"):
            import_file(engine, "contacts", path, actor="test")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2 and peak < 10 * 2**20
    assert contacts(engine) == 0


def test_an_xlsx_sheet_that_inflates_like_a_bomb_is_refused(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "sheet-bomb.xlsx", [["姓名", "角色"]])

    def sheet() -> Iterator[bytes]:
        yield (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
               b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row><row r="2">')
        for _ in range(3000):
            yield b"<c/>" * 4096  # one row of fifty million empty cells
        yield b"</row></sheetData></worksheet>"

    replace_part(path, "xl/worksheets/sheet1.xml", sheet())
    with pytest.raises(TabularError, match="压缩比"):
        import_file(engine, "contacts", path, actor="test")


def test_an_xlsx_row_number_past_excel_is_refused(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "far.xlsx", [["姓名", "角色"]])
    replace_part(path, "xl/worksheets/sheet1.xml", iter([
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>role</t></is>'
        b'</c></row><row r="2"><c r="A2" t="inlineStr"><is><t>A</t></is></c><c r="B2" t="inlineStr"><is><t>admin'
        b'</t></is></c></row><row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>B</t></is></c></row>'
        b"</sheetData></worksheet>"]))
    started = time.perf_counter()
    report = import_file(engine, "contacts", path, actor="test")
    assert time.perf_counter() - started < 10
    assert report.created == 1 and "行号超过 Excel 上限" in report.stopped


def test_a_damaged_xlsx_keeps_and_reports_the_rows_before_the_damage(engine, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "cut.xlsx", [["姓名", "角色"]])
    rows = b"".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>联系人{n}</t></is></c><c r="B{n}" '
                    f't="inlineStr"><is><t>admin</t></is></c></row>'.encode() for n in range(2, 1502))
    replace_part(path, "xl/worksheets/sheet1.xml", iter([
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B1503"/>'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is>'
        b"<t>role</t></is></c></row>", rows, b'<row r="1502"><c r="A1502" t="s"><v>999</v></c></row><row r="1503"><c>']))
    report = import_file(engine, "contacts", path, actor="test")
    assert report.created == 1500 and report.stopped and contacts(engine) == 1500
    cli = pairbot("import", "contacts", str(path), cwd=tmp_path, env={"PAIRBOT_DATABASE__URL": db_url})
    assert cli.returncode == 1 and "读取中断" in cli.stderr and "未变 1500" in cli.stdout
    assert "Error" not in cli.stderr
