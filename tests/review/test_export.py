"""The Excel ledger: sheets, Chinese headers, local times, frozen headers, scope, refusals and the audit."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from models.messaging import AuditLog, Delivery
from models.registry import Contact
from models.services.export import export_workbook
from models.services.ledger import Scope
from models.services.reports import record_update
from tests.review.conftest import sign_in
from tests.review.needs_seed import Library
from tests.review.seed import NOW, Ledger
from tests.test_cli import pairbot

ZONE = ZoneInfo("Asia/Shanghai")


def _export(app: App, path: Path, scope: Scope = Scope()) -> openpyxl.Workbook:
    export_workbook(app.engine, path, scope, zone=ZONE, year=2026, actor="test", now=NOW)
    return openpyxl.load_workbook(path)


def _records(sheet, header_row: int = 1) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[header_row - 1]
    return [dict(zip(header, row)) for row in rows[header_row:]]


def test_workbook_sheets_headers_and_layout(review_app: App, ledger: Ledger, tmp_path: Path) -> None:
    book = _export(review_app, tmp_path / "ledger.xlsx")
    assert book.sheetnames == ["社会组织", "结对与协议", "结对变更记录", "进展", "消息投递", "需求库", "帮扶项目", "操作日志",
                               "2026年度统计"]
    updates = book["进展"]
    assert updates.freeze_panes == "A2" and updates.column_dimensions["H"].width > 50
    header = [c.value for c in updates[1]]
    assert header[7:15] == ["原文", "投入资金（万元）", "协议/承诺（万元）", "消费帮扶（万元）", "受益户数", "受益人数",
                            "项目数", "帮扶领域"]
    assert updates["A1"].font.b
    first = _records(updates)[0]
    # Stored in UTC; shown in Asia/Shanghai as YYYY-MM-DD HH:MM.
    assert first["提交时间"] == datetime(2026, 5, 4, 10, 0) and updates["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert (first["县"], first["社会组织"], first["报送人"], first["投入资金（万元）"], first["受益户数"], first["项目数"],
            first["帮扶领域"], first["审核状态"]) == ("昭觉县", "四川省扶贫基金会", "吉克", 30, 52, 2, "产业", "已收到")
    flagged = [r for r in _records(updates) if r["审核状态"] == "待核对"]
    assert [r["原文"] for r in flagged][0].startswith("<script>")
    pairings = _records(book["结对与协议"])
    assert {(r["社会组织"], r["县"], r["协议金额（万元）"], r["结对状态"], r["结对类型"]) for r in pairings} == {
        ("中国乡村发展基金会", "布拖县", 100, "结对中", "一对多、多对一"), ("爱德基金会", "布拖县", None, "结对中", "多对一"),
        ("四川省扶贫基金会", "昭觉县", 50, "结对中", "一对一"), ("中国乡村发展基金会", "马山县", None, "结对中", "一对多")}
    changes = _records(book["结对变更记录"])
    assert len(changes) == 4 and {(r["原状态"], r["新状态"], r["操作人"]) for r in changes} == {("新建", "结对中", "test")}
    deliveries = _records(book["消息投递"])
    assert sorted(r["状态"] for r in deliveries) == ["失败", "已发送", "已发送"]


def test_year_end_statistics_sheet_is_a_statistics_table(review_app: App, ledger: Ledger, tmp_path: Path) -> None:
    sheet = _export(review_app, tmp_path / "ledger.xlsx")["2026年度统计"]
    assert sheet["A1"].value.startswith("2026 年度社会组织结对帮扶统计表") and sheet.freeze_panes == "A3"
    records = _records(sheet, header_row=2)
    assert list(records[0])[4:] == ["协议金额（万元）", "投入资金（万元）", "消费帮扶（万元）", "受益户数", "受益人数",
                                    "项目数", "帮扶领域", "协议/承诺（万元）"]
    by_pair = {(r["县"], r["社会组织"]): r for r in records[:-1]}
    zhaojue = by_pair[("昭觉县", "四川省扶贫基金会")]
    assert (zhaojue["协议金额（万元）"], zhaojue["投入资金（万元）"], zhaojue["消费帮扶（万元）"], zhaojue["受益户数"],
            zhaojue["受益人数"], zhaojue["项目数"], zhaojue["帮扶领域"]) == (50, 30, 12, 132, 156, 2, "产业、就业、消费")
    total = records[-1]
    assert total["省份"] == "合计" and total["投入资金（万元）"] == 55 and total["协议金额（万元）"] == 150
    # Whole amounts show as 30, not “30.” (the decimal format ends in a point when there is no fraction).
    money = [cell for row in sheet.iter_rows(min_row=3) for cell in row[5:8] if isinstance(cell.value, (int, float))]
    assert money and all(cell.number_format == ("#,##0" if float(cell.value).is_integer() else "#,##0.####")
                         for cell in money)


def test_export_follows_the_scope(review_app: App, ledger: Ledger, tmp_path: Path) -> None:
    book = _export(review_app, tmp_path / "gx.xlsx", Scope(("广西壮族自治区",)))
    assert [r["县"] for r in _records(book["进展"])] == ["马山县"]
    assert [r["社会组织名称"] for r in _records(book["社会组织"])] == ["中国乡村发展基金会"]
    assert [r["县"] for r in _records(book["结对与协议"])] == ["马山县"]
    assert [r["接收人"] for r in _records(book["消息投递"])] == ["张敏"]
    assert "广西壮族自治区" in book["2026年度统计"]["A1"].value


def test_user_text_stays_text_and_login_links_are_masked(review_app: App, ledger: Ledger, tmp_path: Path) -> None:
    with unit_of_work(review_app.engine) as session:
        contact = session.get(Contact, ledger.county_contact)
        record_update(session, contact, "=HYPERLINK(\"http://evil.example\",\"点我\")\x07", "console",  # type: ignore[arg-type]
                      NOW - timedelta(hours=1))
        session.add(Delivery(channel="console", chat_id="admin", contact_id=ledger.admin,
                             text="审核页面登录链接：\nhttp://127.0.0.1:8080/review/login/AbC_d-123"))
    book = _export(review_app, tmp_path / "ledger.xlsx")
    sheet = book["进展"]
    cell = next(row[7] for row in sheet.iter_rows(min_row=2) if str(row[7].value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # a string, never a formula
    texts = [r["内容"] for r in _records(book["消息投递"])]
    assert "审核页面登录链接：\nhttp://127.0.0.1:8080/review/login/…" in texts
    assert not any("AbC_d-123" in t for t in texts)


def test_cli_export_refuses_to_overwrite_and_audits(review_app: App, ledger: Ledger, db_url: str,
                                                     tmp_path: Path) -> None:
    env = {"PAIRBOT_DATABASE__URL": db_url}
    out = tmp_path / "台账.xlsx"
    first = pairbot("export", "--out", str(out), "--year", "2026", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "已导出" in first.stdout and "进展 7 行" in first.stdout and "2026年度统计 4 行" in first.stdout
    size = out.stat().st_size
    again = pairbot("export", "--out", str(out), cwd=tmp_path, env=env)
    assert again.returncode == 1 and "已存在" in again.stderr and "--force" in again.stderr
    assert out.stat().st_size == size
    forced = pairbot("export", "--out", str(out), "--province", "广西壮族自治区", "--force", cwd=tmp_path, env=env)
    assert forced.returncode == 0 and "进展 1 行" in forced.stdout
    unknown = pairbot("export", "--out", str(tmp_path / "x.xlsx"), "--province", "火星", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "火星" in unknown.stderr and not (tmp_path / "x.xlsx").exists()
    assert pairbot("export", "--out", str(tmp_path / "x.csv"), cwd=tmp_path, env=env).returncode == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    with Session(review_app.engine) as session:
        exports = session.exec(select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id)).all()
    assert [(a.actor, a.details["provinces"]) for a in exports] == [("cli", "all"), ("cli", ["广西壮族自治区"])]
    assert exports[0].details["rows"]["进展"] == 7


def test_download_from_the_web_follows_the_admins_scope(client: TestClient, review_app: App, ledger: Ledger,
                                                        tmp_path: Path) -> None:
    csrf = sign_in(client, "李处长")
    response = client.post("/review/export", data={"csrf": csrf, "province": "四川省"})  # outside the scope: nothing
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"] and ".xlsx" in response.headers["content-disposition"]
    path = tmp_path / "download.xlsx"
    path.write_bytes(response.content)
    assert _records(openpyxl.load_workbook(path)["进展"]) == []
    whole = client.post("/review/export", data={"csrf": csrf})
    path.write_bytes(whole.content)
    assert [r["县"] for r in _records(openpyxl.load_workbook(path)["进展"])] == ["马山县"]
    assert client.post("/review/export", data={"csrf": "forged"}).status_code == 403
    with Session(review_app.engine) as session:
        exports = session.exec(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [a.actor for a in exports] == [f"contact:{ledger.gx_admin} via web"] * 2
    assert all(a.target.startswith("download:结对帮扶台账-") and "/tmp" not in a.target for a in exports), exports


def test_web_export_reads_the_province_as_the_cli_does(client: TestClient, ledger: Ledger, db_url: str,
                                                       tmp_path: Path) -> None:
    """四川 is 四川省 on the form as on `pairbot export --province`; a name that is no province (火星), or one
    with no key counties, is refused with the CLI's words (400 on the page, exit 2 there), never an empty workbook."""
    csrf = sign_in(client)
    short = client.post("/review/export", data={"csrf": csrf, "province": "四川", "year": "2026"})
    assert short.status_code == 200, short.text
    path = tmp_path / "short.xlsx"
    path.write_bytes(short.content)
    web_counties = sorted({r["县"] for r in _records(openpyxl.load_workbook(path)["进展"])})
    assert web_counties == ["布拖县", "昭觉县"]
    cli = pairbot("export", "--out", str(tmp_path / "cli.xlsx"), "--province", "四川", "--year", "2026",
                  cwd=tmp_path, env={"PAIRBOT_DATABASE__URL": db_url})
    assert cli.returncode == 0, cli.stderr
    assert sorted({r["县"] for r in _records(openpyxl.load_workbook(tmp_path / "cli.xlsx")["进展"])}) == web_counties
    for name, words in (("火星", "省份“火星”无法识别"), ("北京", "重点县名单中没有这些省份：北京市")):
        refused = client.post("/review/export", data={"csrf": csrf, "province": name, "year": "2026"})
        assert refused.status_code == 400 and words in refused.text, name
        assert "attachment" not in refused.headers.get("content-disposition", "")
        by_cli = pairbot("export", "--out", str(tmp_path / "x.xlsx"), "--province", name, cwd=tmp_path,
                         env={"PAIRBOT_DATABASE__URL": db_url})
        assert by_cli.returncode == 2 and words in by_cli.stderr, name


