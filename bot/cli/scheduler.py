"""`pairbot scheduler`: the reminder scheduler alone, in its own process."""

from __future__ import annotations

import typer

from bot.i18n import _

from bot.cli.common import require_schema, settings_from


def scheduler(ctx: typer.Context) -> None:
    """Run the reminder scheduler alone; copies on other machines wait and take over if the leader stops."""
    import signal
    import threading

    from bot.app import App
    from bot.logs import configure
    from jobs.scheduler import run_scheduler

    settings = settings_from(ctx)
    require_schema(settings)
    configure()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    app = App(settings)
    try:
        run_scheduler(app, stop)
    finally:
        app.close()


def register(app: typer.Typer) -> None:
    app.command("scheduler", help=_("单独运行提醒调度；其他机器上的副本等待，领头者停止时接替。"))(scheduler)
