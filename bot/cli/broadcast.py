"""`pairbot broadcast` (send, status, nudge): notices to a segment, and how far they got."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from bot.i18n import N_, _

from bot.cli.common import ROW_ID_RANGE, fail, settings_from

if TYPE_CHECKING:
    from bot.config import Settings
    from models.services.broadcast import Audience


def register(app: typer.Typer) -> None:
    broadcast = typer.Typer(
        help=_("广播通知：--to 对象 --text 内容 [--ack] [--yes]；status 查看进度；nudge 提醒未回复“收到”的人。"),
        invoke_without_command=True,
    )
    app.add_typer(broadcast, name="broadcast")
    broadcast.callback()(send)
    broadcast.command("status", help=_("已发送、待发送、失败、无法送达、已确认的数量，以及谁还没有确认收到。"))(status)
    broadcast.command("nudge", help=_("只提醒已收到通知但还没有确认的收件人。"))(nudge)


def send(
    ctx: typer.Context,
    to: Annotated[Optional[str], typer.Option(
        "--to", help=_("all、county、organization、admin、province:四川省、county:布拖县（或代码）、group:标签"))] = None,
    text: Annotated[Optional[str], typer.Option("--text", help=_("通知内容"))] = None,
    ack: Annotated[bool, typer.Option("--ack", help=_("要求收件人回复“收到”（或点按钮）确认"))] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("不询问，直接加入发送队列"))] = False,
) -> None:
    """Send a notice to a segment: shows how many recipients and asks, then writes one Delivery per recipient.

    A running `pairbot run` or the `pairbot worker` processes send them within seconds.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bot.cli.support import handed_over
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services.broadcast import (
        BroadcastError, checked_text, parse_segment, queue_broadcast, resolve_audience,
    )

    if not to or not text or not text.strip():
        raise fail(_("需要 --to 对象 和 --text 内容，例如：\n"
                     "  pairbot broadcast --to county:布拖县 --text \"请于8月31日前签订协议\"\n"
                     "查看进度：pairbot broadcast status [编号]"), 2)
    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    try:
        checked_text(text)  # a text that would be refused is refused before the preview, not after the question
        segment = parse_segment(to)
        with unit_of_work(engine) as session:
            audience = resolve_audience(session, segment)
        _preview(audience)
        _warn_unconfigured(audience, settings)
        if not audience.recipients:
            raise fail(_("没有可以送达的收件人，未发送。"))
        if not yes:
            typer.confirm(_("向 {segment} 发送这条通知？").format(segment=segment.label), abort=True)
        with unit_of_work(engine) as session:
            queued = queue_broadcast(session, segment, text, require_ack=ack, actor="cli", now=utcnow())
    except BroadcastError as exc:
        raise fail(str(exc), 2) from None
    finally:
        engine.dispose()
    typer.echo(_("广播 #{id} 已加入发送队列：{n} 个收件人。").format(id=queued.broadcast.id, n=len(queued.delivery_ids)))
    typer.echo(handed_over(settings, queued.delivery_ids))


def status(
    ctx: typer.Context,
    broadcast_id: Annotated[Optional[int], typer.Argument(
        help=_("广播编号（不填：最近的广播和无法送达的账号）"), **ROW_ID_RANGE)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
) -> None:
    """Sent / pending / failed / unreachable / acknowledged, and who has not acknowledged."""
    from sqlmodel import Session

    from bot.db import make_engine
    from models.services import broadcast as service

    settings = settings_from(ctx)
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
        raise fail(str(exc)) from None
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
    broadcast_id: Annotated[int, typer.Argument(help=_("要求回执的广播编号"), **ROW_ID_RANGE)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("不询问，直接发送提醒"))] = False,
) -> None:
    """Remind exactly the recipients who received the notice but have not acknowledged it."""
    from sqlmodel import Session

    from bot.cli.support import handed_over
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services import broadcast as service

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            targets = len(service.nudgeable(session, broadcast_id)[1])
        if targets == 0:
            typer.echo(_("广播 #{id}：所有已送达的收件人都已确认，无需提醒。").format(id=broadcast_id))
            return
        if not yes:
            typer.confirm(_("向 {n} 位尚未回复“收到”的收件人发送提醒？").format(n=targets), abort=True)
        with unit_of_work(engine) as session:
            queued = service.nudge(session, broadcast_id, "cli", utcnow())
    except service.BroadcastError as exc:
        raise fail(str(exc), 2) from None
    finally:
        engine.dispose()
    typer.echo(_("提醒（广播 #{id}）已加入发送队列：{n} 位收件人。").format(id=queued.broadcast.id, n=len(queued.delivery_ids)))
    typer.echo(handed_over(settings, queued.delivery_ids))


# --- helpers -----------------------------------------------------------------------------------------------


