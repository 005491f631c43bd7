"""`pairbot import`: good rows kept, bad rows reported by file, row and column, re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from bot.db import make_engine
from models.messaging import AuditLog
from models.pairing import Pairing, PairingStatusChange
from models.registry import ChannelIdentity, Contact, County, Organization
from models.services.importing import import_file
from models.services.tabular import TabularError
from tests.factories import CODES, load_counties

ORGS_GBK = (
    "组织名称,统一社会信用代码,层级,类型,所在省份,业务主管单位\n"
    f"中国社会福利基金会,{CODES[0]},全国性,基金会,北京市,民政部\n"
    "坏代码基金会,53100000500019795B,全国性,基金会,北京市,\n"
    f"北京理工大学教育基金会,{CODES[1]},全国性,基金会,北京市,\n"
    f"重复一行,{CODES[0]},全国性,基金会,北京市,\n"
    f"类型不对协会,{CODES[2]},全国性,俱乐部,北京市,\n"
    "\n"
    f"中国自动化学会,{CODES[3]},全国性,社会团体,北京市,中国科协\n"
)


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    load_counties(engine)
    yield engine
    engine.dispose()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_orgs_from_gbk_csv_keep_good_rows_and_report_bad_ones(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "orgs.csv", ORGS_GBK, "gbk")
    report = import_file(engine, "orgs", path, actor="test")
    assert (report.created, report.updated, report.refused) == (3, 0, 3)
    problems = [str(p) for p in report.problems]
    assert problems[0].startswith("orgs.csv 第 3 行，列 credit_code（统一社会信用代码）") and "校验位" in problems[0]
    assert "第 5 行" in problems[1] and "与第 2 行重复" in problems[1]
    assert "第 6 行，列 kind（类型）" in problems[2] and "俱乐部" in problems[2]
    with Session(engine) as session:
        names = sorted(o.name for o in session.exec(select(Organization)).all())
        assert names == ["中国社会福利基金会", "中国自动化学会", "北京理工大学教育基金会"]
        assert session.exec(select(AuditLog).where(AuditLog.action == "import.orgs")).one().details["created"] == 3

    again = import_file(engine, "orgs", path, actor="test")
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 3, 3)


def test_changed_row_updates_in_place(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_file(engine, "orgs", write(tmp_path, "a.csv", f"name,credit_code,province\n甲基金会,{CODES[0]},北京市\n"), "t")
    report = import_file(engine, "orgs", write(tmp_path, "b.csv", f"name,credit_code,province\n甲基金会,{CODES[0]},上海市\n"), "t")
    assert (report.created, report.updated) == (0, 1)
    with Session(engine) as session:
        assert session.exec(select(Organization)).one().province == "上海市"


def test_pairings_by_name_or_code_with_status_history(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_file(engine, "orgs", write(tmp_path, "o.csv", ORGS_GBK, "gbk"), "t")
    text = ("社会组织,帮扶县,状态\n"
            "中国社会福利基金会,布拖县,结对中\n"
            "中国社会福利基金会,513431,active\n"  # 昭觉县 by code
            "中国社会福利基金会,不存在县,active\n"
            "没有这个组织,布拖县,active\n"
            "中国自动化学会,布拖县,签了\n")
    path = write(tmp_path, "pairings.csv", "\ufeff" + text)  # UTF-8 with BOM
    report = import_file(engine, "pairings", path, actor="t")
    assert (report.created, report.refused) == (2, 3)
    assert ["第 4 行，列 county（帮扶县）", "第 5 行，列 organization（社会组织）", "第 6 行，列 status（状态）"] == [
        str(p).split(" ", 1)[1].split("：")[0] for p in report.problems]
    suspended = write(tmp_path, "p2.csv", "organization,county,status\n中国社会福利基金会,布拖县,暂停\n")
    assert import_file(engine, "pairings", suspended, actor="t").updated == 1
    with Session(engine) as session:
        history = session.exec(select(PairingStatusChange).order_by(PairingStatusChange.id)).all()
        assert [(h.from_status, h.to_status) for h in history] == [(None, "active"), (None, "active"), ("active", "suspended")]
        assert len(session.exec(select(Pairing)).all()) == 2


def test_contacts_from_xlsx_with_identities(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_file(engine, "orgs", write(tmp_path, "o.csv", ORGS_GBK, "gbk"), "t")
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "角色", "所在县", "社会组织", "手机", "Telegram ID", "企业微信账号"])
    sheet.append(["阿木", "县联络员", "布拖县", None, "13800000000", 123456789, "amu"])
    sheet.append(["李华", "organization", None, "中国社会福利基金会", None, None, "lihua"])
    sheet.append(["无县", "county", None, None, None, None, None])
    sheet.append(["抢号", "county", "昭觉县", None, None, 123456789, None])
    sheet.append(["坏号", "county", "昭觉县", None, None, "abc", None])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    report = import_file(engine, "contacts", path, actor="t")
    assert (report.created, report.refused) == (2, 3)
    messages = [str(p) for p in report.problems]
    assert "第 4 行，列 county（所在县）" in messages[0]
    assert "第 5 行，列 telegram_id" in messages[1] and "与第 2 行重复" in messages[1]
    assert "第 6 行，列 telegram_id" in messages[2]
    with Session(engine) as session:
        identities = {(i.channel, i.external_id) for i in session.exec(select(ChannelIdentity)).all()}
        assert identities == {("telegram", "123456789"), ("wecom", "amu"), ("wecom", "lihua")}
        assert len(session.exec(select(Contact)).all()) == 2
    again = import_file(engine, "contacts", path, actor="t")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    taken = write(tmp_path, "taken.csv", "name,role,county,telegram_id\n王五,county,美姑县,123456789\n")
    [problem] = import_file(engine, "contacts", taken, actor="t").problems
    assert "列 telegram_id" in str(problem) and "已绑定到联系人“阿木”" in str(problem)


def test_counties_complete_the_reference_list(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = ("code,province,prefecture,county\n"
            "620000X,甘肃省,临夏回族自治州,坏代码县\n"
            "622926,甘肃省,临夏回族自治州,东乡族自治县\n"
            "513429,四川省,凉山彝族自治州,布拖县\n")
    report = import_file(engine, "counties", write(tmp_path, "counties.csv", text), actor="t")
    assert (report.created, report.unchanged, report.refused) == (1, 1, 1)
    assert "第 2 行，列 code（行政区划代码）" in str(report.problems[0])
    with Session(engine) as session:
        assert session.exec(select(County).where(County.code == "622926")).one().name == "东乡族自治县"


def test_missing_required_column_is_a_file_error(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TabularError, match="credit_code"):
        import_file(engine, "orgs", write(tmp_path, "x.csv", "名称,省份\n甲,北京\n"), actor="t")
