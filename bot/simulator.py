"""`pairbot simulate`: a terminal chat with the bot through the real router, handlers, outbox and queue.

The simulator's own lines (banner, `:help`, refusals of `:press` / `:edit`) follow the CLI's locale
(`bot.i18n.current()`). The bot's replies follow the sender's language as on Telegram: one chosen in chat
(语言), else the terminal's (passed as the platform's hint, like Telegram's language_code).
"""

from __future__ import annotations

import sys
import unicodedata
import uuid
from typing import TextIO

from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME, ConsoleChannel
from bot.config import Settings
from bot.db import unit_of_work
from bot.i18n import N_, _, current
from bot.messages import Attachment, Button, Incoming
from models.base import parse_id
from models.registry import Contact
from models.services.audit import audit
from models.services.registry import bind_identity, contact_for, describe_scope

# Every `:` command of the simulator (syntax, what it does); `:help` and the banner list them all.
COMMANDS: tuple[tuple[str, str], ...] = (
    (":press N", N_("点上一条消息的第 N 个按钮")),
    (N_(":edit 文字"), N_("把您上一条输入的消息改成这段文字（如同在 Telegram 里编辑消息）")),
    (N_(":photo [文件名]"), N_("发送一张图片（不写文件名时为 photo.jpg）")),
    (":help", N_("列出模拟器命令")),
    (":quit", N_("退出模拟器（也可用 :q、:exit 或 Ctrl-D）")),
)
QUIT = (":quit", ":q", ":exit")


class Simulator:
    """One simulated sender talking to an App; used by the CLI and by dialog tests."""

    def __init__(self, app: App, sender_id: str = "local", sender_name: str = "终端用户", language: str = "") -> None:
        self.app = app
        self.sender_id = sender_id
        self.sender_name = sender_name
        self.language = language  # the terminal's language, a hint like Telegram's language_code
        channel = app.channels.get(NAME)
        if not isinstance(channel, ConsoleChannel):
            raise ValueError("the app has no console channel")
        self.channel = channel
        self.last_typed_id = ""  # the last message the user typed: what :edit corrects (never a button press)

    def send(self, text: str = "", *, callback_data: str | None = None, edit: bool = False,
             attachments: tuple[Attachment, ...] = ()) -> list[str]:
        """Send one message and return the texts of the bot's replies, once they went through the outbox.

        An edit corrects the last message typed (as on Telegram); a button press or a photo is not one."""
        if edit:
            if not self.last_typed_id:
                raise ValueError("nothing typed yet to edit")
            message_id = self.last_typed_id
        else:
            message_id = uuid.uuid4().hex
            if callback_data is None and text:
                self.last_typed_id = message_id
        message = Incoming(
            channel=NAME, chat_id=self.sender_id, sender_id=self.sender_id, sender_name=self.sender_name, text=text,
            message_id=message_id, edited=edit, callback_data=callback_data, attachments=attachments,
            language=self.language,
        )
        before = len(self.channel.sent)
        self.app.router.handle(message)
        self.app.queue.join()
        return [out.text for out in self.channel.sent[before:]]

    def buttons(self) -> tuple[Button, ...]:
        """The buttons under the last message sent to this chat: what `:press N` can press."""
        for out in reversed(self.channel.sent):
            if out.chat_id == self.sender_id:
                return out.buttons
        return ()

    def press_refusal(self, number: int | None) -> str | None:
        """Why button `number` cannot be pressed (None when it can): no buttons, or which ones there are."""
        buttons = self.buttons()
        if not buttons:
            return _("上一条消息没有按钮，没有可以点的。")
        if number is not None and 1 <= number <= len(buttons):
            return None
        choices = "  ".join(f"[{n}] {button.label}" for n, button in enumerate(buttons, start=1))
        return _("没有这个按钮。上一条消息的按钮有：{choices}（例如 :press 1）").format(choices=choices)

    def press(self, number: int) -> list[str]:
        """Press button `number` of the last message to this chat; the refusal instead when there is none."""
        refusal = self.press_refusal(number)
        if refusal is not None:
            return [refusal]
        return self.send(callback_data=self.buttons()[number - 1].data)

    def identity(self) -> str:
        """Who the bot takes this chat for, as the database says now: name, role and scope, or unregistered."""
        with Session(self.app.engine) as session:
            contact = contact_for(session, NAME, self.sender_id)
            if contact is None:
                return _("未登记（发送“绑定 邀请码”登记）")
            return _("{name}，{scope}").format(name=contact.name, scope=describe_scope(session, contact))


