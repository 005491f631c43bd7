"""`pairbot export`: the ledger as an Excel workbook."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.i18n import _, os_reason

from bot.cli.common import fail, settings_from


def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help=_("输出文件 FILE.xlsx"))],
    province: Annotated[Optional[list[str]], typer.Option(help=_("只导出这些省份（可重复）；不填为全部"))] = None,
    year: Annotated[Optional[int], typer.Option(help=_("年度统计表的年份（默认今年，按 [schedule] timezone）"))] = None,
    force: Annotated[bool, typer.Option("--force", help=_("覆盖已存在的文件"))] = False,
) -> None:
    """Export the ledger as an Excel workbook: organizations, pairings and agreements, updates, deliveries,
    and the year-end statistics table. Streams in constant memory; every export is audited."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlmodel import Session
    from xlsxwriter.exceptions import FileCreateError

    from bot.db import make_engine
    from models.base import utcnow
    from models.services.export import ExportError, count_rows, default_year, export_workbook, statistics_year
    from models.services.ledger import Scope
    from models.services.provinces import UnknownProvince, key_county_provinces

    settings = settings_from(ctx)
    if out.suffix.lower() != ".xlsx":
        raise fail(_("--out 应为 .xlsx 文件，而不是 {out}").format(out=out), 2)
    try:
        if out.exists() and not force:
            raise fail(_("文件已存在：{out}（如要覆盖，请加 --force）").format(out=out))
        if not out.parent.exists():
            raise fail(_("目录不存在：{folder}").format(folder=out.parent))
        if out.is_dir():
            raise IsADirectoryError(out)
    except OSError as exc:  # a directory, a name too long for the file system
        raise fail(_("无法写入 {out}：{reason}").format(out=out, reason=os_reason(exc))) from None
    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            province = key_county_provinces(session, province or [])
    except UnknownProvince as exc:
        engine.dispose()
        raise fail(str(exc), 2) from None
    scope = Scope(tuple(province)) if province else Scope()
    now = utcnow()
    try:
        year = statistics_year(year, default_year(now, settings.zone))
    except ExportError as exc:
        raise fail(str(exc), 2) from None
    total = count_rows(engine, scope)
    columns = [TextColumn(_("导出") + " {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    reserved = False
    if not force:  # claim the name now: another export started meanwhile must not overwrite this one, nor this it
        try:
            out.open("x").close()
            reserved = True
        except FileExistsError:
            engine.dispose()
            raise fail(_("文件已存在：{out}（如要覆盖，请加 --force）").format(out=out)) from None
        except OSError as exc:
            engine.dispose()
            raise fail(_("无法写入 {out}：{reason}").format(out=out, reason=os_reason(exc))) from None
    try:
        with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as progress:
            task = progress.add_task(out.name, total=total)
            report = export_workbook(engine, out, scope, zone=settings.zone, year=year, actor="cli", now=now,
                                     progress=lambda n: progress.advance(task, n))
    except BaseException as exc:  # failed or interrupted: the empty file that claimed the name goes too
        if reserved:
            _release(out)
        if not isinstance(exc, (OSError, FileCreateError)):
            raise
        # no permission, a name too long, the disk full …
        cause = exc if isinstance(exc, OSError) else exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        reason = os_reason(cause) if cause is not None else str(exc)
        raise fail(_("无法写入 {out}：{reason}").format(out=out, reason=reason)) from None
    finally:
        engine.dispose()
    typer.echo(_("已导出 {out}：{summary}").format(out=out, summary=report.summary()))


def _release(out: Path) -> None:
    """Remove the empty file this export made to claim its name, unless the workbook already replaced it."""
    try:
        if out.stat().st_size == 0:
            out.unlink()
    except OSError:
        pass


def register(app: typer.Typer) -> None:
    app.command("export", help=_("把台账导出为 Excel 工作簿：社会组织、结对与协议、结对变更记录、进展、消息投递、需求库、帮扶项目、操作日志和年度统计表。流式写出，内存恒定；每次导出都记入操作日志。"))(export)
