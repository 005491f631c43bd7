"""The 项目库 and 帮扶项目 pages over HTTP, on SQLite and PostgreSQL: listing and filters, a need's page and its
actions (publish, close, push after confirming), projects, the admin's provinces, CSRF, escaping, every link."""

from __future__ import annotations

import html
import re
from collections import deque
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from models.messaging import AuditLog, Delivery
from models.pairing import Project, ProjectStatus
from models.projects import Need, NeedStatus
from models.services import needs, projects
from models.services.ledger import Scope
from models.services.needs import NeedFields
from tests.review.conftest import sign_in
from tests.review.needs_seed import Library
from tests.review.seed import NOW, Ledger

HREF = re.compile(r'href="([^"]+)"')
ROW_LINKS = re.compile(r'<td><a href="/review/needs/(\d+)">#\d+</a></td>')


def _need(app: App, need_id: int) -> Need:
    with Session(app.engine) as session:
        row = session.get(Need, need_id)
        assert row is not None
        return row


def _listed(client: TestClient, **params: str) -> list[int]:
    page = client.get("/review/needs", params=params)
    assert page.status_code == 200
    return [int(n) for n in ROW_LINKS.findall(page.text)]


def _audit(app: App, action: str) -> list[AuditLog]:
    with Session(app.engine) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))).all())


def _deliveries(app: App) -> list[Delivery]:
    with Session(app.engine) as session:
        return list(session.exec(select(Delivery).where(col(Delivery.broadcast_id).is_(None))
                                 .order_by(col(Delivery.id))).all())


def test_the_list_filters_counts_and_links_each_row(client: TestClient, library: Library, ledger: Ledger) -> None:
    sign_in(client)
    everything = client.get("/review/needs").text
    assert "全部 6" in everything and "草稿 1" in everything and "已发布 3" in everything
    assert "已认领 1" in everything and "实施中 1" in everything
    assert _listed(client) == sorted([library.draft, library.stale, library.claimed, library.in_progress,
                                      library.mashan, library.huize], reverse=True)
    buto = ledger.counties["布拖县"]
    assert _listed(client, province="四川省") == [library.in_progress, library.claimed, library.stale, library.draft]
    assert _listed(client, county=str(buto)) == [library.in_progress, library.stale, library.draft]
    assert _listed(client, field="教育") == [library.claimed, library.draft]
    assert _listed(client, status="published") == [library.huize, library.mashan, library.stale]
    assert _listed(client, age="30") == [library.stale]  # published 40 days ago, nobody took it on
    assert _listed(client, age="90") == []
    assert _listed(client, status="nonsense", county="abc", age="7", field="<b>") == _listed(client)  # ignored
    filtered = client.get("/review/needs", params={"province": "四川省", "field": "产业"}).text
    assert "全部 2" in filtered and "已发布 1" in filtered and "实施中 1" in filtered and "草稿" not in filtered.split(
        "summary counts")[1].split("</p>")[0]
    row = everything[everything.index(f'/review/needs/{library.claimed}">#'):].split("</tr>")[0]
    assert f'/review/counties/{ledger.counties["昭觉县"]}">昭觉县' in row and "中国乡村发展基金会" in row
    project_row = everything[everything.index(f'/review/needs/{library.in_progress}">#'):].split("</tr>")[0]
    assert f'/review/projects/{library.project}"' in project_row and "实施中" in project_row


def test_a_long_list_is_paged_and_the_pages_keep_the_filters(client: TestClient, review_app: App, library: Library,
                                                            ledger: Ledger) -> None:
    with unit_of_work(review_app.engine) as session:
        for n in range(55):
            needs.create_need(session, ledger.counties["昭觉县"], NeedFields("就业", f"第{n}个就业岗位需求", 1), "test")
    sign_in(client)
    first = client.get("/review/needs", params={"province": "四川省", "field": "就业"}).text
    assert len(ROW_LINKS.findall(first)) == 50 and "共 55 条" in first
    assert 'href="/review/needs?province=%E5%9B%9B%E5%B7%9D%E7%9C%81&amp;field=%E5%B0%B1%E4%B8%9A&amp;page=2"' in first
    assert len(_listed(client, province="四川省", field="就业", page="2")) == 5


