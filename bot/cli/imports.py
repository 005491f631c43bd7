"""`pairbot import …`: load registration tables (CSV or XLSX) through models.services.importing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import Group, fail, settings_from

imports = Group("import", "导入登记表（CSV 或 XLSX，中英文表头均可）: orgs, pairings, contacts, counties, needs, offers。")
register = imports.register


def _import(ctx: typer.Context, kind: str, file: Path) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.db import make_engine
    from models.services.importing import import_file
    from models.services.tabular import TabularError, count_rows

    settings = settings_from(ctx)
    if not file.exists():
        raise fail(f"文件不存在：{file}")
    engine = make_engine(settings.database.url)
    total = count_rows(file)
    columns = [TextColumn("导入 {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(file.name, total=total)
        try:
            report = import_file(engine, kind, file, actor="cli", progress=lambda n: progress.advance(task, n))
        except TabularError as exc:
            raise fail(str(exc)) from None
    for problem in report.problems:
        typer.echo(str(problem), err=True)
    if report.unlisted:
        typer.echo(f"……另有 {report.unlisted:,} 行被拒绝，未逐行列出（共拒绝 {report.refused:,} 行，"
                   f"只列出前 {len(report.problems):,} 行）", err=True)
    if report.stopped:
        typer.echo(f"读取中断：{report.stopped}；此前读到的行已导入", err=True)
    typer.echo(report.summary())
    if report.stopped or (report.refused and not (report.created or report.updated or report.unchanged)):
        raise typer.Exit(1)


FileArg = Annotated[Path, typer.Argument(help="CSV（UTF-8 或 GBK）或 XLSX 文件")]


@imports.command("orgs")
def import_orgs(ctx: typer.Context, file: FileArg) -> None:
    """社会组织: name,credit_code,level,kind,province[,supervisor]."""
    _import(ctx, "orgs", file)


@imports.command("pairings")
def import_pairings(ctx: typer.Context, file: FileArg) -> None:
    """结对关系: organization,county,status (county by name or 6-digit code)."""
    _import(ctx, "pairings", file)


@imports.command("contacts")
def import_contacts(ctx: typer.Context, file: FileArg) -> None:
    """联系人: name,role,county,organization,phone,telegram_id,wecom_userid."""
    _import(ctx, "contacts", file)


@imports.command("counties")
def import_counties(ctx: typer.Context, file: FileArg) -> None:
    """重点帮扶县: code,province,prefecture,county (loads or completes the reference list)."""
    _import(ctx, "counties", file)


@imports.command("needs")
def import_needs(ctx: typer.Context, file: FileArg) -> None:
    """项目库需求: county,field,description,amount_wan,households,people,wanted_by,status (草稿/已发布)."""
    _import(ctx, "needs", file)


@imports.command("offers")
def import_offers(ctx: typer.Context, file: FileArg) -> None:
    """社会组织供给: organization,field,provinces,capacity_wan,description (provinces 用“、”分隔，空为全国)."""
    _import(ctx, "offers", file)
