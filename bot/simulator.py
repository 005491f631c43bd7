"""`pairbot simulate`: a terminal chat with the bot through the real router, handlers, outbox and queue."""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

from sqlmodel import select

from bot.app import App
from bot.channels.console import NAME, ConsoleChannel
from bot.config import Settings
from bot.db import unit_of_work
from bot.messages import Attachment, Incoming
from models.registry import Contact
from models.services.audit import audit
from models.services.registry import bind_identity, contact_for

BANNER = """\
结对帮扶助手 · 终端模拟器（与 Telegram / 企业微信走同一套处理流程）
  直接输入消息并回车；“帮助”查看功能；“绑定 邀请码”登记。
  :press N  点第 N 个按钮    :edit 文字  修改上一条消息    :photo 文件名  发送图片    :quit  退出
"""


class Simulator:
    """One simulated sender talking to an App; used by the CLI and by dialog tests."""

    def __init__(self, app: App, sender_id: str = "local", sender_name: str = "终端用户") -> None:
        self.app = app
        self.sender_id = sender_id
        self.sender_name = sender_name
        channel = app.channels.get(NAME)
        if not isinstance(channel, ConsoleChannel):
            raise ValueError("the app has no console channel")
        self.channel = channel
        self.last_message_id = ""

    def send(self, text: str = "", *, callback_data: str | None = None, edit: bool = False,
             attachments: tuple[Attachment, ...] = ()) -> list[str]:
        """Send one message and return the texts of the bot's replies, once they went through the outbox."""
        if not edit:
            self.last_message_id = uuid.uuid4().hex
        message = Incoming(
            channel=NAME, chat_id=self.sender_id, sender_id=self.sender_id, sender_name=self.sender_name, text=text,
            message_id=uuid.uuid4().hex if callback_data else self.last_message_id, edited=edit,
            callback_data=callback_data, attachments=attachments,
        )
        before = len(self.channel.sent)
        self.app.router.handle(message)
        self.app.queue.join()
        return [out.text for out in self.channel.sent[before:]]

    def press(self, number: int) -> list[str]:
        buttons = self.channel.sent[-1].buttons if self.channel.sent else ()
        if not 1 <= number <= len(buttons):
            return [f"（没有第 {number} 个按钮）"]
        return self.send(callback_data=buttons[number - 1].data)


def resolve_sender(app: App, as_contact: str | None) -> tuple[str, str]:
    """The console identity to chat as: `local`, or a registered contact picked by --as (audited)."""
    if as_contact is None:
        return "local", "终端用户"
    with unit_of_work(app.engine) as session:
        query = select(Contact).where(Contact.id == int(as_contact)) if as_contact.isdigit() \
            else select(Contact).where(Contact.name == as_contact)
        matches = session.exec(query).all()
        if not matches:
            raise LookupError(f"未找到联系人“{as_contact}”")
        if len(matches) > 1:
            raise LookupError(f"有 {len(matches)} 位联系人名为“{as_contact}”，请改用编号：" +
                              "、".join(str(c.id) for c in matches))
        contact = matches[0]
        sender_id = f"contact-{contact.id}"
        if contact_for(session, NAME, sender_id) is None:
            bind_identity(session, contact, NAME, sender_id)
            audit(session, "cli", "simulate.as", f"contact:{contact.id}")
        return sender_id, contact.name


def run_simulator(settings: Settings, as_contact: str | None, stdin: TextIO = sys.stdin,
                  stdout: TextIO = sys.stdout) -> None:
    app = App(settings, channels={NAME: ConsoleChannel(stdout)})
    try:
        app.queue.start_worker()
        sender_id, name = resolve_sender(app, as_contact)
        chat(Simulator(app, sender_id, name), stdin, stdout)
    finally:
        app.close()


def chat(sim: Simulator, stdin: TextIO, stdout: TextIO) -> None:
    stdout.write(BANNER + f"（当前身份：{sim.sender_name}）\n")
    interactive = stdin.isatty()
    while True:
        if interactive:
            stdout.write("你> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        line = line.rstrip("\n")
        if line.strip() in (":quit", ":q", ":exit"):
            break
        if line.startswith(":press "):
            arg = line.split(maxsplit=1)[1]
            sim.press(int(arg) if arg.isdigit() else 0)
        elif line.startswith(":edit "):
            sim.send(line.split(maxsplit=1)[1], edit=True)
        elif line.startswith(":photo"):
            name = line[len(":photo"):].strip() or "photo.jpg"
            sim.send(attachments=(Attachment("photo", f"console-file-{uuid.uuid4().hex[:8]}", name),))
        elif line.strip():
            sim.send(line)