def test_formula_text_carries_the_quote_prefix_and_numbers_stay_numbers(review_app: App, ledger: Ledger,
                                                                         tmp_path: Path) -> None:
    """OWASP's formula starters (= + - @ tab CR) are marked with Excel's quote prefix — the text reads the same
    and stays text when edited — while a plain number in text, and every figure, is left as it is."""
    texts = ["=1+1 本月投入5万元", "+SUM(A1:A9)", "-2+3 走访", "@SUM(A1)", "\t=cmd|' /C calc'!A0", "\r=1",
             "-12.5", "本月=投入5万元"]
    with unit_of_work(review_app.engine) as session:
        contact = session.get(Contact, ledger.county_contact)
        for offset, text in enumerate(texts):
            record_update(session, contact, text, "console", NOW - timedelta(hours=10 - offset))  # type: ignore[arg-type]
        # A running total below what was reported: the ledger's change is a genuine negative number.
        record_update(session, contact, "截至目前累计投入帮扶资金1万元", "console", NOW - timedelta(hours=1))  # type: ignore[arg-type]
    sheet = _export(review_app, tmp_path / "ledger.xlsx")["进展"]
    header = [c.value for c in sheet[1]]
    text_at, delta_at = header.index("原文"), header.index("计入台账：投入资金")
    # XlsxWriter writes CR as OOXML's _x000D_, which Excel reads back as CR and openpyxl leaves as it is.
    cells = {str(row[text_at].value).replace("_x000D_", "\r"): row for row in sheet.iter_rows(min_row=2)}
    for text in texts:
        cell = cells[text][text_at]
        assert cell.data_type == "s", text  # unchanged to the eye, a string
        assert cell.quotePrefix == (text not in ("-12.5", "本月=投入5万元")), text
    delta = cells["截至目前累计投入帮扶资金1万元"][delta_at]
    assert delta.value < 0 and delta.data_type == "n" and not delta.quotePrefix