def resolve_sender(app: App, as_contact: str | None) -> tuple[str, str]:
    """The console identity to chat as: `local`, or a registered contact picked by --as (audited)."""
    if as_contact is None:
        return "local", "终端用户"
    with unit_of_work(app.engine) as session:
        number = parse_id(as_contact)
        query = select(Contact).where(Contact.id == number) if number is not None \
            else select(Contact).where(Contact.name == as_contact)
        matches = session.exec(query).all()
        if not matches:
            raise LookupError(_("未找到联系人“{name}”").format(name=as_contact))
        if len(matches) > 1:
            raise LookupError(_("有 {n} 位联系人名为“{name}”，请改用编号：{ids}").format(
                n=len(matches), name=as_contact, ids="、".join(str(c.id) for c in matches)))
        contact = matches[0]
        sender_id = f"contact-{contact.id}"
        if contact_for(session, NAME, sender_id) is None:
            bind_identity(session, contact, NAME, sender_id)
            audit(session, "cli", "simulate.as", f"contact:{contact.id}")
        return sender_id, contact.name


def run_simulator(settings: Settings, as_contact: str | None, stdin: TextIO = sys.stdin,
                  stdout: TextIO = sys.stdout) -> None:
    console = ConsoleChannel(stdout)
    app = App(settings, channels={NAME: console})
    try:
        app.queue.start_worker()
        sender_id, name = resolve_sender(app, as_contact)
        console.own_chat, console.name_of = sender_id, lambda chat_id: _console_name(app, chat_id)
        chat(Simulator(app, sender_id, name, language=current()), stdin, stdout)
    finally:
        app.close()


def _console_name(app: App, chat_id: str) -> str:
    """The contact a console chat belongs to, by name (the chat id when none)."""
    with Session(app.engine) as session:
        contact = contact_for(session, NAME, chat_id)
        return contact.name if contact is not None else chat_id


def _width(text: str) -> int:
    """Columns a terminal gives `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def command_help() -> str:
    """Every `:` command with what it does, one a line, aligned."""
    rows = [(_(syntax), _(what)) for syntax, what in COMMANDS]
    column = max(_width(syntax) for syntax, _what in rows) + 2
    return "\n".join(f"  {syntax}{' ' * (column - _width(syntax))}{what}" for syntax, what in rows)


def banner() -> str:
    return "\n".join((
        _("结对帮扶助手 · 终端模拟器（与 Telegram / 企业微信走同一套处理流程）"),
        "  " + _("直接输入消息并回车；“帮助”查看功能；“绑定 邀请码”登记。模拟器命令："),
        command_help(),
    ))


def chat(sim: Simulator, stdin: TextIO, stdout: TextIO) -> None:
    """Read lines until :quit or end of input: `:` commands act in the simulator, anything else goes to the bot.

    The identity is shown at the start and again whenever a message changed it (绑定, 改绑)."""
    identity = sim.identity()
    stdout.write(banner() + "\n" + _("当前身份：{who}").format(who=identity) + "\n")
    interactive = stdin.isatty()
    while True:
        if interactive:
            stdout.write(_("你> "))
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        line = line.rstrip("\n")
        word, arg = (line.split(maxsplit=1) + ["", ""])[:2]
        arg = arg.strip()
        note: str | None = None
        if word in QUIT:
            break
        if word == ":help":
            note = command_help()
        elif word == ":press":
            number = int(arg) if arg.isdecimal() else None
            note = sim.press_refusal(number)
            if note is None:
                sim.press(number)  # type: ignore[arg-type]
        elif word == ":edit":
            if not arg:
                note = _("请在 :edit 后写上改好的文字，例如 :edit 投入资金25万元。")
            elif not sim.last_typed_id:
                note = _("还没有可以修改的消息：请先输入一条消息。")
            else:
                sim.send(arg, edit=True)
        elif word == ":photo":
            name = arg or "photo.jpg"
            sim.send(attachments=(Attachment("photo", f"console-file-{uuid.uuid4().hex[:8]}", name),))
        elif line.strip():
            sim.send(line)
        if note is not None:
            stdout.write(note + "\n")
        now = sim.identity()
        if now != identity:
            identity = now
            stdout.write(_("当前身份：{who}").format(who=identity) + "\n")
        stdout.flush()
