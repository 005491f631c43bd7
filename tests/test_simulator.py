"""`pairbot simulate` as a user meets it: the transcript of `chat()` fed lines like a terminal."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.simulator import COMMANDS, Simulator, chat
from models.registry import Role
from models.reporting import ProgressEdit, ProgressUpdate
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair


class Terminal:
    """An App whose console channel prints into the same transcript as the simulator."""

    def __init__(self, settings: Settings) -> None:
        self.out = io.StringIO()
        self.app = App(settings, channels={CONSOLE: ConsoleChannel(self.out)})
        self.app.queue.start_worker()

    def session(self, script: str, sender: str = "local") -> str:
        """Run one `pairbot simulate` session over `script` (lines as typed); its transcript."""
        start = self.out.tell()
        chat(Simulator(self.app, sender, "终端用户"), io.StringIO(script), self.out)
        return self.out.getvalue()[start:]


@pytest.fixture
def terminal(settings: Settings) -> Iterator[Terminal]:
    term = Terminal(settings)
    yield term
    term.app.close()


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all())


def _organization_with_two_pairings(app: App) -> str:
    """An organization paired with two counties, so a report asks which pairing (with buttons); its invite code."""
    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    pair(app.engine, org, county_id(app.engine, "昭觉县"))
    return invite(app.engine, Role.organization, org=org)


def test_press_with_no_buttons_says_so_and_a_wrong_number_lists_the_buttons(terminal: Terminal) -> None:
    out = terminal.session(":press 1\n")
    assert "上一条消息没有按钮" in out
    code = _organization_with_two_pairings(terminal.app)
    out = terminal.session(f"绑定 {code}\n:press 1\n捐赠图书价值2万元\n:press 9\n:press\n")
    assert out.count("上一条消息没有按钮") == 1  # after the welcome, which has none
    assert out.count("上一条消息的按钮有：[1] 四川省布拖县") == 2
    assert "[2] 四川省昭觉县" in out.split("没有这个按钮")[1]
    assert _updates(terminal.app)[0].pairing_id is None  # nothing was pressed


def test_edit_after_a_press_corrects_the_typed_message(terminal: Terminal) -> None:
    code = _organization_with_two_pairings(terminal.app)
    out = terminal.session(f"绑定 {code}\n捐赠图书价值2万元\n:press 2\n:edit 捐赠图书价值3万元\n")
    assert "已记入" in out and "更正" in out.split("已记入")[1]
    [update] = _updates(terminal.app)
    assert update.funds_wan == 3 and update.raw_text == "捐赠图书价值3万元" and "昭觉" in out
    with Session(terminal.app.engine) as session:
        assert len(session.exec(select(ProgressEdit)).all()) == 1


def test_edit_with_nothing_typed_is_refused_in_the_simulator(terminal: Terminal) -> None:
    out = terminal.session(":edit 投入资金5万元\n:edit\n")
    assert "还没有可以修改的消息" in out and "请在 :edit 后写上改好的文字" in out
    assert _updates(terminal.app) == [] and "🤖" not in out


def test_the_identity_shown_is_the_bound_one_and_follows_binding(terminal: Terminal) -> None:
    load_counties(terminal.app.engine)
    code = invite(terminal.app.engine, Role.county, county=county_id(terminal.app.engine, "布拖县"), name="阿木")
    first = terminal.session(f"绑定 {code}\n")
    assert "当前身份：未登记" in first and "终端用户" not in first
    assert first.index("绑定成功") < first.index("当前身份：阿木，县联络员（四川省布拖县）")
    again = terminal.session("")
    assert again.splitlines()[-1] == "当前身份：阿木，县联络员（四川省布拖县）"


def test_choices_are_shown_once_as_buttons(terminal: Terminal) -> None:
    code = _organization_with_two_pairings(terminal.app)
    out = terminal.session(f"绑定 {code}\n捐赠图书价值2万元\n")
    question = out[out.index("哪一个"):]
    assert question.count("布拖县") == 1 and question.count("昭觉县") == 1
    assert "[1] 四川省布拖县" in question and "[2] 四川省昭觉县" in question


def test_help_lists_every_command_and_each_one_is_the_simulators(terminal: Terminal) -> None:
    out = terminal.session(":help\n")
    lines = out[out.rindex("当前身份"):].splitlines()[1:]
    assert len(lines) == len(COMMANDS)
    for (syntax, _what), line in zip(COMMANDS, lines, strict=True):
        assert line.startswith(f"  {syntax}  ") and line[len(syntax) + 2:].strip()  # the syntax, then what it does
    # none of them reaches the bot as an unknown command
    out = terminal.session("".join(f"{syntax.split()[0]}\n" for syntax, _what in COMMANDS if syntax != ":quit"))
    assert "没有“:" not in out and "这个命令" not in out  # the bot's answer to an unknown command


def test_photo_is_sent_and_quit_ends_the_session(terminal: Terminal) -> None:
    load_counties(terminal.app.engine)
    code = invite(terminal.app.engine, Role.county, county=county_id(terminal.app.engine, "布拖县"))
    out = terminal.session(f"绑定 {code}\n:photo 大棚.jpg\n:quit\n投入资金5万元\n")
    assert "绑定成功" in out and "🤖" in out.split("绑定成功")[1]  # the photo was answered
    assert _updates(terminal.app) == []  # nothing after :quit was sent


def test_the_terminal_language_is_the_senders_hint(terminal: Terminal) -> None:
    """`pairbot simulate` passes the CLI's locale like Telegram's language_code: the bot answers in it."""
    load_counties(terminal.app.engine)
    county = county_id(terminal.app.engine, "布拖县")
    chinese, english = Simulator(terminal.app, "zh-terminal"), Simulator(terminal.app, "en-terminal", language="en")
    for sim in (chinese, english):
        sim.send(f"绑定 {invite(terminal.app.engine, Role.county, county=county)}")
    assert chinese.send("/lang")[0].startswith("当前语言")
    assert english.send("/lang")[0].startswith("Current language")


def _admin_and_county_contact(settings: Settings, channel: str | None = None, external_id: str | None = None) -> None:
    """李主任 (an admin of every province, no chat yet) and 阿木 of 布拖县 with one chat account (console by default)."""
    from bot.db import unit_of_work
    from models.registry import ChannelIdentity, Contact

    app = App(settings, channels={CONSOLE: ConsoleChannel()})
    load_counties(app.engine)
    with unit_of_work(app.engine) as session:
        session.add(Contact(name="李主任", role=Role.admin, provinces=[]))
        amu = Contact(name="阿木", role=Role.county, county_id=county_id(app.engine, "布拖县"), provinces=[])
        session.add(amu)
        session.flush()
        session.add(ChannelIdentity(contact_id=amu.id, channel=channel or CONSOLE,
                                    external_id=external_id or f"contact-{amu.id}"))
    app.close()


def test_a_message_to_another_console_contact_says_whom_it_is_for(settings: Settings) -> None:
    from bot.simulator import run_simulator

    _admin_and_county_contact(settings)
    out = io.StringIO()
    run_simulator(settings, "李主任", io.StringIO("广播 county:布拖县 请于月底前签订协议\n:press 1\n"), out)
    transcript = out.getvalue()
    assert "🤖 （发给 阿木）\n   【通知】请于月底前签订协议" in transcript, transcript
    assert "🤖 广播 #1 已开始发送" in transcript  # its own reply is not labelled


def test_a_broadcast_preview_in_chat_warns_of_recipients_on_an_unconfigured_platform(settings: Settings) -> None:
    """As the CLI's preview does: Telegram has no token here, so its recipients' messages would fail."""
    from bot.simulator import run_simulator

    _admin_and_county_contact(settings, "telegram", "7001")
    out = io.StringIO()
    run_simulator(settings, "李主任", io.StringIO("广播 county:布拖县 请于月底前签订协议\n取消\n"), out)
    assert "注意：本配置未启用 Telegram（未设置其令牌），这 1 个收件人的消息将发送失败" in out.getvalue()


def test_a_draft_cancelled_in_chat_is_not_listed_as_a_broadcast(settings: Settings) -> None:
    from sqlmodel import Session

    from bot.db import unit_of_work
    from bot.simulator import run_simulator
    from models.registry import Contact
    from models.services.broadcast import recent

    app = App(settings, channels={CONSOLE: ConsoleChannel()})
    load_counties(app.engine)
    with unit_of_work(app.engine) as session:
        session.add(Contact(name="李主任", role=Role.admin, provinces=[]))
    run_simulator(settings, "李主任", io.StringIO("广播 all 月底前报送进展\n取消\n"), io.StringIO())
    with Session(app.engine) as session:
        assert recent(session) == []
    app.close()
