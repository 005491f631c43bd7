"""The review pages in a real browser (Debian's chromium driven by Playwright), with a screenshot of each page.

Screenshots go to tests/artifacts/review/ (git-ignored) so a person can look at the layout.
Skipped, with the reason, where chromium or Playwright is not installed (.ci/run installs both).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
import uvicorn
from sqlmodel import Session

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.db import unit_of_work
from bot.web import build_web
from models.projects import Need, NeedStatus
from models.registry import Contact
from models.reporting import ProgressUpdate, ReviewStatus
from models.services.registry import bind_identity
from tests.conftest import make_settings, simulator
from tests.review.conftest import Clock
from tests.review.needs_seed import seed_library
from tests.review.seed import PASSWORD, Ledger, seed

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does this where apt works)",
                allow_module_level=True)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "review"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(sqlite_url: str) -> Iterator[tuple[str, App]]:
    """`pairbot run`'s web app on a free port in this process; yields (base URL, app) while it serves."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = App(make_settings(sqlite_url, web={"base_url": base}), channels={CONSOLE: ConsoleChannel()}, clock=Clock())
    server = uvicorn.Server(uvicorn.Config(build_web(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the web server did not start"
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(sqlite_url: str) -> Iterator[tuple[str, App, Ledger]]:
    """`pairbot run`'s web app on a free port, over a seeded ledger; yields (base URL, app, ledger)."""
    with served(sqlite_url) as (base, app):
        app.queue.start_worker()
        ledger = seed(app.engine)
        yield base, app, ledger


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_admin_reviews_filters_accepts_and_downloads(site, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, app, ledger = site
    expect = sync_api.expect
    page.goto(f"{base}/review/queue")
    expect(page.get_by_role("heading", name="管理员登录")).to_be_visible()
    shot(page, "01-login")
    page.get_by_label("姓名或编号").fill("王主任")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/review/queue")  # back where the admin was going

    page.get_by_role("link", name="覆盖矩阵").click()
    expect(page.get_by_role("heading", name="重点帮扶县覆盖矩阵")).to_be_visible()
    shot(page, "02-matrix")
    page.get_by_label("省份").select_option("四川省")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"province=%E5%9B%9B%E5%B7%9D%E7%9C%81"))
    rows = page.locator("table.matrix tbody tr")
    expect(rows).to_have_count(25)
    expect(page.get_by_role("link", name="布拖县")).to_be_visible()
    expect(page.get_by_role("link", name="马山县")).to_have_count(0)
    shot(page, "03-matrix-sichuan")

    page.get_by_role("link", name="布拖县").click()
    expect(page.get_by_role("heading", name=re.compile("布拖县"))).to_be_visible()
    shot(page, "04-county")
    page.get_by_role("link", name="中国乡村发展基金会").click()
    expect(page.get_by_text("藏白菊")).to_be_visible()
    shot(page, "05-pairing")

    page.get_by_role("link", name="审核队列").click()
    first = page.locator("article.review").first
    expect(first.locator("blockquote")).to_have_text("<script>alert('x')</script>本月走访了解情况")
    shot(page, "06-queue")
    first.get_by_role("button", name="通过").click()
    expect(page.get_by_text(f"进展 #{ledger.flagged[0]} 已通过")).to_be_visible()
    expect(page.locator("article.review")).to_have_count(1)
    shot(page, "07-queue-accepted")
    with Session(app.engine) as session:
        assert session.get(ProgressUpdate, ledger.flagged[0]).review_status == ReviewStatus.accepted

    page.get_by_role("link", name="更正数字…").click()
    page.get_by_label("投入资金（万元）").fill("20")
    shot(page, "08-update")
    page.get_by_role("button", name="保存更正并通过").click()
    expect(page.get_by_text("修改记录")).to_be_visible()
    with Session(app.engine) as session:
        corrected = session.get(ProgressUpdate, ledger.flagged[1])
        assert corrected.funds_wan == 20 and corrected.review_status == ReviewStatus.accepted
    shot(page, "09-update-corrected")

    page.get_by_role("link", name="通知回执").click()
    expect(page.get_by_text("1/3")).to_be_visible()
    shot(page, "10-broadcasts")
    page.get_by_role("link", name=f"#{ledger.broadcast}").click()
    expect(page.get_by_role("cell", name="阿木")).to_be_visible()
    shot(page, "11-broadcast")

    page.get_by_role("link", name="统计汇总").click()
    expect(page.locator("svg.chart")).to_have_count(2)
    shot(page, "12-totals")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "download.xlsx"
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames == ["社会组织", "结对与协议", "结对变更记录", "进展", "消息投递", "需求库", "帮扶项目",
                               "操作日志", "2026年度统计"]
    assert page.dialogs == []  # the <script> in an update never ran


def test_admin_signs_in_with_the_link_the_bot_sends(site, page) -> None:  # type: ignore[no-untyped-def]
    base, app, ledger = site
    with unit_of_work(app.engine) as session:
        bind_identity(session, session.get(Contact, ledger.gx_admin), CONSOLE, "admin-li")  # type: ignore[arg-type]
    [reply] = simulator(app, "admin-li").send("登录")
    link = re.search(rf"{re.escape(base)}/review/login/\S+", reply).group(0)  # type: ignore[union-attr]
    page.goto(link)
    expect = sync_api.expect
    expect(page.get_by_text("以管理员 李处长 的身份登录")).to_be_visible()
    shot(page, "13-link-confirm")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("李处长（广西壮族自治区）")).to_be_visible()
    expect(page.locator("table.matrix tbody tr")).to_have_count(20)
    page.goto(link)
    expect(page.get_by_text("已被使用过")).to_be_visible()
    shot(page, "14-link-used")


def test_admin_works_through_the_project_library(site, page) -> None:  # type: ignore[no-untyped-def]
    """项目库 → a draft (its <script> stays text) → 发布 → push after the confirmation → 关闭 → 帮扶项目 → 已完成."""
    base, app, ledger = site
    library = seed_library(app.engine, ledger)
    expect = sync_api.expect
    page.goto(f"{base}/review/login")
    page.get_by_label("姓名或编号").fill("王主任")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("link", name="项目库").click()
    expect(page.get_by_role("heading", name=re.compile("项目库"))).to_be_visible()
    expect(page.locator("table.needs tbody tr")).to_have_count(6)
    shot(page, "15-needs")
    page.get_by_label("状态").select_option("published")
    page.get_by_label("省份").select_option("四川省")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.needs tbody tr")).to_have_count(1)
    shot(page, "16-needs-filtered")

    page.goto(f"{base}/review/needs/{library.draft}")
    expect(page.locator("blockquote.description")).to_contain_text("<script>alert('x')</script>")
    shot(page, "17-need-draft")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_text(f"需求 #{library.draft} 已发布")).to_be_visible()

    page.goto(f"{base}/review/needs/{library.stale}")
    expect(page.locator("table.ranking tbody tr")).to_have_count(3)
    shot(page, "18-need-ranking")
    page.get_by_label("推送给前").fill("2")
    page.get_by_role("button", name="推送…").click()
    expect(page.get_by_role("heading", name=re.compile("推送需求"))).to_be_visible()
    expect(page.locator("table.push tbody tr")).to_have_count(2)
    shot(page, "19-push-confirm")
    page.get_by_role("button", name=re.compile("确认推送")).click()
    expect(page.get_by_text("已推送给 2 家社会组织")).to_be_visible()
    page.get_by_placeholder("关闭原因（必填）").fill("县里已自筹资金解决")
    page.get_by_role("button", name="关闭").click()
    expect(page.get_by_text("关闭原因：县里已自筹资金解决")).to_be_visible()
    shot(page, "20-need-closed")
    with Session(app.engine) as session:
        assert session.get(Need, library.stale).status == NeedStatus.closed  # type: ignore[union-attr]

    page.get_by_role("link", name="帮扶项目").click()
    expect(page.locator("table.projects tbody tr")).to_have_count(1)
    shot(page, "21-projects")
    page.get_by_role("link", name="藏白菊烘干车间建设").click()
    expect(page.get_by_text("投入资金 60 万元")).to_be_visible()
    shot(page, "22-project")
    page.get_by_placeholder("完成说明（可选）").fill("车间已投产")
    page.get_by_role("button", name="标记已完成").click()
    expect(page.get_by_text(f"项目 #{library.project} 已标记为已完成")).to_be_visible()
    shot(page, "23-project-done")
    page.get_by_role("link", name=re.compile(f"需求 #{library.in_progress}")).click()
    expect(page.get_by_role("heading", name=re.compile("已完成"))).to_be_visible()
    page.goto(f"{base}/review/counties/{ledger.counties['布拖县']}")
    expect(page.get_by_role("link", name="冷链仓储设备")).to_be_visible()
    shot(page, "24-county-needs")
    assert page.dialogs == []  # the <script> in a need never ran
