"""`pairbot run`: everything in one process."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.cli.common import settings_from


def run(
    ctx: typer.Context,
    console: Annotated[
        Optional[bool], typer.Option("--console/--no-console", help="Open the terminal simulator (default: when no channel is configured and stdin is a terminal).")
    ] = None,
) -> None:
    """Run everything in one process: web (callbacks, /healthz, /metrics, review pages), channels, workers, relay, scheduler."""
    from bot.server import run_server

    run_server(settings_from(ctx), console)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
