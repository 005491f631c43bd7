"""Review closes the loop: a rejected or corrected update is reported back to its sender, in their chat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.db import unit_of_work
from bot.web import build_web
from models.messaging import Delivery
from models.registry import Contact, Role
from models.reporting import ProgressUpdate
from models.services import review
from models.services.access import set_password
from models.services.ledger import Scope
from tests.handlers.test_reporting import Clock, county_contact
from tests.review.conftest import sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 28, 23, 56, tzinfo=UTC))  # 11-29 07:56 in Asia/Shanghai


@pytest.fixture
def world(settings: Settings, clock: Clock) -> Iterator[tuple[App, TestClient, ConsoleChannel]]:
    console = ConsoleChannel()
    app = App(settings, channels={CONSOLE: console}, clock=clock)
    app.queue.start_worker()
    with unit_of_work(app.engine) as session:
        admin = Contact(name="王主任", role=Role.admin, provinces=[])
        session.add(admin)
        session.flush()
        set_password(session, admin, PASSWORD, "test", clock())
    with TestClient(build_web(app), follow_redirects=False) as client:
        yield app, client, console
    app.close()


def _update_id(app: App) -> int:
    with Session(app.engine) as session:
        return session.exec(select(ProgressUpdate.id)).one()  # type: ignore[return-value]


def _notices(app: App) -> list[Delivery]:
    with Session(app.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.text.like("您 %"))  # type: ignore[attr-defined]
                                 .order_by(Delivery.id)).all())  # type: ignore[arg-type]


def test_a_rejection_tells_the_sender_why(world: tuple[App, TestClient, ConsoleChannel]) -> None:
    app, client, console = world
    user = county_contact(app)
    user.send("本月投入帮扶资金20万元，带动38户增收")
    csrf = sign_in(client, "王主任", PASSWORD)
    update_id = _update_id(app)
    response = client.post(f"/review/updates/{update_id}/reject", data={"csrf": csrf, "note": "金额与拨付凭证不符"})
    assert response.status_code == 303
    app.queue.join()
    [notice] = _notices(app)
    assert (notice.channel, notice.chat_id) == (CONSOLE, "c1") and notice.contact_id is not None
    assert notice.text == ("您 11-29 07:56 提交的进展：“本月投入帮扶资金20万元…”已被管理员退回。"
                           "原因：金额与拨付凭证不符。请按原因修改后重新发送这条进展。")
    assert console.sent[-1].chat_id == "c1" and console.sent[-1].text == notice.text  # sent after commit


def test_a_correction_tells_the_sender_the_new_figures(world: tuple[App, TestClient, ConsoleChannel]) -> None:
    app, client, _console = world
    user = county_contact(app)
    user.send("本月投入帮扶资金20亿元，带动38户增收")
    csrf = sign_in(client, "王主任", PASSWORD)
    update_id = _update_id(app)
    form = {"csrf": csrf, "funds_wan": "20", "households": "38", "fields": ["产业"], "note": "单位应为万元"}
    assert client.post(f"/review/updates/{update_id}/correct", data=form).status_code == 303
    [notice] = _notices(app)
    assert notice.chat_id == "c1"
    assert "已由管理员更正为：投入资金 20 万元，受益 38 户，领域：产业。说明：单位应为万元。" in notice.text
    assert "“本月投入帮扶资金20亿元…”" in notice.text


def test_accepting_sends_nothing(world: tuple[App, TestClient, ConsoleChannel]) -> None:
    app, client, _console = world
    county_contact(app).send("本月投入帮扶资金20万元")
    csrf = sign_in(client, "王主任", PASSWORD)
    assert client.post(f"/review/updates/{_update_id(app)}/accept", data={"csrf": csrf}).status_code == 303
    assert _notices(app) == []


def test_the_notice_is_part_of_the_decisions_transaction(world: tuple[App, TestClient, ConsoleChannel],
                                                         clock: Clock) -> None:
    app, _client, _console = world
    county_contact(app).send("本月投入帮扶资金20万元")
    update_id = _update_id(app)
    with pytest.raises(RuntimeError), unit_of_work(app.engine) as session:
        review.reject(session, Scope(None), update_id, "test", clock(), "重复报送")
        raise RuntimeError("the request fails after the decision")
    assert _notices(app) == []
    with Session(app.engine) as session:
        assert session.get(ProgressUpdate, update_id).review_status == "received"  # type: ignore[union-attr]


def test_the_notice_goes_to_the_chosen_channel(world: tuple[App, TestClient, ConsoleChannel], clock: Clock) -> None:
    app, _client, _console = world
    county_contact(app).send("本月投入帮扶资金20万元")
    with unit_of_work(app.engine) as session:
        from models.services.registry import bind_identity

        contact = session.exec(select(Contact).where(Contact.role == Role.county)).one()
        bind_identity(session, contact, "wecom", "zhangsan")
        contact.preferred_channel = "wecom"
        session.add(contact)
    with unit_of_work(app.engine) as session:
        review.reject(session, Scope(None), _update_id(app), "test", clock(), "重复报送")
    [notice] = _notices(app)
    assert (notice.channel, notice.chat_id) == ("wecom", "zhangsan")


def _review_of(app: App, update_id: int) -> tuple[str, str]:
    with Session(app.engine) as session:
        update = session.get(ProgressUpdate, update_id)
        assert update is not None
        return update.review_status, update.review_note


def test_accepting_a_rejected_update_withdraws_the_rejection_and_tells_the_sender(
        world: tuple[App, TestClient, ConsoleChannel]) -> None:
    app, client, console = world
    county_contact(app).send("本月投入帮扶资金20万元，带动38户增收")
    csrf = sign_in(client, "王主任", PASSWORD)
    update_id = _update_id(app)
    client.post(f"/review/updates/{update_id}/reject", data={"csrf": csrf, "note": "数字明显有误，请重报"})
    assert client.post(f"/review/updates/{update_id}/accept", data={"csrf": csrf}).status_code == 303
    app.queue.join()
    assert _review_of(app, update_id) == ("accepted", "")  # the rejection's reason does not stay as the note
    rejected, reinstated = _notices(app)
    assert "已被管理员退回" in rejected.text
    assert reinstated.chat_id == "c1" and reinstated.text == (
        "您 11-29 07:56 提交的进展：“本月投入帮扶资金20万元…”此前被退回，现管理员已撤销退回，这条进展已按原内容计入台账。"
        "无需重新发送这条进展；如已重新发送，请告知管理员，以免重复计入。")
    assert console.sent[-1].text == reinstated.text
    assert client.post(f"/review/updates/{update_id}/accept", data={"csrf": csrf}).status_code == 303
    assert len(_notices(app)) == 2  # accepting it again tells nobody


def test_correcting_a_rejected_update_says_so_with_the_new_figures(
        world: tuple[App, TestClient, ConsoleChannel]) -> None:
    app, client, _console = world
    county_contact(app).send("本月投入帮扶资金20亿元，带动38户增收")
    csrf = sign_in(client, "王主任", PASSWORD)
    update_id = _update_id(app)
    client.post(f"/review/updates/{update_id}/reject", data={"csrf": csrf, "note": "单位有误"})
    form = {"csrf": csrf, "funds_wan": "20", "households": "38", "fields": ["产业"], "note": "单位应为万元"}
    assert client.post(f"/review/updates/{update_id}/correct", data=form).status_code == 303
    assert _review_of(app, update_id) == ("accepted", "单位应为万元")
    _rejected, corrected = _notices(app)
    assert corrected.text.endswith(
        "此前被退回，现管理员已撤销退回，并将其更正为：投入资金 20 万元，受益 38 户，领域：产业。说明：单位应为万元。"
        "无需重新发送这条进展；如已重新发送，请告知管理员，以免重复计入。如有异议，请联系管理员。")


def test_the_withdrawn_rejection_is_told_in_the_senders_language_with_the_decision(
        world: tuple[App, TestClient, ConsoleChannel], clock: Clock) -> None:
    app, _client, _console = world
    county_contact(app).send("本月投入帮扶资金20万元")
    update_id = _update_id(app)
    with unit_of_work(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.role == Role.county)).one()
        contact.locale = "en"
        session.add(contact)
        review.reject(session, Scope(None), update_id, "test", clock(), "重复报送")
    with pytest.raises(RuntimeError), unit_of_work(app.engine) as session:
        review.accept(session, Scope(None), update_id, "test", clock())
        raise RuntimeError("the request fails after the decision")
    assert len(_english_notices(app)) == 1 and _review_of(app, update_id)[0] == "rejected"
    with unit_of_work(app.engine) as session:
        review.accept(session, Scope(None), update_id, "test", clock())
    _rejected, reinstated = _english_notices(app)
    assert "an administrator has withdrawn that" in reinstated.text and "need not send it again" in reinstated.text


def _english_notices(app: App) -> list[Delivery]:
    with Session(app.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.text.like("Your %"))  # type: ignore[attr-defined]
                                 .order_by(Delivery.id)).all())  # type: ignore[arg-type]


def test_a_decision_sent_twice_tells_the_sender_once(world: tuple[App, TestClient, ConsoleChannel]) -> None:
    """A form posted again (a double click, the browser's resend) is not a second 退回 or 更正 for the sender."""
    app, client, _console = world
    county_contact(app).send("本月投入帮扶资金20亿元，带动38户增收")
    csrf = sign_in(client, "王主任", PASSWORD)
    update_id = _update_id(app)
    for _ in range(3):
        client.post(f"/review/updates/{update_id}/reject", data={"csrf": csrf, "note": "金额有误"})
    assert len(_notices(app)) == 1
    client.post(f"/review/updates/{update_id}/reject", data={"csrf": csrf, "note": "金额单位有误"})
    assert len(_notices(app)) == 2  # another reason is news to the sender
    form = {"csrf": csrf, "funds_wan": "20", "households": "38", "fields": ["产业"]}
    for _ in range(3):
        assert client.post(f"/review/updates/{update_id}/correct", data=form).status_code == 303
    notices = _notices(app)
    assert len(notices) == 3 and "此前被退回，现管理员已撤销退回，并将其更正为：投入资金 20 万元" in notices[-1].text
    with Session(app.engine) as session:
        from models.reporting import ProgressEdit

        assert len(session.exec(select(ProgressEdit).where(ProgressEdit.kind == "review")).all()) == 1
        assert session.get(ProgressUpdate, update_id).review_status == "accepted"  # type: ignore[union-attr]


def test_a_correction_that_changes_nothing_is_an_acceptance(world: tuple[App, TestClient, ConsoleChannel]) -> None:
    app, client, _console = world
    county_contact(app).send("本月投入帮扶资金20万元，带动38户增收")
    csrf = sign_in(client, "王主任", PASSWORD)
    update_id = _update_id(app)
    form = {"csrf": csrf, "funds_wan": "20", "households": "38"}  # as parsed: no field named
    assert client.post(f"/review/updates/{update_id}/correct", data=form).status_code == 303
    assert _notices(app) == []
    with Session(app.engine) as session:
        assert session.get(ProgressUpdate, update_id).review_status == "accepted"  # type: ignore[union-attr]
