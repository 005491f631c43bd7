"""`pairbot broadcast` (send, status, nudge) and `pairbot worker`: the delivery side of the command line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from bot.config import Settings
    from models.services.broadcast import Audience


def register(app: typer.Typer) -> None:
    broadcast = typer.Typer(
        help="广播通知：--to 对象 --text 内容 [--ack] [--yes]；status 查看进度；nudge 提醒未回复“收到”的人。",
        invoke_without_command=True,
    )
    app.add_typer(broadcast, name="broadcast")
    broadcast.callback()(send)
    broadcast.command("status")(status)
    broadcast.command("nudge")(nudge)
    app.command("worker")(worker)


def send(
    ctx: typer.Context,
    to: Annotated[Optional[str], typer.Option(
        "--to", help="all、county、organization、admin、province:四川省、county:布拖县（或代码）、group:标签")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="通知内容")] = None,
    ack: Annotated[bool, typer.Option("--ack", help="要求收件人回复“收到”（或点按钮）确认")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不询问，直接加入发送队列")] = False,
) -> None:
    """Send a notice to a segment: shows how many recipients and asks, then writes one Delivery per recipient.

    A running `pairbot run` or the `pairbot worker` processes send them within seconds.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bot.cli import _fail, _settings
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services.broadcast import BroadcastError, parse_segment, queue_broadcast, resolve_audience

    if not to or not text:
        raise _fail("需要 --to 对象 和 --text 内容，例如：\n"
                    "  pairbot broadcast --to county:布拖县 --text \"请于8月31日前签订协议\"\n"
                    "查看进度：pairbot broadcast status [编号]", 2)
    settings = _settings(ctx)
    engine = make_engine(settings.database.url)
    try:
        segment = parse_segment(to)
        with unit_of_work(engine) as session:
            audience = resolve_audience(session, segment)
        _preview(audience)
        if not audience.recipients:
            raise _fail("没有可以送达的收件人，未发送。")
        if not yes:
            typer.confirm(f"向 {segment.label} 发送这条通知？", abort=True)
        with unit_of_work(engine) as session:
            queued = queue_broadcast(session, segment, text, require_ack=ack, actor="cli", now=utcnow())
    except BroadcastError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        engine.dispose()
    typer.echo(f"广播 #{queued.broadcast.id} 已加入发送队列：{len(queued.delivery_ids)} 个收件人。")
    typer.echo(_handed_over(settings, queued.delivery_ids))


