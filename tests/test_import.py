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
from models.services import importing
from models.services.importing import ContactImporter, import_file
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
    # a header written another way than the column's names is quoted as the file has it
    assert "第 5 行，列 “Telegram ID”（telegram_id）" in messages[1] and "与第 2 行重复" in messages[1]
    assert "第 6 行，列 “Telegram ID”（telegram_id）" in messages[2]
    with Session(engine) as session:
        identities = {(i.channel, i.external_id) for i in session.exec(select(ChannelIdentity)).all()}
        assert identities == {("telegram", "123456789"), ("wecom", "amu"), ("wecom", "lihua")}
        assert len(session.exec(select(Contact)).all()) == 2
    again = import_file(engine, "contacts", path, actor="t")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    taken = write(tmp_path, "taken.csv", "name,role,county,telegram_id\n王五,county,美姑县,123456789\n")
    [problem] = import_file(engine, "contacts", taken, actor="t").problems
    assert "列 telegram_id" in str(problem) and "已绑定到联系人“阿木”" in str(problem)


CONTACTS_CSV = (
    "name,role,county,organization,phone,telegram_id,wecom_userid\n"
    "阿木,county,布拖县,,13800000000,111,amu\n"  # 2: unchanged on the second file
    "李华,county,昭觉县,,,,\n"  # 3: nothing new: unchanged
    "王五,county,美姑县,,,444,\n"  # 4: 李华's Telegram account, found by the staged lookup
    "赵六,校长,美姑县,,,,\n"  # 5: unknown role, refused while checking the row
    "钱七,county,布拖县,,139-1234-5678,222,\n"  # 6: new
    "钱七,county,布拖县,,,,\n"  # 7: the same contact twice in the file
    "孙八,county,布拖县,,12345,,\n"  # 8: not a phone number
    "周九,county,布拖县,,,333,qian\n"  # 9: new, with both accounts
)


