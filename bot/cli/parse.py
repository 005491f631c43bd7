"""`pairbot parse`: what the bot understands from one progress update, as JSON (for checking the parser)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.i18n import _


def parse(text: Annotated[str, typer.Argument(help=_("一条进展，例如“投入资金20万元，带动38户”"))]) -> None:
    """Print the fields understood from a progress update as one JSON object."""
    from models.services.parsing import parse_update

    typer.echo(json.dumps(parse_update(text).to_dict(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("parse", help=_("以一个 JSON 对象打印从一条进展中识别出的字段（用于核对解析）。"))(parse)
