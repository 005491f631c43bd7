"""`pairbot import …`: load registration tables (CSV or XLSX) through models.services.importing.

Exit codes (README, *Import files*): 0 every row imported; 1 the file could not be used (missing,
unreadable, a required column absent) or reading stopped part-way; 2 wrong usage; 3 some rows were
refused — with --allow-partial, 0 when at least one row was imported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.i18n import _

from bot.cli.common import Group, fail, interrupted, settings_from
from bot.vocabulary import (
    CONTACT_ROLE,
    FIELD,
    NEED_STATUS,
    ORG_KIND,
    ORG_LEVEL,
    PAIRING_STATUS,
    VOCABULARIES,
    Vocabulary,
)

REFUSED = 3  # exit code when rows were refused (README documents every code)
INTERRUPTED = 130  # Ctrl-C, as shells report a process ended by SIGINT


def _allowed(*vocabularies: Vocabulary, full: bool = False) -> str:
    """The allowed values of these columns, one line each, kept as written by click (the \\b paragraph)."""
    return "\n\n\b\n" + _("可用取值（英文名/中文名，也接受常见同义词和繁体）：") + "\n" + "\n".join(
        f"  {v.column if full else v.column.split('.')[-1]}: {v.allowed()}" for v in vocabularies)


imports = Group("import", _("导入登记表（CSV 或 XLSX，中英文表头均可）：orgs、pairings、contacts、counties、needs、offers。")
                + "\n\n" + _("退出码：0 全部导入；1 文件无法使用或读取中断；2 用法错误；3 有行被拒绝（加 --allow-partial 时，"
                             "只要有行导入即为 0）；130 被中断（Ctrl-C，已保存的行完整，再次导入即可继续）。"
                             "省份可写全称、简称或繁体（四川省、四川、西藏自治區）。")
                + _allowed(*VOCABULARIES, full=True))
register = imports.register

AllowPartial = Annotated[bool, typer.Option(
    "--allow-partial", help=_("有行被拒绝时，只要其余行已导入，仍以 0 退出（默认以 3 退出）"))]


def _import(ctx: typer.Context, kind: str, file: Path, allow_partial: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.db import make_engine, taking_turns
    from models.services.importing import import_file
    from models.services.tabular import TabularError, count_rows

    settings = settings_from(ctx)
    if not file.exists():
        raise fail(_("文件不存在：{file}").format(file=file))
    engine = make_engine(settings.database.url)
    total = count_rows(file)
    columns = [TextColumn(_("导入") + " {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    written = [0]  # rows of the batches committed so far

    def advance(rows: int) -> None:
        written[0] += rows
        progress.advance(task, rows)

    with taking_turns(engine, "import", lambda: typer.echo(_("另一个导入正在进行，等它结束后开始……"), err=True)), \
            Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(file.name, total=total)
        try:
            report = import_file(engine, kind, file, actor="cli", progress=advance)
        except TabularError as exc:
            raise fail(str(exc)) from None
        except BaseException as exc:  # the batch being written is finished first, so what was committed is whole
            if not interrupted(exc):
                raise
            raise fail(_("导入已中断：前 {rows} 行已处理并保存，其后的行未导入；再次导入同一文件即可继续（已导入的行记为未变）").format(
                rows=f"{written[0]:,}"), INTERRUPTED) from None
    for problem in report.problems:
        typer.echo(str(problem), err=True)
    if report.unlisted:
        typer.echo(_("……另有 {unlisted} 行被拒绝，未逐行列出（共拒绝 {refused} 行，只列出前 {listed} 行）").format(
            unlisted=f"{report.unlisted:,}", refused=f"{report.refused:,}", listed=f"{len(report.problems):,}"), err=True)
    if report.stopped:
        typer.echo(_("读取中断：{reason}；此前读到的行已导入").format(reason=report.stopped), err=True)
    typer.echo(report.summary())
    if report.stopped:
        raise typer.Exit(1)
    if report.refused and not (allow_partial and (report.created or report.updated or report.unchanged)):
        raise typer.Exit(REFUSED)


FileArg = Annotated[Path, typer.Argument(help=_("CSV（UTF-8 或 GBK）或 XLSX 文件"))]
ORGS_SUMMARY = _("社会组织：{columns}。").format(columns="name,credit_code,level,kind,province[,supervisor]")
PAIRINGS_SUMMARY = _("结对关系：{columns}（县可写县名或 6 位代码）。").format(columns="organization,county,status")
CONTACTS_SUMMARY = _("联系人：{columns}。").format(columns="name,role,county,organization,phone,telegram_id,wecom_userid")
COUNTIES_SUMMARY = _("重点帮扶县：{columns}（载入或补全参考县名单）。").format(columns="code,province,prefecture,county")
NEEDS_SUMMARY = _("项目库需求：{columns}（status 为草稿或已发布）。").format(
    columns="county,field,description,amount_wan,households,people,wanted_by,status")
OFFERS_SUMMARY = _("社会组织供给：{columns}（省份用“、”分隔，空为全国）。").format(
    columns="organization,field,provinces,capacity_wan,description")
ORGS_HELP = ORGS_SUMMARY + _allowed(ORG_LEVEL, ORG_KIND)
PAIRINGS_HELP = PAIRINGS_SUMMARY + _allowed(PAIRING_STATUS)
CONTACTS_HELP = CONTACTS_SUMMARY + _allowed(CONTACT_ROLE)
COUNTIES_HELP = COUNTIES_SUMMARY
NEEDS_HELP = NEEDS_SUMMARY + _allowed(FIELD, NEED_STATUS)
OFFERS_HELP = OFFERS_SUMMARY + _allowed(FIELD)


@imports.command("orgs", help=ORGS_HELP, short_help=ORGS_SUMMARY)
def import_orgs(ctx: typer.Context, file: FileArg, allow_partial: AllowPartial = False) -> None:
    _import(ctx, "orgs", file, allow_partial)


@imports.command("pairings", help=PAIRINGS_HELP, short_help=PAIRINGS_SUMMARY)
def import_pairings(ctx: typer.Context, file: FileArg, allow_partial: AllowPartial = False) -> None:
    _import(ctx, "pairings", file, allow_partial)


@imports.command("contacts", help=CONTACTS_HELP, short_help=CONTACTS_SUMMARY)
def import_contacts(ctx: typer.Context, file: FileArg, allow_partial: AllowPartial = False) -> None:
    _import(ctx, "contacts", file, allow_partial)


@imports.command("counties", help=COUNTIES_HELP, short_help=COUNTIES_SUMMARY)
def import_counties(ctx: typer.Context, file: FileArg, allow_partial: AllowPartial = False) -> None:
    _import(ctx, "counties", file, allow_partial)


@imports.command("needs", help=NEEDS_HELP, short_help=NEEDS_SUMMARY)
def import_needs(ctx: typer.Context, file: FileArg, allow_partial: AllowPartial = False) -> None:
    _import(ctx, "needs", file, allow_partial)


@imports.command("offers", help=OFFERS_HELP, short_help=OFFERS_SUMMARY)
def import_offers(ctx: typer.Context, file: FileArg, allow_partial: AllowPartial = False) -> None:
    _import(ctx, "offers", file, allow_partial)


# `pairbot import organizations` is `orgs` under DESIGN's word for them (not listed, one name in the help).
imports.command("organizations", help=ORGS_HELP, short_help=ORGS_SUMMARY, hidden=True)(import_orgs)
