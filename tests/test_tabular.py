"""Tests for reading CSV/XLSX import files as streams of rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook

from models.services.tabular import (
    CONTACT_COLUMNS,
    COUNTY_COLUMNS,
    ORG_COLUMNS,
    PAIRING_COLUMNS,
    Row,
    TabularError,
    _csv_cells,
    _csv_record_lines,
    count_rows,
    read_rows,
)

ORG_CSV = (
    "社会组织名称,统一社会信用代码,层级,业务主管单位\n"
    "中国社会福利基金会,53100000500019795A,全国性,民政部\n"
    "中国自动化学会,51100000500002862F,全国性,中国科学技术协会\n"
)
ORG_EXPECTED = [
    Row(
        2,
        {
            "name": "中国社会福利基金会",
            "credit_code": "53100000500019795A",
            "level": "全国性",
            "kind": "",
            "province": "",
            "supervisor": "民政部",
        },
    ),
    Row(
        3,
        {
            "name": "中国自动化学会",
            "credit_code": "51100000500002862F",
            "level": "全国性",
            "kind": "",
            "province": "",
            "supervisor": "中国科学技术协会",
        },
    ),
]


def write(tmp_path: Path, name: str, text: str, encoding: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_all(path: Path, columns=ORG_COLUMNS, required=("name",)) -> list[Row]:
    return list(read_rows(path, columns, required))


# --- encodings -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, f"orgs-{encoding}.csv", ORG_CSV, encoding)
    assert read_all(path) == ORG_EXPECTED


def test_gbk_bytes_really_are_not_utf8(tmp_path: Path) -> None:
    # Guard the test above: the GBK file must not be accidentally valid UTF-8.
    data = ORG_CSV.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_gb18030_only_characters(tmp_path: Path) -> None:
    # 䶮 (U+4DAE) is in GB18030 but not GBK; rare characters do occur in names.
    text = "名称,统一社会信用代码\n刘䶮公益服务中心,52100000500000784G\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = write(tmp_path, "rare.csv", text, "gb18030")
    assert read_all(path)[0].values["name"] == "刘䶮公益服务中心"


def test_bom_not_in_first_header(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "名称\n甲\n", "utf-8-sig")
    assert read_all(path) == [Row(2, {c: ("甲" if c == "name" else "") for c in ORG_COLUMNS})]


def test_gbk_after_long_ascii_prefix(tmp_path: Path) -> None:
    # Encoding is decided on the first chunk with non-ASCII text, not on the first
    # 64 KiB: here Chinese appears only after ~100 KB of ASCII rows.
    lines = ["name,credit_code"] + [f"org{i},{i:018d}" for i in range(5000)]
    lines.append("中国社会福利基金会,53100000500019795A")
    path = write(tmp_path, "late.csv", "\n".join(lines) + "\n", "gbk")
    assert path.stat().st_size > 100_000
    rows = read_all(path)
    assert rows[-1] == Row(5002, {**dict.fromkeys(ORG_COLUMNS, ""),
                                  "name": "中国社会福利基金会", "credit_code": "53100000500019795A"})


def test_bad_bytes_after_the_sample_refuse_their_row_only(tmp_path: Path) -> None:
    good = "".join(f"乡村振兴促进会{i}\n" for i in range(10_000))  # > 64 KiB of UTF-8
    path = tmp_path / "mixed.csv"
    path.write_bytes(("名称\n" + good).encode("utf-8") + "坏行\n".encode("gbk") + "好行\n".encode())
    rows = read_all(path)
    assert len(rows) == 10_002 and rows[-1] == Row(10_003, {**dict.fromkeys(ORG_COLUMNS, ""), "name": "好行"})
    bad = rows[-2]
    assert (bad.number, bad.column) == (10_002, "name") and "UTF-8" in bad.problem and "GBK" in bad.problem


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"name\n\x80\xff\xfe\x81\xff\n")
    with pytest.raises(TabularError, match="junk.csv.*编码"):
        read_all(path)


def test_a_file_named_xlsx_that_is_no_excel_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"garbage that is no zip\n")
    with pytest.raises(TabularError, match="缺少必需的列.*此文件名为 .xlsx，但内容不是 Excel 文件"):
        read_all(path)
    renamed = tmp_path / "orgs.xlsx"  # a CSV saved under the wrong name is still read
    renamed.write_bytes(ORG_CSV.encode("utf-8"))
    assert read_all(renamed) == ORG_EXPECTED


# --- delimiters, blank rows, quoting ------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    text = ORG_CSV.replace(",", delimiter)
    path = write(tmp_path, "d.csv", text, "utf-8")
    assert read_all(path) == ORG_EXPECTED


def test_blank_rows_skipped_but_numbering_true(tmp_path: Path) -> None:
    text = "\n名称,类型\n甲,基金会\n\n , \n乙,社会团体\n,,,\n"
    path = write(tmp_path, "blank.csv", text, "utf-8")
    rows = read_all(path)
    # Header on line 2 (leading blank line tolerated), data on lines 3 and 6.
    assert [(r.number, r.values["name"], r.values["kind"]) for r in rows] == [
        (3, "甲", "基金会"),
        (6, "乙", "社会团体"),
    ]


def test_quoted_cells_and_multiline_count_as_one_row(tmp_path: Path) -> None:
    text = '名称,业务主管单位\n"甲,乙联合会","第一行\n第二行"\n丙,丁\n'
    path = write(tmp_path, "q.csv", text, "utf-8")
    rows = read_all(path)
    assert rows[0].values["name"] == "甲,乙联合会"
    assert rows[0].values["supervisor"] == "第一行\n第二行"
    assert rows[1].number == 3  # spreadsheet rows, not physical lines


def test_values_stripped_short_and_long_rows(tmp_path: Path) -> None:
    text = "名称,类型\n  甲\u3000 \n乙,基金会,多余\n"
    path = write(tmp_path, "s.csv", text, "utf-8")
    rows = read_all(path)
    assert rows[0].values["name"] == "甲" and rows[0].values["kind"] == ""
    assert rows[1].values["kind"] == "基金会"


# --- header aliases ----------------------------------------------------------------


def test_alias_matching_normalizes_headers(tmp_path: Path) -> None:
    text = (
        " 姓 名 ,ＴＥＬＥＧＲＡＭ　ＩＤ,企业微信（选填）,手机号(必填),*身份,备注\n"
        "张三,123456789,zhangsan,13800000000,联络员,忽略\n"
    )
    path = write(tmp_path, "c.csv", text, "utf-8")
    (row,) = read_rows(path, CONTACT_COLUMNS, required=["name", "telegram_id"])
    assert row.values == {
        "name": "张三",
        "role": "联络员",
        "county": "",
        "organization": "",
        "phone": "13800000000",
        "telegram_id": "123456789",
        "wecom_userid": "zhangsan",
    }


def test_canonical_english_headers_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Organization,COUNTY,Status\n甲,513429,active\n", "utf-8")
    (row,) = read_rows(path, PAIRING_COLUMNS, required=["organization", "county"])
    assert row.values == {"organization": "甲", "county": "513429", "status": "active"}


def test_duplicate_aliases_take_first_non_empty(tmp_path: Path) -> None:
    text = "组织,县名,县代码\n甲,布拖县,513429\n乙,,513430\n"
    path = write(tmp_path, "dup.csv", text, "utf-8")
    rows = read_all(path, PAIRING_COLUMNS, ["organization", "county"])
    assert [r.values["county"] for r in rows] == ["布拖县", "513430"]


def test_full_width_parentheses_alias(tmp_path: Path) -> None:
    columns = {"phone": ["电话(手机)"]}
    path = write(tmp_path, "fw.csv", "电话（手机）\n138\n", "utf-8")
    assert read_all(path, columns, ["phone"])[0].values == {"phone": "138"}


def test_alias_collision_in_table_is_a_programming_error(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "a\n1\n", "utf-8")
    with pytest.raises(ValueError, match="alias"):
        read_rows(path, {"a": ["名称"], "b": ["名 称"]}, [])


def test_builtin_tables_have_no_collisions(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "zzz\n1\n", "utf-8")
    for table in (ORG_COLUMNS, PAIRING_COLUMNS, CONTACT_COLUMNS, COUNTY_COLUMNS):
        assert len(list(read_rows(path, table, []))) == 1


# --- missing columns / file errors ---------------------------------------------------


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "orgs.csv", "名称,类型\n甲,基金会\n", "utf-8")
    with pytest.raises(TabularError) as info:
        read_rows(path, ORG_COLUMNS, required=["name", "credit_code"])  # raises eagerly
    message = str(info.value)
    assert "orgs.csv" in message
    assert "统一社会信用代码" in message and "credit_code" in message
    assert "第1行的表头为：名称、类型" in message
    assert info.value.path == path


def test_several_missing_columns_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, "contacts.csv", "备注\nx\n", "utf-8")
    with pytest.raises(TabularError) as info:
        read_rows(path, CONTACT_COLUMNS, required=["name", "phone"])
    assert "姓名" in str(info.value) and "电话" in str(info.value)


def test_required_must_be_known(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "名称\n甲\n", "utf-8")
    with pytest.raises(ValueError):
        read_rows(path, ORG_COLUMNS, required=["nmae"])


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.csv", "\n\n", "utf-8")
    with pytest.raises(TabularError, match="empty.csv.*表头"):
        read_rows(empty, ORG_COLUMNS, [])
    with pytest.raises(TabularError, match="不存在"):
        read_rows(tmp_path / "nope.csv", ORG_COLUMNS, [])


def test_old_xls_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(TabularError, match=r"\.xls"):
        read_rows(path, ORG_COLUMNS, [])


def test_broken_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TabularError, match="broken.xlsx"):
        read_rows(path, ORG_COLUMNS, [])
    assert count_rows(path) is None


# --- XLSX --------------------------------------------------------------------------


def make_xlsx(path: Path, rows: list[list[object]], *, first_sheet_title: str = "名单") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = first_sheet_title
    for row in rows:
        sheet.append(row)
    other = workbook.create_sheet("说明")
    other.append(["这张表不应被读取"])
    workbook.save(path)
    return path


def test_xlsx_numbers_blanks_dates(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "contacts.xlsx",
        [
            ["姓名", "Telegram ID", "电话", "所在县", "角色", "企业微信ID"],
            ["张三", 123456789, 13800138000.0, 513429, None, "zhangsan"],
            [],
            [None, None, None, None, None, None],
            ["李四", 987654321.0, "  010-12345678 ", "布拖县", 2.5, datetime(2024, 3, 1)],
            ["王五", None, None, None, date(2024, 5, 6), datetime(2024, 3, 1, 14, 30)],
        ],
    )
    rows = list(read_rows(path, CONTACT_COLUMNS, ["name"]))
    assert [r.number for r in rows] == [2, 5, 6]
    assert rows[0].values == {
        "name": "张三",
        "role": "",
        "county": "513429",
        "organization": "",
        "phone": "13800138000",
        "telegram_id": "123456789",
        "wecom_userid": "zhangsan",
    }
    assert rows[1].values["telegram_id"] == "987654321"
    assert rows[1].values["phone"] == "010-12345678"
    assert rows[1].values["role"] == "2.5"
    assert rows[1].values["wecom_userid"] == "2024-03-01"
    assert rows[2].values["role"] == "2024-05-06"
    assert rows[2].values["wecom_userid"] == "2024-03-01T14:30:00"


def test_xlsx_sheet_starting_with_blank_rows(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet["A3"] = "代码"
    sheet["B3"] = "县名"
    sheet["A5"] = 513429
    sheet["B5"] = "布拖县"
    path = tmp_path / "counties.xlsx"
    workbook.save(path)
    rows = list(read_rows(path, COUNTY_COLUMNS, ["code", "county"]))
    assert rows == [Row(5, {"code": "513429", "province": "", "prefecture": "", "county": "布拖县"})]


def test_xlsx_missing_column(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "pairings.xlsx", [["社会组织", "状态"], ["甲", "active"]])
    with pytest.raises(TabularError) as info:
        read_rows(path, PAIRING_COLUMNS, ["organization", "county"])
    assert "pairings.xlsx" in str(info.value) and "帮扶县" in str(info.value)


def test_xlsx_renamed_to_csv_is_still_read_as_xlsx(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "really-xlsx.csv", [["名称"], ["甲"]])
    assert [r.values["name"] for r in read_all(path)] == ["甲"]


def test_xlsx_wrong_dimension_does_not_drop_rows(tmp_path: Path) -> None:
    import zipfile

    good = make_xlsx(tmp_path / "good.xlsx", [["名称"], ["甲"], ["乙"], ["丙"]])
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:A4" />' in data
                data = data.replace(b'<dimension ref="A1:A4" />', b'<dimension ref="A1" />')
            dst.writestr(item, data)
    assert [r.values["name"] for r in read_all(bad)] == ["甲", "乙", "丙"]
    assert count_rows(good) == 3
    assert count_rows(bad) is None  # a single-cell dimension is not trusted


# --- count_rows --------------------------------------------------------------------


def test_count_rows_csv(tmp_path: Path) -> None:
    assert count_rows(write(tmp_path, "a.csv", ORG_CSV, "gbk")) == 2
    assert count_rows(write(tmp_path, "b.csv", ORG_CSV.rstrip("\n"), "utf-8")) == 2
    assert count_rows(write(tmp_path, "c.csv", "", "utf-8")) == 0
    assert count_rows(tmp_path / "missing.csv") is None


# --- real data shipped with the project -------------------------------------------


def test_reads_bundled_key_counties() -> None:
    path = Path(__file__).resolve().parents[1] / "models" / "data" / "key_counties.csv"
    if not path.exists():
        pytest.skip("models/data/key_counties.csv not present")
    rows = list(read_rows(path, COUNTY_COLUMNS, ["code", "county"]))
    assert rows and all(len(r.values["code"]) == 6 and r.values["code"].isdigit() for r in rows)
    assert count_rows(path) == rows[-1].number - 1


# --- streaming ---------------------------------------------------------------------


def test_large_csv_is_streamed(tmp_path: Path) -> None:
    """200,000 rows (~13 MB decoded) must be read in small, constant memory."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="gbk", newline="") as f:
        f.write("社会组织名称,统一社会信用代码,所在省份,业务主管单位\n")
        for i in range(200_000):
            f.write(f"乡村振兴促进会{i},5310000050{i:07d}X,四川省,民政部\n")
    assert path.stat().st_size > 10_000_000
    assert count_rows(path) == 200_000

    tracemalloc.start()
    try:
        rows = read_rows(path, ORG_COLUMNS, ["name", "credit_code"])
        count = 0
        last = None
        for last in rows:
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert last is not None and last.number == 200_001
    assert last.values["name"] == "乡村振兴促进会199999"
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: file not streamed"