def status(
    ctx: typer.Context,
    broadcast_id: Annotated[Optional[int], typer.Argument(help="广播编号（不填：最近的广播和无法送达的账号）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """Sent / pending / failed / unreachable / acknowledged, and who has not acknowledged."""
    from sqlmodel import Session

    from bot.cli import _fail, _settings
    from bot.db import make_engine
    from models.services import broadcast as service

    settings = _settings(ctx)
    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            if broadcast_id is None:
                rows = service.recent(session)
                unreachable = service.unreachable_identities(session)
                overview = _overview_dict(rows, unreachable, service.paused_contacts(session), settings)
            else:
                detail = service.report(session, broadcast_id).to_dict(settings.zone)
    except service.BroadcastError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(overview if broadcast_id is None else detail, ensure_ascii=False))
    elif broadcast_id is None:
        _print_overview(overview)
    else:
        _print_detail(detail)


def nudge(
    ctx: typer.Context,
    broadcast_id: Annotated[int, typer.Argument(help="要求回执的广播编号")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不询问，直接发送提醒")] = False,
) -> None:
    """Remind exactly the recipients who received the notice but have not acknowledged it."""
    from sqlmodel import Session

    from bot.cli import _fail, _settings
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services import broadcast as service

    settings = _settings(ctx)
    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            targets = len(service.nudgeable(session, broadcast_id)[1])
        if targets == 0:
            typer.echo(f"广播 #{broadcast_id}：所有已送达的收件人都已确认，无需提醒。")
            return
        if not yes:
            typer.confirm(f"向 {targets} 位尚未回复“收到”的收件人发送提醒？", abort=True)
        with unit_of_work(engine) as session:
            queued = service.nudge(session, broadcast_id, "cli", utcnow())
    except service.BroadcastError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        engine.dispose()
    typer.echo(f"提醒（广播 #{queued.broadcast.id}）已加入发送队列：{len(queued.delivery_ids)} 位收件人。")
    typer.echo(_handed_over(settings, queued.delivery_ids))


def worker(
    ctx: typer.Context,
    processes: Annotated[int, typer.Option("--processes", "-p", min=1, max=64, help="工作进程数")] = 1,
    threads: Annotated[Optional[int], typer.Option(
        "--threads", "-t", min=1, max=64, help="每个进程的线程数 (default: [queue] worker_threads)")] = None,
    relay: Annotated[bool, typer.Option("--relay/--no-relay", help="本机是否同时运行 relay（补发丢失的消息）")] = True,
) -> None:
    """Send deliveries from the Redis or RabbitMQ queue ([queue] url); run on as many machines as needed."""
    from bot.cli import _fail, _settings
    from bot.worker import WorkerError, run_worker

    settings = _settings(ctx)
    try:
        run_worker(settings, processes, threads, relay)
    except WorkerError as exc:
        raise _fail(str(exc), 2) from None


# --- helpers -----------------------------------------------------------------------------------------------


def _handed_over(settings: Settings, ids: Sequence[int]) -> str:
    """Enqueue on a real broker now; on memory:// the hand-off of a running `pairbot run` takes the rows (jobs.handoff);
    a broker that is down leaves them to the relay."""
    relay = f"运行中的 pairbot run / pairbot worker 会在 {settings.queue.relay_after_seconds:g} 秒内取走发送。"
    if settings.queue.url.startswith("memory://") or not ids:
        return "运行中的 pairbot run 会在 1 秒内取走发送（未运行时，启动后立即发送）。"
    from bot.queue import DeliveryQueue

    queue = DeliveryQueue(settings.queue.url, lambda _: None, queue_name=settings.queue.name)
    try:
        if queue.enqueue(ids):
            return "已交给消息队列，工作进程正在发送。"
        return "消息队列暂时无法连接：记录已保存，" + relay
    finally:
        queue.close()


def _preview(audience: Audience) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"收件人：{audience.segment.label}")
    for column in ("渠道", "联系人", "群"):
        table.add_column(column, justify="right" if column != "渠道" else "left")
    for channel, counts in audience.counts().items():
        table.add_row(channel, str(counts["contacts"]), str(counts["groups"]))
    contacts = sum(1 for r in audience.recipients if r.group_id is None)
    table.add_row("合计", str(contacts), str(len(audience.recipients) - contacts), style="bold")
    console = Console()
    console.print(table)
    if audience.unreachable:
        console.print(f"另有 {len(audience.unreachable)} 位联系人没有可用的聊天账号（已屏蔽机器人、离职或未绑定），"
                      "不会收到。")
    if audience.paused:
        console.print(f"另有 {len(audience.paused)} 位联系人已退订通知，不会收到（见 pairbot broadcast status）。")


def _overview_dict(rows: list[tuple[Any, dict[str, int]]], unreachable: list[tuple[Any, Any]], paused: list[Any],
                   settings: Settings) -> dict[str, Any]:
    zone = settings.zone
    return {
        "broadcasts": [
            {"id": b.id, "segment": b.segment, "require_ack": b.require_ack, "parent_id": b.parent_id,
             "created_at": b.created_at.astimezone(zone).isoformat(timespec="seconds"), "counts": counts}
            for b, counts in rows
        ],
        "unreachable": [
            {"contact_id": c.id, "name": c.name, "channel": i.channel, "chat_id": i.external_id,
             "since": i.unreachable_since.astimezone(zone).isoformat(timespec="seconds")}
            for c, i in unreachable
        ],
        "paused": [{"contact_id": c.id, "name": c.name, "role": c.role,
                    "since": c.paused_at.astimezone(zone).isoformat(timespec="seconds")} for c in paused],
    }


COUNT_LABELS = (("total", "总数"), ("sent", "已发送"), ("pending", "待发送"), ("failed", "失败"),
                ("unreachable", "无法送达"), ("acknowledged", "已确认"))


def _print_overview(overview: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="最近的广播")
    for label in ("编号", "时间", "对象", *(label for _, label in COUNT_LABELS)):
        table.add_column(label)
    for b in overview["broadcasts"]:
        counts = b["counts"]
        acked = str(counts["acknowledged"]) if b["require_ack"] else "—"
        table.add_row(str(b["id"]), b["created_at"][:16].replace("T", " "), b["segment"],
                      *(str(counts[key]) for key, _ in COUNT_LABELS[:-1]), acked)
    console.print(table if overview["broadcasts"] else "还没有广播。")
    if overview["unreachable"]:
        gone = Table(title="无法送达的聊天账号（已屏蔽机器人或已离职；重新绑定后恢复）")
        for label in ("联系人", "渠道", "账号", "自"):
            gone.add_column(label)
        for row in overview["unreachable"]:
            gone.add_row(row["name"], row["channel"], row["chat_id"], row["since"][:16].replace("T", " "))
        console.print(gone)
    if overview["paused"]:
        from models.registry import Role

        paused = Table(title="已退订提醒和通知的联系人（发送“恢复”即可恢复；必报事项仍会提醒）")
        for label in ("联系人", "角色", "自"):
            paused.add_column(label)
        for row in overview["paused"]:
            paused.add_row(row["name"], Role(row["role"]).label, row["since"][:16].replace("T", " "))
        console.print(paused)


def _print_detail(detail: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = f"广播 #{detail['id']}（{detail['segment']}，{detail['created_at'][:16].replace('T', ' ')}）"
    table = Table(title=title)
    counts = detail["counts"]
    shown = [(key, label) for key, label in COUNT_LABELS if key in counts]
    for _, label in shown:
        table.add_column(label, justify="right")
    table.add_row(*(str(counts[key]) for key, _ in shown))
    console.print(table)
    console.print(f"内容：{detail['text']}")
    for key, heading in (("unreachable", "无法送达"), ("failed", "发送失败"), ("unacknowledged", "尚未确认收到")):
        lines = detail[key]
        if not lines:
            continue
        listing = Table(title=f"{heading}（{len(lines)}）")
        for label in ("收件人", "渠道", "账号", "原因" if key != "unacknowledged" else "状态"):
            listing.add_column(label)
        for line in lines:
            listing.add_row(line["name"], line["channel"], line["chat_id"],
                            line["error"] if key != "unacknowledged" else line["status"])
        console.print(listing)
    if detail["unacknowledged"]:
        console.print(f"提醒他们：pairbot broadcast nudge {detail['id']}")
