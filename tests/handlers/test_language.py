"""语言 / /lang: a contact chooses Chinese or English; a platform's language hint is used until they do."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from bot.messages import Incoming
from models.messaging import AuditLog, Delivery
from models.registry import Contact, Role
from tests.conftest import simulator
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.i18n.checks import chinese_in


def _registered(app: App):  # type: ignore[no-untyped-def]
    load_counties(app.engine)
    cid = county_id(app.engine, "布拖县")
    pair(app.engine, add_org(app.engine, "中国社会福利基金会", CODES[0]), cid)
    user = simulator(app, "c1")
    user.send(f"绑定 {invite(app.engine, Role.county, county=cid)}")
    return user


def test_choosing_english_answers_in_english_from_then_on_and_back(app: App) -> None:
    user = _registered(app)
    [current] = user.send("语言")
    assert "当前语言" in current and "English" in current
    [switched] = user.send("语言 English")
    assert switched == "OK, I will reply in English from now on."
    with Session(app.engine) as session:
        [contact] = session.exec(select(Contact)).all()
        assert contact.locale == "en"
        assert session.exec(select(AuditLog).where(AuditLog.action == "contact.locale")).one().details == {
            "locale": "en"}
    [again] = user.send("/lang")
    assert again.startswith("Current language: English") and not chinese_in(again)
    [back] = user.send("/lang 中文")
    assert back == "好的，今后用中文回复您。"


def test_an_unknown_language_is_named_and_nothing_changes(app: App) -> None:
    user = _registered(app)
    [reply] = user.send("语言 Klingon")
    assert "不认识的语言“Klingon”" in reply
    with Session(app.engine) as session:
        assert session.exec(select(Contact)).one().locale is None


def test_the_platform_language_hint_is_used_until_the_contact_chooses(app: App) -> None:
    _registered(app)
    hinted = Incoming(channel="console", chat_id="c1", sender_id="c1", text="语言", message_id="m-hint",
                      language="en-US")
    app.router.handle(hinted)
    with Session(app.engine) as session:
        reply = session.exec(select(Delivery).order_by(Delivery.id.desc())).first()  # type: ignore[union-attr]
        assert reply is not None and reply.text.startswith("Current language:")


def test_app_locale_is_the_language_of_people_who_chose_none(db_url: str) -> None:
    from bot.channels.console import NAME as CONSOLE, ConsoleChannel
    from bot.i18n import installation_locale, set_installation_locale
    from tests.conftest import make_settings

    app = App(make_settings(db_url, app={"locale": "en"}), channels={CONSOLE: ConsoleChannel()})
    app.queue.start_worker()
    try:
        user = _registered(app)
        [reply] = user.send("/lang")
        assert reply.startswith("Current language:")  # nobody chose: the installation's language
        assert installation_locale() == "en"
    finally:
        app.close()
        set_installation_locale(None)  # back to Chinese for the tests that follow
