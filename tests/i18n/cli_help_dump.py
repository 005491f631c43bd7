"""Print every `pairbot … --help` of one locale as JSON (run in its own interpreter: help texts are made in it)."""

from __future__ import annotations

import json
import sys

import click
import typer

from bot.cli import build_app
from bot.i18n import set_locale


def helps(command: click.Command, path: tuple[str, ...], parent: click.Context | None) -> dict[str, str]:
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    found = {" ".join(path): command.get_help(ctx)}
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            found |= helps(command.get_command(ctx, name), (*path, name), ctx)  # type: ignore[arg-type]
    return found


if __name__ == "__main__":
    set_locale(sys.argv[1])
    print(json.dumps(helps(typer.main.get_command(build_app()), ("pairbot",), None), ensure_ascii=False))
