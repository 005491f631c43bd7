"""Who may see the review pages: passwords, one-time chat login links, sessions, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from bot.messages import Incoming
from models.access import AdminCredential, AdminSession, LoginToken
from models.messaging import AuditLog, Delivery
from models.registry import Contact
from models.reporting import ProgressUpdate, ReviewStatus
from models.services.access import check_password, hash_password
from models.services.registry import bind_identity
from tests.conftest import simulator
from tests.review.conftest import Clock, csrf_of, sign_in
from tests.review.seed import PASSWORD, Ledger

LINK = re.compile(r"http://127\.0\.0\.1:8080(/review/login/[A-Za-z0-9_\-]+)")


def test_passwords_are_stored_as_scrypt_hashes(review_app: App, ledger: Ledger) -> None:
    stored = hash_password("一二三四五六七八九十")
    assert stored.startswith("scrypt$") and "一二三" not in stored
    assert check_password("一二三四五六七八九十", stored) and not check_password("一二三四五六七八九", stored)
    assert not check_password("x", "md5$abc")
    with Session(review_app.engine) as session:
        assert all(PASSWORD not in c.password_hash for c in session.exec(select(AdminCredential)).all())


def test_pages_need_a_session_and_send_to_the_login_form(client: TestClient, ledger: Ledger) -> None:
    response = client.get("/review/queue")
    assert response.status_code == 303 and response.headers["location"] == "/review/login?next=%2Freview%2Fqueue"
    assert client.post("/review/updates/1/accept", data={"csrf": "x"}).status_code == 403
    login = client.get("/review/login")
    assert "管理员登录" in login.text and login.headers["x-frame-options"] == "DENY"
    assert "script-src" not in login.headers["content-security-policy"]  # default-src 'none': no scripts at all


def test_password_sign_in_sets_a_strict_cookie_and_signs_out(client: TestClient, ledger: Ledger) -> None:
    form = client.get("/review/login")
    response = client.post("/review/login", data={"who": "王主任", "password": PASSWORD, "csrf": csrf_of(form.text),
                                                  "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/review/"  # no open redirect
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/review" in cookie and "max-age=28800" in cookie
    page = client.get("/review/")
    assert page.status_code == 200 and "王主任（全部省份）" in page.text
    assert client.post("/review/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    assert client.get("/review/").status_code == 303


def test_wrong_password_is_refused_and_repeated_failures_lock_the_form(client: TestClient, review_app: App,
                                                                      ledger: Ledger) -> None:
    for _ in range(5):
        form = client.get("/review/login")
        refused = client.post("/review/login", data={"who": "王主任", "password": "wrong password",
                                                     "csrf": csrf_of(form.text)})
        assert refused.status_code == 401 and "姓名（或编号）或密码不正确" in refused.text
    form = client.get("/review/login")
    locked = client.post("/review/login", data={"who": "王主任", "password": PASSWORD, "csrf": csrf_of(form.text)})
    assert locked.status_code == 429 and "次数过多" in locked.text  # the right password is not even evaluated
    with Session(review_app.engine) as session:
        failures = session.exec(select(AuditLog).where(AuditLog.action == "review.login_failed")).all()
        assert len(failures) == 5


def test_login_form_without_its_csrf_token_is_refused(client: TestClient, ledger: Ledger) -> None:
    client.get("/review/login")
    response = client.post("/review/login", data={"who": "王主任", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403 and client.get("/review/").status_code == 303


def test_sessions_expire(client: TestClient, clock: Clock, ledger: Ledger) -> None:
    sign_in(client)
    clock.now += timedelta(minutes=479)
    assert client.get("/review/").status_code == 200
    clock.now += timedelta(minutes=2)
    assert client.get("/review/").status_code == 303


def test_every_post_needs_the_session_csrf_token(client: TestClient, review_app: App, ledger: Ledger) -> None:
    sign_in(client)
    flagged = ledger.flagged[0]
    assert client.post(f"/review/updates/{flagged}/accept", data={}).status_code == 403
    forged = client.post(f"/review/updates/{flagged}/accept", data={"csrf": "forged-token"})
    assert forged.status_code == 403 and "安全校验未通过" in forged.text
    with Session(review_app.engine) as session:
        assert session.get(ProgressUpdate, flagged).review_status == ReviewStatus.flagged  # type: ignore[union-attr]


def _bind(app: App, contact_id: int, sender: str) -> None:
    with unit_of_work(app.engine) as session:
        bind_identity(session, session.get(Contact, contact_id), "console", sender)  # type: ignore[arg-type]


def test_chat_login_link_signs_in_once(client: TestClient, review_app: App, ledger: Ledger) -> None:
    _bind(review_app, ledger.admin, "admin-wang")
    [reply] = simulator(review_app, "admin-wang").send("登录")
    assert "10 分钟内有效" in reply and "只能使用一次" in reply
    path = LINK.search(reply).group(1)  # type: ignore[union-attr]
    with Session(review_app.engine) as session:
        [delivery] = session.exec(select(Delivery).where(Delivery.chat_id == "admin-wang")).all()
        assert delivery.text == reply and delivery.status == "sent"
        token = path.rsplit("/", 1)[1]
        assert all(token not in row.token_hash for row in session.exec(select(LoginToken)).all())
    confirm = client.get(path)  # a link preview fetching the URL does not use it up
    assert confirm.status_code == 200 and "王主任" in confirm.text
    signed_in = client.post(path, data={"csrf": csrf_of(confirm.text)})
    assert signed_in.status_code == 303 and client.get("/review/").status_code == 200

    other = TestClient(client.app, follow_redirects=False)
    again = other.get(path)
    assert again.status_code == 410 and "已被使用过" in again.text
    with Session(review_app.engine) as session:
        [opened] = session.exec(select(AdminSession)).all()
        assert opened.method == "link"
        assert [a.action for a in session.exec(select(AuditLog).where(AuditLog.action.like("review.%"))).all()] \
            == ["review.link_issued", "review.login"]


def test_chat_login_link_expires_after_ten_minutes(client: TestClient, review_app: App, clock: Clock,
                                                    ledger: Ledger) -> None:
    _bind(review_app, ledger.admin, "admin-wang")
    [reply] = simulator(review_app, "admin-wang").send("/login")
    path = LINK.search(reply).group(1)  # type: ignore[union-attr]
    clock.now += timedelta(minutes=10, seconds=1)
    response = client.get(path)
    assert response.status_code == 410 and "已过期" in response.text
    assert client.get("/review/login/not-a-token").status_code == 410


def test_only_admins_get_login_links_and_only_in_private(review_app: App, ledger: Ledger) -> None:
    _bind(review_app, ledger.county_contact, "amu")
    [refused] = simulator(review_app, "amu").send("登录")
    assert "只对管理员开放" in refused and "/review/login" not in refused
    _bind(review_app, ledger.admin, "admin-wang")
    review_app.router.handle(Incoming(channel="console", chat_id="group-9", sender_id="admin-wang", text="登录",
                                      chat_type="group", message_id="g1"))
    review_app.queue.join()
    with Session(review_app.engine) as session:
        [in_group] = session.exec(select(Delivery).where(Delivery.chat_id == "group-9")).all()
        assert "私聊" in in_group.text and "/review/login" not in in_group.text
        assert session.exec(select(LoginToken)).all() == []
        progress = session.exec(select(ProgressUpdate).where(ProgressUpdate.raw_text == "登录")).all()
        assert progress == []  # a county contact's 登录 is not filed as a progress update


def test_cli_sets_a_password_the_login_form_accepts(client: TestClient, review_app: App, ledger: Ledger,
                                                    db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli import pairbot

    env = {"PAIRBOT_DATABASE__URL": db_url}
    short = pairbot("admin", "set-password", "王主任", "--password-stdin", cwd=tmp_path, env=env, stdin="short\n")
    assert short.returncode == 1 and "至少 10 个字符" in short.stderr
    unknown = pairbot("admin", "set-password", "阿木", "--password-stdin", cwd=tmp_path, env=env, stdin="x" * 12)
    assert unknown.returncode == 1 and "没有名为或编号为“阿木”的管理员" in unknown.stderr  # a county contact
    done = pairbot("admin", "set-password", str(ledger.admin), "--password-stdin", cwd=tmp_path, env=env,
                   stdin="新的密码 new-pass-2026\n")
    assert done.returncode == 0 and "已为管理员 王主任" in done.stdout and "/review/login" in done.stdout
    assert sign_in(client, "王主任", "新的密码 new-pass-2026")
    with Session(review_app.engine) as session:
        audited = session.exec(select(AuditLog).where(AuditLog.action == "admin.set_password",
                                                      AuditLog.actor == "cli")).all()
        assert [a.target for a in audited] == [f"contact:{ledger.admin}"]