def test_needs_and_projects_sheets(review_app: App, ledger: Ledger, library: Library, tmp_path: Path) -> None:
    with unit_of_work(review_app.engine) as session:  # a running total on the project: the ledger's rule applies
        sender = session.exec(select(Contact).where(Contact.name == "乡发联络人")).one()
        record_update(session, sender, f"项目{library.project}：烘干车间累计投入资金80万元。", "console",
                      NOW - timedelta(days=1))
    book = _export(review_app, tmp_path / "ledger.xlsx")
    needs_sheet, projects_sheet = book["需求库"], book["帮扶项目"]
    assert [c.value for c in needs_sheet[1]] == ["编号", "省份", "县", "领域", "需求内容", "金额（万元）", "受益户数",
                                                  "受益人数", "期望完成", "状态", "认领组织", "发布时间", "关闭原因"]
    assert needs_sheet.freeze_panes == "A2" and needs_sheet["A1"].font.b
    rows = {r["编号"]: r for r in _records(needs_sheet)}
    assert list(rows) == sorted([library.draft, library.stale, library.claimed, library.in_progress, library.mashan,
                                 library.huize])
    claimed = rows[library.claimed]
    assert (claimed["省份"], claimed["县"], claimed["领域"], claimed["需求内容"], claimed["金额（万元）"], claimed["受益户数"],
            claimed["受益人数"], claimed["状态"], claimed["认领组织"], claimed["发布时间"]) == (
        "四川省", "昭觉县", "教育", "乡村学校营养餐补助", 35, 30, None, "已认领", "中国乡村发展基金会",
        datetime(2026, 11, 15, 10, 0))  # local time, Asia/Shanghai
    assert rows[library.draft]["状态"] == "草稿" and rows[library.draft]["发布时间"] is None
    assert rows[library.draft]["需求内容"].startswith("<script>")  # text stays text
    assert rows[library.in_progress]["状态"] == "实施中" and rows[library.in_progress]["认领组织"] == "中国乡村发展基金会"
    assert [c.value for c in projects_sheet[1]] == ["编号", "省份", "县", "社会组织", "名称", "领域", "金额（万元）", "状态",
                                                     "计入台账：投入资金（万元）", "计入台账：受益户数", "计入台账：受益人数",
                                                     "创建时间"]
    [project] = _records(projects_sheet)
    assert project == {"编号": library.project, "省份": "四川省", "县": "布拖县", "社会组织": "中国乡村发展基金会",
                       "名称": "藏白菊烘干车间建设", "领域": "产业", "金额（万元）": 120, "状态": "实施中",
                       "计入台账：投入资金（万元）": 80, "计入台账：受益户数": 45, "计入台账：受益人数": 0,
                       "创建时间": datetime(2026, 11, 11, 10, 0)}


