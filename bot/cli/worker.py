"""`pairbot worker`: delivery worker processes on the shared queue."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.i18n import _

from bot.cli.common import fail, require_schema, settings_from


def worker(
    ctx: typer.Context,
    processes: Annotated[int, typer.Option("--processes", "-p", min=1, max=64, help=_("工作进程数"))] = 1,
    threads: Annotated[Optional[int], typer.Option(
        "--threads", "-t", min=1, max=64, help=_("每个进程的线程数（默认：[queue] worker_threads）"))] = None,
    relay: Annotated[bool, typer.Option("--relay/--no-relay", help=_("本机是否同时运行补发（relay，重新排队丢失的消息）"))] = True,
) -> None:
    """Send deliveries from the Redis or RabbitMQ queue ([queue] url); run on as many machines as needed."""
    from bot.worker import WorkerError, check, run_worker

    settings = settings_from(ctx)
    try:
        check(settings, processes)  # a configuration that cannot work is a usage error, before the database is opened
        require_schema(settings)
        run_worker(settings, processes, threads, relay)
    except WorkerError as exc:
        raise fail(str(exc), 2) from None


def register(app: typer.Typer) -> None:
    app.command("worker", help=_("从 Redis 或 RabbitMQ 队列（[queue] url）发送消息；可在多台机器上运行。"))(worker)
