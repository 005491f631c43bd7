"""`pairbot run`: everything in one process."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.cli.common import fail, settings_from


def run(
    ctx: typer.Context,
    console: Annotated[
        Optional[bool], typer.Option("--console/--no-console", help="Open the terminal simulator (default: when no channel is configured and stdin is a terminal).")
    ] = None,
) -> None:
    """Run everything in one process: web (callbacks, /healthz, /metrics, review pages), channels, workers, relay, scheduler."""
    from bot.server import StartError, run_server

    try:
        run_server(settings_from(ctx), console)
    except StartError as exc:  # nothing is left running: exit with what to change
        raise fail(f"pairbot run 未启动：{exc}", 1) from None


def register(app: typer.Typer) -> None:
    app.command("run")(run)
