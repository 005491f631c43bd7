"""`pairbot run`: everything in one process."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.cli.common import fail, require_schema, settings_from
from bot.i18n import _


def run(
    ctx: typer.Context,
    console: Annotated[
        Optional[bool], typer.Option("--console/--no-console", help=_("打开终端模拟器（默认：没有配置任何渠道且标准输入是终端时）。"))
    ] = None,
) -> None:
    """Run everything in one process: web (callbacks, /healthz, /metrics, review pages), channels, workers, relay, scheduler."""
    from bot.server import StartError, run_server

    settings = settings_from(ctx)
    require_schema(settings)
    try:
        run_server(settings, console)
    except StartError as exc:  # nothing is left running: exit with what to change
        raise fail(_("pairbot run 未启动：{reason}").format(reason=exc), 1) from None


def register(app: typer.Typer) -> None:
    app.command("run", help=_("在一个进程里运行全部：网页（回调、/healthz、/metrics、审核页面）、各渠道、发送、补发和提醒调度。"))(run)
