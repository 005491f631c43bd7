"""The simulator's own lines (banner, :help, refusals, identity) in the CLI's locale: all Chinese, or all English.

The console channel here prints nowhere, so the transcript holds only what the simulator itself says."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.i18n import using
from bot.simulator import Simulator, chat, resolve_sender
from models.registry import Contact, Role
from models.services.registry import describe_scope
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.i18n.checks import chinese_in, english_prose

# Every line the simulator answers itself, in one session: no buttons, a wrong button, edits refused,
# help, a photo, a binding (the identity changes), a report with a question (buttons), a wrong number.
SCRIPT = (":press 1\n:edit\n:edit 投入资金5万元\n:help\n:photo\n绑定 {code}\n捐赠图书价值2万元\n:press 7\n:press x\n"
          ":quit\n")


@pytest.fixture
def quiet_app(settings: Settings) -> Iterator[App]:
    app = App(settings, channels={CONSOLE: ConsoleChannel()})
    app.queue.start_worker()
    yield app
    app.close()


def _transcript(app: App, locale: str) -> tuple[str, list[str]]:
    """The simulator's transcript in `locale`, and the data in it (names of places and people, button labels)."""
    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    pair(app.engine, org, county_id(app.engine, "昭觉县"))
    code = invite(app.engine, Role.organization, org=org, name="李娜")
    out = io.StringIO()
    with using(locale):
        chat(Simulator(app), io.StringIO(SCRIPT.format(code=code)), out)
        with Session(app.engine) as session:
            contact = session.exec(select(Contact).where(Contact.name == "李娜")).one()
            # the role and scope wording is the registry's (describe_scope), translated in its own catalog
            scope = describe_scope(session, contact)
    labels = [button.label for sent in app.channels[CONSOLE].sent for button in sent.buttons]  # type: ignore[attr-defined]
    return out.getvalue(), ["李娜", "中国社会福利基金会", scope, *labels]


def test_the_simulator_speaks_chinese_by_default(quiet_app: App) -> None:
    text, data = _transcript(quiet_app, "zh_CN")
    assert "上一条消息没有按钮" in text and "当前身份：李娜" in text and ":press N" in text
    assert english_prose(text, allowed=["press", "edit", "photo", "quit", "q", "exit", "d", "n"]) == []


def test_the_simulator_speaks_english_when_the_cli_does(quiet_app: App) -> None:
    text, data = _transcript(quiet_app, "en")
    assert "The last message has no buttons" in text and "You are: 李娜" in text and ":edit TEXT" in text
    assert "No such button. The last message has: [1]" in text and "not registered" in text
    assert chinese_in(text, data) == []


def test_a_missing_contact_is_named_in_the_cli_locale(quiet_app: App) -> None:
    with using("en"), pytest.raises(LookupError, match="No contact named \"无此人\""):
        resolve_sender(quiet_app, "无此人")
    with pytest.raises(LookupError, match="未找到联系人“无此人”"):
        resolve_sender(quiet_app, "无此人")