def test_a_needs_page_shows_the_request_claims_history_and_ranking(client: TestClient, library: Library,
                                                                  ledger: Ledger) -> None:
    sign_in(client)
    page = client.get(f"/review/needs/{library.claimed}").text
    assert "乡村学校营养餐补助" in page and "35 万元" in page and "30 户" in page and "已认领" in page
    assert f'href="/review/counties/{ledger.counties["昭觉县"]}">四川省昭觉县' in page
    claims = page[page.index("<h2>接单情况</h2>"):page.index("<h2>推荐组织")]
    assert "中国乡村发展基金会" in claims and "待县确认" in claims
    ranking = page[page.index("<h2>推荐组织"):page.index("<h2>记录</h2>")]
    assert re.search(r"<td>四川省扶贫基金会</td><td><span class=\"badge tier-1\">已结对</span></td><td>已与本县结对", ranking)
    history = page[page.index("<h2>记录</h2>"):]
    assert history.index("登记需求") < history.index("发布") < history.index("接单")
    assert "乡发联络人（聊天）" in history  # the claim's actor, by name
    assert "推送给前" in page and f'action="/review/needs/{library.claimed}/close"' in page

    done = client.get(f"/review/needs/{library.in_progress}").text
    assert f'href="/review/projects/{library.project}">项目 #{library.project}' in done
    assert "县确认承接" in done and "推荐组织" not in done and "/publish" not in done and "/close" not in done