def test_contacts_staged_in_batches_report_bad_rows_by_row_and_column(engine, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The staged, set-wise contact import (COPY on PostgreSQL) across batch boundaries: every bad row refused with
    its row, column and reason, all counted with the first MAX_LISTED listed, and a re-import changes nothing."""
    monkeypatch.setattr(ContactImporter, "batch", 3)
    first = write(tmp_path, "first.csv", "name,role,county,phone,telegram_id,wecom_userid\n"
                                         "阿木,county,布拖县,13800000000,111,amu\n李华,county,昭觉县,,444,\n")
    assert import_file(engine, "contacts", first, actor="t").created == 2
    path = write(tmp_path, "contacts.csv", CONTACTS_CSV)
    report = import_file(engine, "contacts", path, actor="t")
    assert (report.created, report.updated, report.unchanged, report.refused) == (2, 0, 2, 4)
    problems = sorted((p.row, p.column, p.message) for p in report.problems)
    assert [(row, column.split("（")[0]) for row, column, _ in problems] == [
        (4, "telegram_id"), (5, "role"), (7, "name"), (8, "phone")]
    assert "已绑定到联系人“李华”" in problems[0][2] and "校长" in problems[1][2] and "与第 6 行重复" in problems[2][2]
    with Session(engine) as session:
        contacts = {c.name: c for c in session.exec(select(Contact)).all()}
        identities = {(i.channel, i.external_id): i.contact_id for i in session.exec(select(ChannelIdentity)).all()}
    assert sorted(contacts) == ["周九", "李华", "钱七", "阿木"]
    assert contacts["钱七"].phone == "13912345678"
    assert identities == {("telegram", "111"): contacts["阿木"].id, ("wecom", "amu"): contacts["阿木"].id,
                          ("telegram", "444"): contacts["李华"].id,
                          ("telegram", "222"): contacts["钱七"].id, ("telegram", "333"): contacts["周九"].id,
                          ("wecom", "qian"): contacts["周九"].id}

    changed = write(tmp_path, "changed.csv", "name,role,county,phone,wecom_userid\n李华,county,昭觉县,13700000000,lihua\n")
    assert import_file(engine, "contacts", changed, actor="t").updated == 1
    with Session(engine) as session:
        lihua = session.exec(select(Contact).where(Contact.name == "李华")).one()
        assert lihua.phone == "13700000000"
        assert {i.external_id for i in session.exec(select(ChannelIdentity).where(ChannelIdentity.contact_id == lihua.id))} \
            == {"444", "lihua"}

    monkeypatch.setattr(importing, "MAX_LISTED", 2)
    again = import_file(engine, "contacts", path, actor="t")
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 4, 4)
    assert [p.row for p in again.problems] == [4, 5] and again.unlisted == 2  # in batch order; all four counted


def test_a_row_refused_while_written_frees_its_name_for_the_next_batch(engine, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch k+1 is planned while batch k is written. A row of batch k refused in writing (its account belongs to
    someone else) gives back its name, so a later row of that name is imported, not refused as its duplicate."""
    monkeypatch.setattr(ContactImporter, "batch", 2)
    import_file(engine, "contacts", write(tmp_path, "first.csv", "name,role,county,telegram_id\n李华,county,昭觉县,444\n"),
                actor="t")
    path = write(tmp_path, "c.csv", "name,role,county,telegram_id\n"
                                    "张三,county,布拖县,444\n"  # 2: refused when written: 444 is 李华's
                                    "王五,county,布拖县,666\n"  # 3
                                    "张三,county,布拖县,555\n"  # 4: next batch, planned while 2 and 3 are written
                                    "张三,county,布拖县,777\n")  # 5: a duplicate of row 4
    report = import_file(engine, "contacts", path, actor="t")
    assert [(p.row, p.message) for p in report.problems] == [(2, "“444”已绑定到联系人“李华”"), (5, "与第 4 行重复")]
    assert (report.created, report.refused) == (2, 2)
    with Session(engine) as session:
        zhang = session.exec(select(Contact).where(Contact.name == "张三")).one()
        assert {i.external_id for i in session.exec(select(ChannelIdentity).where(
            ChannelIdentity.contact_id == zhang.id))} == {"555"}


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


def test_contact_row_with_several_faults_is_refused_for_the_first_one_checked(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A row is checked column by column in a fixed order — the file reads it (name, role), then the county and
    organization are looked up, then the accounts and phone — so a row with several faults names the same one
    however the work is shared out (part of it runs in the thread that reads the file)."""
    path = write(tmp_path, "faults.csv", "name,role,county,organization,phone,telegram_id\n"
                                         "甲,校长,无此县,,12345,abc\n"  # 2: the role comes first
                                         "乙,county,无此县,,12345,abc\n"  # 3: then the county
                                         "丙,county,布拖县,,12345,abc\n"  # 4: then the Telegram ID
                                         "丁,county,布拖县,,12345,\n"  # 5: then the phone
                                         "戊,county,,,12345,\n"  # 6: a county contact without a county, before the phone
                                         "己,county,布拖县,,13800000000,\n")  # 7: kept
    report = import_file(engine, "contacts", path, actor="t")
    assert (report.created, report.refused) == (1, 5)
    assert [(p.row, p.column.split("（")[0]) for p in report.problems] == [
        (2, "role"), (3, "county"), (4, "telegram_id"), (5, "phone"), (6, "county")]


def test_a_reading_error_reaches_the_caller(engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The file is read in a thread one batch ahead; an unexpected error there is raised by import_file, not lost."""
    path = write(tmp_path, "c.csv", "name,role,county\n" + "".join(f"人{n},county,布拖县\n" for n in range(7)))
    monkeypatch.setattr(ContactImporter, "batch", 3)

    def broken(cls, row):  # type: ignore[no-untyped-def]
        if row.number == 6:
            raise OSError("disk gone")
        return original(row)

    original = ContactImporter.prepare
    monkeypatch.setattr(ContactImporter, "prepare", classmethod(broken))
    with pytest.raises(OSError, match="disk gone"):
        import_file(engine, "contacts", path, actor="t")
    with Session(engine) as session:
        assert len(session.exec(select(Contact)).all()) == 3  # the first batch was committed before the error


def test_a_writing_error_reaches_the_caller(engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Batches are written in a thread while the next is planned; a batch that fails to write stops the import with
    its error, the batches before it committed and nothing of it or after it written."""
    path = write(tmp_path, "c.csv", "name,role,county\n" + "".join(f"人{n},county,布拖县\n" for n in range(9)))
    monkeypatch.setattr(ContactImporter, "batch", 3)
    original = ContactImporter._write
    calls = []

    def failing(self, now, needed):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return original(self, now, needed)

    monkeypatch.setattr(ContactImporter, "_write", failing)
    with pytest.raises(RuntimeError, match="database gone"):
        import_file(engine, "contacts", path, actor="t")
    with Session(engine) as session:
        assert sorted(c.name for c in session.exec(select(Contact)).all()) == ["人0", "人1", "人2"]
        entry = session.exec(select(AuditLog).where(AuditLog.action == "import.contacts")).one()
    assert entry.details["created"] == 3 and entry.details["interrupted"] == "RuntimeError"  # what was kept, and why


def test_a_problem_names_the_column_as_the_file_writes_it(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.i18n import using

    path = write(tmp_path, "c.csv", "姓名,角色,所在县,telegram\n张三,县联络员,布拖县,abc\n李四,县联络员,昭觉县,123\n")
    [problem] = import_file(engine, "contacts", path, actor="t").problems
    assert str(problem).startswith("c.csv 第 2 行，列 “telegram”（telegram_id）："), problem
    with using("en"):
        [english] = import_file(engine, "contacts", path, actor="t").problems
        assert '"telegram" (telegram_id)' in str(english), english
    assert importing._WRITTEN_HEADERS.get() == {}  # nothing left behind for the next file