def test_needs_and_projects_sheets_follow_the_scope(client: TestClient, review_app: App, ledger: Ledger,
                                                    library: Library, tmp_path: Path) -> None:
    guangxi = _export(review_app, tmp_path / "gx.xlsx", Scope(("广西壮族自治区",)))
    assert [(r["编号"], r["县"]) for r in _records(guangxi["需求库"])] == [(library.mashan, "马山县")]
    assert _records(guangxi["帮扶项目"]) == []
    csrf = sign_in(client, "赵处长")
    response = client.post("/review/export", data={"csrf": csrf})
    path = tmp_path / "yunnan.xlsx"
    path.write_bytes(response.content)
    book = openpyxl.load_workbook(path)
    assert [r["县"] for r in _records(book["需求库"])] == ["会泽县"] and _records(book["帮扶项目"]) == []


def test_every_sheet_is_of_one_moment_while_reports_arrive(review_app: App, ledger: Ledger, tmp_path: Path) -> None:
    """A report filed while the export runs (by `pairbot run`, another connection) is in every sheet or in none:
    the 统计 sheet, read last, used to count it while the 进展 sheet, read first, did not."""
    filed: list[int] = []

    def file_a_report(_: int) -> None:
        if not filed:
            with unit_of_work(review_app.engine) as session:
                contact = session.exec(select(Contact).where(Contact.name == "吉克")).one()
                filed.append(record_update(session, contact, "本月投入帮扶资金7万元，带动9户增收。", "console",
                                           NOW - timedelta(days=1)).update.id)  # type: ignore[arg-type]

    path = tmp_path / "ledger.xlsx"
    export_workbook(review_app.engine, path, Scope(), zone=ZONE, year=2026, actor="test", now=NOW,
                    progress=file_a_report)
    book = openpyxl.load_workbook(path)
    assert filed
    funds = sum(r["投入资金（万元）"] or 0 for r in _records(book["进展"]) if r["审核状态"] in ("已收到", "已采纳", "已更正"))
    assert _records(book["2026年度统计"], header_row=2)[-1]["投入资金（万元）"] == funds == 55  # as before the report
