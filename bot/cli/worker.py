"""`pairbot worker`: delivery worker processes on the shared queue."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.cli.common import fail, settings_from


def worker(
    ctx: typer.Context,
    processes: Annotated[int, typer.Option("--processes", "-p", min=1, max=64, help="工作进程数")] = 1,
    threads: Annotated[Optional[int], typer.Option(
        "--threads", "-t", min=1, max=64, help="每个进程的线程数 (default: [queue] worker_threads)")] = None,
    relay: Annotated[bool, typer.Option("--relay/--no-relay", help="本机是否同时运行 relay（补发丢失的消息）")] = True,
) -> None:
    """Send deliveries from the Redis or RabbitMQ queue ([queue] url); run on as many machines as needed."""
    from bot.worker import WorkerError, run_worker

    settings = settings_from(ctx)
    try:
        run_worker(settings, processes, threads, relay)
    except WorkerError as exc:
        raise fail(str(exc), 2) from None


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