def test_publish_from_the_page_tells_the_county(client: TestClient, review_app: App, library: Library,
                                                ledger: Ledger) -> None:
    csrf = sign_in(client)
    draft = client.get(f"/review/needs/{library.draft}").text
    assert f'action="/review/needs/{library.draft}/publish"' in draft and "推送给前" not in draft
    response = client.post(f"/review/needs/{library.draft}/publish", data={"csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == f"/review/needs/{library.draft}?done=publish"
    after = client.get(response.headers["location"]).text
    assert f"需求 #{library.draft} 已发布" in after and "王主任（审核页面）" in after
    assert _need(review_app, library.draft).status == NeedStatus.published
    [published] = [a for a in _audit(review_app, "need.publish") if a.target == f"need:{library.draft}"]
    assert published.actor == f"contact:{ledger.admin} via web"
    review_app.queue.join()
    told = [d for d in _deliveries(review_app) if d.chat_id == "县联络员甲"]
    assert told and "已由管理员发布" in told[-1].text and told[-1].status == "sent"
    again = client.post(f"/review/needs/{library.draft}/publish", data={"csrf": csrf})
    assert again.status_code == 400 and "只有草稿可以发布" in again.text


def test_close_needs_a_reason(client: TestClient, review_app: App, library: Library) -> None:
    csrf = sign_in(client)
    refused = client.post(f"/review/needs/{library.stale}/close", data={"csrf": csrf, "reason": "  "})
    assert refused.status_code == 400 and "请写明原因" in refused.text
    assert _need(review_app, library.stale).status == NeedStatus.published
    done = client.post(f"/review/needs/{library.stale}/close", data={"csrf": csrf, "reason": "县里已自筹资金解决"})
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "已关闭" in page and "关闭原因：县里已自筹资金解决" in page and "原因：县里已自筹资金解决" in page
    assert _listed(client, status="closed") == [library.stale]
    in_progress = client.post(f"/review/needs/{library.in_progress}/close", data={"csrf": csrf, "reason": "x"})
    assert in_progress.status_code == 400 and "请关闭对应的项目" in in_progress.text


def test_push_shows_who_will_be_messaged_and_sends_only_after_confirming(client: TestClient, review_app: App,
                                                                         library: Library) -> None:
    csrf = sign_in(client)
    before = len(_deliveries(review_app))
    preview = client.get(f"/review/needs/{library.stale}/push", params={"top": "5"})
    assert preview.status_code == 200
    text = preview.text
    assert "中国乡村发展基金会" in text and "乡发联络人（终端）" in text and "爱德联络人（终端）" in text
    assert "四川省扶贫基金会" in text and "无联络人，不会发送" in text  # ranked by its offer, nobody to message
    assert "共 <strong>2</strong> 位联络人" in text and "确认推送（2 人）" in text
    assert len(_deliveries(review_app)) == before and _audit(review_app, "need.push") == []  # a preview writes nothing

    unconfirmed = client.post(f"/review/needs/{library.stale}/push", data={"csrf": csrf, "top": "5"})
    assert unconfirmed.status_code == 400 and "推送确认页" in unconfirmed.text
    assert len(_deliveries(review_app)) == before

    organizations = re.findall(r'name="organization" value="(\d+)"', text)
    assert len(organizations) == 3
    sent = client.post(f"/review/needs/{library.stale}/push",
                       data={"csrf": csrf, "top": "5", "organization": organizations})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=push:3")
    assert "已推送给 3 家社会组织" in client.get(sent.headers["location"]).text
    review_app.queue.join()
    pushed = _deliveries(review_app)[before:]
    assert sorted(d.chat_id for d in pushed) == ["乡发联络人", "爱德联络人"]
    assert all("冷链仓储设备" in d.text and d.buttons and d.buttons[0][0] == "接单" for d in pushed)
    [audited] = _audit(review_app, "need.push")
    assert audited.details == {"organizations": 3, "reached": 2}


def test_push_sends_only_to_the_organizations_confirmed(client: TestClient, review_app: App, library: Library,
                                                       ledger: Ledger) -> None:
    csrf = sign_in(client)
    before = len(_deliveries(review_app))
    only = str(ledger.orgs["爱德"])
    sent = client.post(f"/review/needs/{library.stale}/push", data={"csrf": csrf, "top": "5", "organization": only})
    assert sent.status_code == 303
    assert [d.chat_id for d in _deliveries(review_app)[before:]] == ["爱德联络人"]


@pytest.mark.parametrize("top", ["0", "abc", "201", "99999999999999999999"])
def test_push_refuses_a_bad_number_of_organizations(client: TestClient, library: Library, top: str) -> None:
    sign_in(client)
    response = client.get(f"/review/needs/{library.stale}/push", params={"top": top})
    assert response.status_code == 400 and "推送的组织数须在 1 到 200 之间" in response.text


def test_a_draft_cannot_be_pushed(client: TestClient, library: Library) -> None:
    sign_in(client)
    response = client.get(f"/review/needs/{library.draft}/push", params={"top": "3"})
    assert response.status_code == 400 and "只有已发布的需求可以推送" in response.text


def test_an_admin_sees_and_acts_on_the_needs_of_their_provinces_only(client: TestClient, review_app: App,
                                                                     library: Library) -> None:
    csrf = sign_in(client, "赵处长")
    listing = client.get("/review/needs").text
    assert "赵处长（云南省）" in listing and _listed(client) == [library.huize]
    assert "四川省" not in listing and "布拖县" not in listing
    assert _listed(client, province="四川省") == []
    outside = client.get(f"/review/needs/{library.draft}")
    absent = client.get("/review/needs/999999")
    assert outside.status_code == absent.status_code == 404 and outside.text == absent.text
    for action, data in (("publish", {}), ("close", {"reason": "越权"}), ("push", {"top": "3", "organization": "1"})):
        response = client.post(f"/review/needs/{library.draft}/{action}", data={"csrf": csrf, **data})
        assert response.status_code == 404, action
    assert client.get(f"/review/needs/{library.stale}/push", params={"top": "3"}).status_code == 404
    assert _need(review_app, library.draft).status == NeedStatus.draft and _audit(review_app, "need.push") == []
    assert client.get(f"/review/projects/{library.project}").status_code == 404
    assert client.post(f"/review/projects/{library.project}/done", data={"csrf": csrf}).status_code == 404
    assert "没有符合条件的项目" in client.get("/review/projects").text
    assert client.get(f"/review/needs/{library.huize}").status_code == 200


@pytest.mark.parametrize("path", ["/review/needs/9223372036854775808", "/review/needs/99999999999999999999999",
                                  "/review/needs/2147483648", "/review/needs/0", "/review/needs/abc",
                                  "/review/needs/１２", "/review/projects/9223372036854775807",
                                  "/review/projects/-1", "/review/counties/9223372036854775808",
                                  "/review/pairings/99999999999999999999", "/review/updates/9223372036854775808",
                                  "/review/broadcasts/9223372036854775808"])
def test_ids_no_row_can_have_are_not_found(client: TestClient, library: Library, path: str) -> None:
    csrf = sign_in(client)
    assert client.get(path).status_code == 404
    if path.startswith("/review/needs/"):
        assert client.post(path + "/publish", data={"csrf": csrf}).status_code == 404


def test_every_action_needs_the_session_csrf_token(client: TestClient, review_app: App, library: Library) -> None:
    sign_in(client)
    for path, data in ((f"/review/needs/{library.draft}/publish", {}),
                       (f"/review/needs/{library.stale}/close", {"reason": "x"}),
                       (f"/review/needs/{library.stale}/push", {"top": "3", "organization": "1"}),
                       (f"/review/projects/{library.project}/done", {}),
                       (f"/review/projects/{library.project}/close", {"reason": "x"})):
        assert client.post(path, data=data).status_code == 403, path
        forged = client.post(path, data={**data, "csrf": "forged"})
        assert forged.status_code == 403 and "安全校验未通过" in forged.text, path
    assert _need(review_app, library.draft).status == NeedStatus.draft
    assert _need(review_app, library.stale).status == NeedStatus.published
    assert _audit(review_app, "need.push") == []
    signed_out = TestClient(client.app, follow_redirects=False)
    assert signed_out.get("/review/needs").status_code == 303
    assert signed_out.post(f"/review/needs/{library.draft}/publish", data={"csrf": "x"}).status_code == 403


def test_projects_list_and_page_show_figures_updates_and_history(client: TestClient, library: Library,
                                                                 ledger: Ledger) -> None:
    sign_in(client)
    listing = client.get("/review/projects").text
    assert f'href="/review/projects/{library.project}">藏白菊烘干车间建设' in listing
    assert f'href="/review/pairings/{ledger.pairings["乡发-布拖"]}">中国乡村发展基金会' in listing
    assert f'href="/review/needs/{library.in_progress}">需求 #{library.in_progress}' in listing
    assert "共 1 个" in client.get("/review/projects", params={"status": "active", "province": "四川省"}).text
    assert "没有符合条件的项目" in client.get("/review/projects", params={"field": "教育"}).text
    assert "没有符合条件的项目" in client.get("/review/projects", params={"province": "广西壮族自治区"}).text
    page = client.get(f"/review/projects/{library.project}").text
    assert "投入资金 60 万元" in page and "受益 45 户" in page and "120 万元（需求或约定，不计入台账）" in page
    assert f'href="/review/updates/{library.project_update}"' in page and "投入烘干车间建设资金60万元" in page
    assert f'href="/review/pairings/{ledger.pairings["乡发-布拖"]}"' in page
    assert "县确认承接" in page and f"项目 #{library.project}" in page  # the need's history is the project's too
    pairing = client.get(f"/review/pairings/{ledger.pairings['乡发-布拖']}").text
    assert f'href="/review/projects/{library.project}">藏白菊烘干车间建设' in pairing and "实施中" in pairing
    county = client.get(f"/review/counties/{ledger.counties['布拖县']}").text
    assert f'href="/review/needs/{library.stale}">冷链仓储设备' in county
    assert f'href="/review/projects/{library.project}">藏白菊烘干车间建设' in county


def test_finishing_a_project_from_its_page(client: TestClient, review_app: App, library: Library) -> None:
    csrf = sign_in(client)
    refused = client.post(f"/review/projects/{library.project}/close", data={"csrf": csrf, "reason": ""})
    assert refused.status_code == 400 and "请写明原因" in refused.text
    assert client.post(f"/review/projects/{library.project}/finish", data={"csrf": csrf}).status_code == 404
    done = client.post(f"/review/projects/{library.project}/done", data={"csrf": csrf, "reason": "车间已投产"})
    assert done.status_code == 303 and done.headers["location"] == f"/review/projects/{library.project}?done=done"
    page = client.get(done.headers["location"]).text
    assert f"项目 #{library.project} 已标记为已完成" in page and "标记已完成" in page and "车间已投产" in page
    assert 'action="/review/projects/' not in page  # no more actions on a finished project
    with Session(review_app.engine) as session:
        assert session.get(Project, library.project).status == ProjectStatus.done  # type: ignore[union-attr]
    assert _need(review_app, library.in_progress).status == NeedStatus.done
    again = client.post(f"/review/projects/{library.project}/close", data={"csrf": csrf, "reason": "x"})
    assert again.status_code == 400 and "已完成" in again.text


def test_need_text_is_escaped_and_nul_bytes_and_huge_text_render(client: TestClient, review_app: App,
                                                                 library: Library, ledger: Ledger) -> None:
    huge = "冷链" * 100_000 + "<img src=x onerror=alert(1)>"
    with unit_of_work(review_app.engine) as session:
        need = session.get(Need, library.stale)
        need.description, need.title = huge, "<b>粗体</b>标题"  # type: ignore[union-attr]
        session.add(need)
        if session.get_bind().dialect.name == "sqlite":  # PostgreSQL text cannot hold NUL at all
            draft = session.get(Need, library.mashan)
            draft.description = "设备\x00采购"  # type: ignore[union-attr]
            session.add(draft)
    sign_in(client)
    for path in ("/review/needs", f"/review/needs/{library.draft}", f"/review/needs/{library.stale}",
                 f"/review/counties/{ledger.counties['布拖县']}", f"/review/needs/{library.mashan}",
                 f"/review/needs/{library.stale}/push?top=3"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<script>" not in response.text and "<b>粗体" not in response.text and "<img" not in response.text, path
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;本月走访了解情况" in client.get(
        f"/review/needs/{library.draft}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get(f"/review/needs/{library.stale}").text


def test_every_link_on_the_new_pages_answers(client: TestClient, review_app: App, library: Library) -> None:
    """A small crawler: open the 项目库 and 帮扶项目 pages, follow every link they show, expand the new pages."""
    sign_in(client)
    with unit_of_work(review_app.engine) as session:  # a closed need and a finished project have pages too
        needs.close_need(session, Scope(), library.mashan, "已由县财政解决", "test", NOW)
        projects.finish_project(session, Scope(), library.project, ProjectStatus.closed, "资金未到位", "test",
                                NOW + timedelta(days=1))
    queue = deque(["/review/needs", "/review/projects"])
    seen: set[str] = set(queue)
    checked = 0
    while queue:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code == 200, path
        checked += 1
        if not re.match(r"/review/(needs|projects)(/\d+)?(\?|$)", path):
            continue  # a page the new ones link to: it answers, its own links are other tests' business
        for link in (html.unescape(h) for h in HREF.findall(response.text)):
            if link.startswith("/review/") and not link.startswith("/review/static/") and link not in seen:
                seen.add(link)
                queue.append(link)
    assert checked > 20
    assert any("/review/updates/" in link for link in seen) and any("/review/pairings/" in link for link in seen)
    assert any("status=" in link for link in seen) and any("/review/counties/" in link for link in seen)
