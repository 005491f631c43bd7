"""`pairbot simulate`: chat with the bot in the terminal."""

from __future__ import annotations

import io
import sys
from typing import Annotated, Optional

import typer

from bot.i18n import _

from bot.cli.common import fail, settings_from


def simulate(
    ctx: typer.Context,
    as_contact: Annotated[Optional[str], typer.Option("--as", help=_("以已登记联系人的身份对话（姓名或编号）"))] = None,
) -> None:
    """Chat with the bot in this terminal, through the same router, handlers and outbox as Telegram and WeCom."""
    from bot.simulator import run_simulator

    settings = settings_from(ctx)
    if isinstance(sys.stdin, io.TextIOWrapper):
        # Bytes the terminal's encoding cannot decode (a GBK paste in a UTF-8 terminal) are kept, as the C locale
        # keeps them, and stored as visible escapes: one bad line must not end the session with a traceback.
        sys.stdin.reconfigure(errors="surrogateescape")
    try:
        run_simulator(settings, as_contact)
    except LookupError as exc:
        raise fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    app.command("simulate", help=_("在终端里与机器人对话，经过与 Telegram、企业微信相同的路由、处理和发件箱。"))(simulate)