def _open_fds_to(path: Path) -> int:
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        pytest.skip("needs /proc to list open files")
    count = 0
    for fd in fd_dir.iterdir():
        try:
            count += Path(fd.readlink()) == path
        except OSError:
            continue
    return count


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_stopping_early_closes_the_file(tmp_path: Path, kind: str) -> None:
    if kind == "xlsx":
        path = make_xlsx(tmp_path / "early.xlsx", [["名称"], ["甲"], ["乙"]])
    else:
        path = write(tmp_path, "early.csv", "名称\n甲\n乙\n", "utf-8")
    rows = read_rows(path, ORG_COLUMNS, ["name"])
    assert next(rows).values["name"] == "甲"
    assert _open_fds_to(path) == 1
    rows.close()  # type: ignore[attr-defined]
    assert _open_fds_to(path) == 0


def test_header_error_leaves_no_file_open(tmp_path: Path) -> None:
    path = write(tmp_path, "bad-header.csv", "备注\nx\n", "utf-8")
    with pytest.raises(TabularError):
        read_rows(path, ORG_COLUMNS, ["name"])
    assert _open_fds_to(path) == 0


# --- records split the way csv reads them -------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "中", ",", ";", '"', '""', "\n", "\r\n", "\r", " "]), max_size=40).map("".join))
def test_records_are_split_where_csv_splits_them(text: str) -> None:
    """Each record is parsed alone (so one bad row costs one row); the split must agree with csv's own reading
    of the whole text, quotes, doubled quotes and line breaks inside quotes included."""
    expected = [[cell.strip() for cell in record] for record in csv.reader(io.StringIO(text, newline=""))]
    lines = _csv_record_lines(io.StringIO(text, newline=""), ",")
    assert [_csv_cells(record, ",", "UTF-8") for record in lines] == expected
