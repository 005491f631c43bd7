"""`pairbot parse`: what the bot understands from one progress update, as JSON (for checking the parser)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.i18n import _


def parse(text: Annotated[str, typer.Argument(help=_("一条进展，例如“投入资金20万元，带动38户”"))]) -> None:
    """Print the fields understood from a progress update as one JSON object; `flags` are the reasons the bot
    would send it to review (as stored, in Chinese), save the comparison with a pairing's agreement."""
    from models.services.parsing import parse_update
    from models.services.reports import review_flags

    parsed = parse_update(text)
    typer.echo(json.dumps(parsed.to_dict() | {"flags": review_flags(None, parsed, text, None)}, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("parse", help=_("以一个 JSON 对象打印从一条进展中识别出的字段（用于核对解析）。"))(parse)
