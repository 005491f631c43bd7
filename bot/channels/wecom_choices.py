"""Buttons on WeCom, which has none in app text messages: numbered lines out, a numbered reply in.

Out: a message's buttons are listed as `1. 标签` lines (unless the text already lists them).
In: a reply that is just a number 1…N presses button N of the last message the member was sent
with buttons (within `PRESS_WINDOW`), so every handler that offers buttons works on WeCom as it
does on Telegram; any other text is passed on unchanged.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.i18n import _
from bot.messages import Button, Incoming
from models.messaging import Delivery, DeliveryStatus

NAME = "wecom"  # the channel these choices belong to (bot.channels.wecom sends on it)

PRESS_WINDOW = timedelta(hours=24)


def with_choices(text: str, buttons: tuple[Button, ...]) -> str:
    """Buttons as numbered lines (`1. 标签`), unless the text already lists them so."""
    if not buttons:
        return text
    lines = [f"{n}. {button.label}" for n, button in enumerate(buttons, start=1)]
    if all(line in text for line in lines):
        return text
    return text + "\n" + _("回复序号：") + "\n" + "\n".join(lines)


def press_choice(engine: Engine, message: Incoming, now: datetime) -> Incoming:
    """The message as a button press when it is a number answering the member's last buttons."""
    number = unicodedata.normalize("NFKC", message.text).strip()
    if message.callback_data is not None or not number.isdecimal() or len(number) > 2:
        return message
    with Session(engine) as session:
        last = session.exec(
            select(Delivery).where(Delivery.channel == message.channel, Delivery.chat_id == message.chat_id,
                                   col(Delivery.status) == DeliveryStatus.sent)
            .order_by(col(Delivery.id).desc()).limit(1)
        ).first()
    if last is None or not last.buttons or last.sent_at is None or now - last.sent_at > PRESS_WINDOW:
        return message
    choice = int(number)
    if not 1 <= choice <= len(last.buttons):
        return message
    return dataclasses.replace(message, callback_data=str(last.buttons[choice - 1][1]))