def _warn_unconfigured(audience: Audience, settings: Settings) -> None:
    """Recipients on a platform this configuration has no token for: their messages would fail at once."""
    from bot.cli.tables import console as terminal
    from bot.config import configured_channels

    for warning in audience.unconfigured(configured_channels(settings)):
        terminal().print(warning)


def _preview(audience: Audience) -> None:
    from bot.cli.tables import Table, console as terminal
    from bot.messages import channel_label

    table = Table(title=_("收件人：{segment}").format(segment=audience.segment.label))
    table.add_column(_("渠道"))
    table.add_column(_("联系人"), justify="right")
    table.add_column(_("群"), justify="right")
    for channel, counts in audience.counts().items():
        table.add_row(channel_label(channel), str(counts["contacts"]), str(counts["groups"]))
    contacts = sum(1 for r in audience.recipients if r.group_id is None)
    table.add_row(_("合计"), str(contacts), str(len(audience.recipients) - contacts), style="bold")
    console = terminal()
    console.print(table)
    if audience.unreachable:
        console.print(_("另有 {n} 位联系人没有可用的聊天账号（已屏蔽机器人、离职或未绑定），不会收到。").format(
            n=len(audience.unreachable)))
    if audience.paused:
        console.print(_("另有 {n} 位联系人已退订通知，不会收到（见 pairbot broadcast status）。").format(
            n=len(audience.paused)))


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


COUNT_LABELS = (("total", N_("总数")), ("sent", N_("已发送")), ("pending", N_("待发送")), ("failed", N_("失败")),
                ("unreachable", N_("无法送达")), ("acknowledged", N_("已确认")))


def _print_overview(overview: dict[str, Any]) -> None:
    from bot.cli.tables import Table, console as terminal
    from bot.messages import channel_label

    console = terminal()

    table = Table(title=_("最近的广播"))
    for label in (N_("编号"), N_("时间"), N_("对象"), *(label for _key, label in COUNT_LABELS)):
        table.add_column(_(label))
    for b in overview["broadcasts"]:
        counts = b["counts"]
        acked = str(counts["acknowledged"]) if b["require_ack"] else "—"
        table.add_row(str(b["id"]), b["created_at"][:16].replace("T", " "), b["segment"],
                      *(str(counts[key]) for key, _label in COUNT_LABELS[:-1]), acked)
    if overview["broadcasts"]:
        console.print(table)
    else:
        console.print(_("还没有广播。"), markup=False)
    if overview["unreachable"]:
        gone = Table(title=_("无法送达的聊天账号（已屏蔽机器人或已离职；重新绑定后恢复）"))
        for label in (N_("联系人"), N_("渠道"), N_("账号"), N_("自")):
            gone.add_column(_(label))
        for row in overview["unreachable"]:
            gone.add_row(row["name"], channel_label(row["channel"]), row["chat_id"],
                         row["since"][:16].replace("T", " "))
        console.print(gone)
    if overview["paused"]:
        from models.registry import Role

        paused = Table(title=_("已退订提醒和通知的联系人（发送“恢复”即可恢复；必报事项仍会提醒）"))
        for label in (N_("联系人"), N_("角色"), N_("自")):
            paused.add_column(_(label))
        for row in overview["paused"]:
            paused.add_row(row["name"], Role(row["role"]).label, row["since"][:16].replace("T", " "))
        console.print(paused)


def _print_detail(detail: dict[str, Any]) -> None:
    from bot.cli.tables import Table, console as terminal
    from bot.messages import channel_label
    from models.services.ledger import delivery_error, delivery_status_label

    console = terminal()

    title = _("广播 #{id}（{segment}，{at}）").format(
        id=detail["id"], segment=detail["segment"], at=detail["created_at"][:16].replace("T", " "))
    table = Table(title=title)
    counts = detail["counts"]
    shown = [(key, label) for key, label in COUNT_LABELS if key in counts]
    for _key, label in shown:
        table.add_column(_(label), justify="right")
    table.add_row(*(str(counts[key]) for key, _label in shown))
    console.print(table)
    console.print(_("内容：{text}").format(text=detail["text"]), markup=False)
    headings = (("unreachable", N_("无法送达")), ("failed", N_("发送失败")), ("unacknowledged", N_("尚未确认收到")))
    for key, heading in headings:
        lines = detail[key]
        if not lines:
            continue
        listing = Table(title=_("{heading}（{n}）").format(heading=_(heading), n=len(lines)))
        for label in (N_("收件人"), N_("渠道"), N_("账号"), N_("原因") if key != "unacknowledged" else N_("状态")):
            listing.add_column(_(label))
        for line in lines:
            listing.add_row(line["name"], channel_label(line["channel"]), line["chat_id"],  # words as on the page
                            delivery_error(line["error"]) if key != "unacknowledged"
                            else delivery_status_label(line["status"]))
        console.print(listing)
    if detail["unacknowledged"]:
        console.print(_("提醒他们：{command}").format(command=f"pairbot broadcast nudge {detail['id']}"))
