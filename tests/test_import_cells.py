"""`pairbot import`, cell by cell: formulas without a stored result, blank cells in a re-import, an admin row with a
county, the Chinese name of every column, and line breaks in one-line fields."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter
from openpyxl import Workbook
from sqlmodel import Session, select

from models.pairing import Pairing
from models.registry import Contact, County, Organization
from models.services.importing import import_file
from models.services.tabular import ORG_COLUMNS, read_rows
from tests.factories import CODES
from tests.test_import import engine, write  # noqa: F401  (the fixture: a database with the counties loaded)

UNCACHED = "文件中没有保存计算结果，请粘贴为数值后再导入"


def script_workbook(path: Path, rows: list[list[object]]) -> Path:
    """A workbook as a script writes it with openpyxl: a formula is stored without its result."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# --- 1. formula cells ---------------------------------------------------------------------------------------------


def test_a_formula_without_its_result_refuses_its_row_naming_the_column(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = script_workbook(tmp_path / "orgs.xlsx", [
        ["name", "credit_code", "level", "kind", "province", "备注"],
        ['=CONCAT("a","b")', CODES[0], "全国性", None, None, None],  # 2: required column
        ["乙基金会", "=A1", None, None, None, None],  # 3
        ["丙基金会", CODES[1], "=B2", None, None, None],  # 4: an optional column
        ["丁基金会", CODES[2], None, None, None, "=A1"],  # 5: a column the import does not read: fine
    ])
    report = import_file(engine, "orgs", path, actor="t")
    assert (report.created, report.refused) == (1, 3)
    assert [str(p) for p in report.problems] == [
        f'orgs.xlsx 第 2 行，列 name（组织名称）：单元格是公式（=CONCAT("a","b")），{UNCACHED}',
        f"orgs.xlsx 第 3 行，列 credit_code（统一社会信用代码）：单元格是公式（=A1），{UNCACHED}",
        f"orgs.xlsx 第 4 行，列 level（层级）：单元格是公式（=B2），{UNCACHED}",
    ]
    with Session(engine) as session:
        assert [o.name for o in session.exec(select(Organization)).all()] == ["丁基金会"]


def test_a_formula_in_an_optional_contact_column_is_not_dropped_silently(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = script_workbook(tmp_path / "contacts.xlsx", [
        ["name", "role", "county", "phone"], ["阿木", "county", "布拖县", "=A1"], ["李华", "county", "昭觉县", None]])
    report = import_file(engine, "contacts", path, actor="t")
    assert (report.created, report.refused) == (1, 1)
    assert str(report.problems[0]) == f"contacts.xlsx 第 2 行，列 phone（电话）：单元格是公式（=A1），{UNCACHED}"


def test_a_formula_whose_result_the_file_holds_is_read_as_that_result(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "saved.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["name", "credit_code"])
    sheet.write_formula(1, 0, '=CONCAT("甲","基金会")', None, "甲基金会")
    sheet.write(1, 1, CODES[0])
    book.close()
    report = import_file(engine, "orgs", path, actor="t")
    assert (report.created, report.refused) == (1, 0), report.problems
    with Session(engine) as session:
        assert session.exec(select(Organization)).one().name == "甲基金会"


def test_reading_a_workbook_still_streams_rows_by_their_numbers(tmp_path: Path) -> None:
    path = script_workbook(tmp_path / "o.xlsx", [["name", "credit_code"], ["甲", CODES[0]], [None, None],
                                                  ["=A2", CODES[1]]])
    rows = list(read_rows(path, ORG_COLUMNS, ["name"]))
    assert [(r.number, r.values["name"], r.problem[:9], r.column) for r in rows] == [
        (2, "甲", "", ""), (4, "", "单元格是公式（=A", "name")]


# --- 2. blank cells in a re-import --------------------------------------------------------------------------------


def test_blank_optional_cells_leave_an_organizations_stored_values(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    full = write(tmp_path, "o1.csv", f"name,credit_code,level,kind,province,supervisor\n某组织3,{CODES[0]},全国性,基金会,北京市,民政部\n")
    assert import_file(engine, "orgs", full, actor="t").created == 1
    blank = write(tmp_path, "o2.csv", f"name,credit_code,level,kind,province\n某组织3,{CODES[0]},,,\n")
    report = import_file(engine, "orgs", blank, actor="t")
    assert (report.updated, report.unchanged, report.refused) == (0, 1, 0)
    changed = write(tmp_path, "o3.csv", f"name,credit_code,level,kind,province\n某组织3,{CODES[0]},,社会团体,\n")
    assert import_file(engine, "orgs", changed, actor="t").updated == 1
    with Session(engine) as session:
        org = session.exec(select(Organization)).one()
        assert (org.level, org.kind, org.province, org.supervisor) == ("全国性", "社会团体", "北京市", "民政部")


def test_blank_cells_leave_a_contacts_pairings_and_countys_stored_values(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_file(engine, "orgs", write(tmp_path, "o.csv", f"name,credit_code\n甲基金会,{CODES[0]}\n"), actor="t")
    import_file(engine, "pairings", write(tmp_path, "p1.csv", "organization,county,status\n甲基金会,布拖县,暂停\n"), "t")
    again = import_file(engine, "pairings", write(tmp_path, "p2.csv", "organization,county,status\n甲基金会,布拖县,\n"), "t")
    assert (again.updated, again.unchanged) == (0, 1)
    import_file(engine, "contacts", write(tmp_path, "c1.csv", "name,role,county,phone\n阿木,county,布拖县,13800000000\n"), "t")
    again = import_file(engine, "contacts", write(tmp_path, "c2.csv", "name,role,county,phone\n阿木,county,布拖县,\n"), "t")
    assert (again.updated, again.unchanged) == (0, 1)
    counties = "code,province,prefecture,county\n513429,四川省,,布拖县\n"
    assert import_file(engine, "counties", write(tmp_path, "k.csv", counties), "t").unchanged == 1
    with Session(engine) as session:
        assert session.exec(select(Pairing)).one().status == "suspended"
        assert session.exec(select(Contact)).one().phone == "13800000000"
        assert session.exec(select(County).where(County.code == "513429")).one().prefecture == "凉山彝族自治州"


# --- 3. an admin row with a county or organization ----------------------------------------------------------------


def test_an_admin_row_with_a_county_or_organization_is_refused(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_file(engine, "orgs", write(tmp_path, "o.csv", f"name,credit_code\n甲基金会,{CODES[0]}\n"), actor="t")
    path = write(tmp_path, "c.csv", "name,role,county,organization\n"
                                    "管理员甲,admin,布拖县,\n"
                                    "管理员乙,管理员,,甲基金会\n"
                                    "管理员丙,admin,,\n")
    report = import_file(engine, "contacts", path, actor="t")
    assert (report.created, report.refused) == (1, 2)
    assert [str(p).split("：")[0] for p in report.problems] == [
        "c.csv 第 2 行，列 county（所在县）", "c.csv 第 3 行，列 organization（社会组织）"]
    assert all("管理员按省份管理" in p.message for p in report.problems)
    with Session(engine) as session:
        assert [c.name for c in session.exec(select(Contact)).all()] == ["管理员丙"]


# --- 4. every column named in Chinese -----------------------------------------------------------------------------


def test_a_duplicate_telegram_id_names_the_column_in_chinese(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "contacts.csv", "name,role,county,telegram_id\n甲,county,布拖县,111\n乙,county,布拖县,111\n")
    [problem] = import_file(engine, "contacts", path, actor="t").problems
    assert str(problem) == "contacts.csv 第 3 行，列 telegram_id（Telegram账号）：与第 2 行重复"


# --- 5. line breaks and control characters in one-line fields -----------------------------------------------------


def test_a_line_break_or_control_character_in_a_name_refuses_its_row(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "contacts.csv", 'name,role,county,phone\n"公式D\n换行",county,布拖县,\n'
                                           "铃\x07声,county,布拖县,\n"
                                           "好人,county,布拖县,\n")
    report = import_file(engine, "contacts", path, actor="t")
    assert (report.created, report.refused) == (1, 2)
    assert [(p.row, p.column) for p in report.problems] == [(2, "name（姓名）"), (3, "name（姓名）")]
    assert "换行" in report.problems[0].message and "U+0007" in report.problems[1].message
    orgs = write(tmp_path, "o.csv", f'name,credit_code,supervisor\n甲基金会,{CODES[0]},"民政\r\n部"\n')
    [problem] = import_file(engine, "orgs", orgs, actor="t").problems
    assert str(problem).startswith("o.csv 第 2 行，列 supervisor（业务主管单位）：含有换行")


def test_an_empty_text_result_is_an_empty_cell_not_a_missing_result(tmp_path: Path) -> None:
    """Excel stores a formula whose result is "" as <c t="str"><f>…</f><v></v></c>: the file holds its result."""
    from tests.hostile.workbooks import replace_part, workbook

    path = workbook(tmp_path / "empty.xlsx", [["name"]])
    replace_part(path, "xl/worksheets/sheet1.xml", iter([
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>supervisor</t>'
        b'</is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>X</t></is></c><c r="B2" t="str"><f>""</f><v></v>'
        b'</c></row><row r="3"><c r="A3" t="inlineStr"><is><t>Y</t></is></c><c r="B3"><f>A1</f><v></v></c></row>'
        b"</sheetData></worksheet>"]))
    rows = list(read_rows(path, ORG_COLUMNS, ["name"]))
    assert [(r.number, r.values["name"], r.values["supervisor"], r.column) for r in rows] == [
        (2, "X", "", ""), (3, "", "", "supervisor")]
