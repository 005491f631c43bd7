"""`pairbot export` (the ledger as Excel), `pairbot admin set-password` (sign-in to the review pages) and
`pairbot review pending` (what waits for the administrators: the daily digest's content)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

admin_app = typer.Typer(help="管理员账号：审核页面的登录密码。", no_args_is_help=True)
review_app = typer.Typer(help="审核待办：待审核进展、逾期结对、无法送达和已退订的联系人。", no_args_is_help=True)


def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="输出文件 FILE.xlsx")],
    province: Annotated[Optional[list[str]], typer.Option(help="只导出这些省份（可重复）；不填为全部")] = None,
    year: Annotated[Optional[int], typer.Option(help="年度统计表的年份（默认今年，按 [schedule] timezone）")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
) -> None:
    """Export the ledger as an Excel workbook: organizations, pairings and agreements, updates, deliveries,
    and the year-end statistics table. Streams in constant memory; every export is audited."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlmodel import Session, col, select

    from bot.cli import _fail, _settings
    from bot.db import make_engine
    from models.base import utcnow
    from models.registry import County
    from models.services.export import ExportError, count_rows, default_year, export_workbook, statistics_year
    from models.services.ledger import Scope

    settings = _settings(ctx)
    if out.suffix.lower() != ".xlsx":
        raise _fail(f"--out 应为 .xlsx 文件，而不是 {out}", 2)
    if out.exists() and not force:
        raise _fail(f"文件已存在：{out}（如要覆盖，请加 --force）")
    if not out.parent.exists():
        raise _fail(f"目录不存在：{out.parent}")
    engine = make_engine(settings.database.url)
    if province:
        with Session(engine) as session:
            known = set(session.exec(select(County.province).where(col(County.province).in_(province))).all())
        unknown = [p for p in province if p not in known]
        if unknown:
            raise _fail(f"重点县名单中没有这些省份：{'、'.join(unknown)}（请写全称，例如 四川省）", 2)
    scope = Scope(tuple(province)) if province else Scope()
    now = utcnow()
    try:
        year = statistics_year(year, default_year(now, settings.zone))
    except ExportError as exc:
        raise _fail(str(exc), 2) from None
    total = count_rows(engine, scope)
    columns = [TextColumn("导出 {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(out.name, total=total)
        report = export_workbook(engine, out, scope, zone=settings.zone, year=year, actor="cli", now=now,
                                 progress=lambda n: progress.advance(task, n))
    engine.dispose()
    typer.echo(f"已导出 {out}：{report.summary()}")


@admin_app.command("set-password")
def set_password(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="管理员姓名或联系人编号")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码（一行）")] = False,
) -> None:
    """Set (or replace) the password an admin signs in to the review pages with (/review/login)."""
    from bot.cli import _fail, _settings
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services.access import AccessError, find_admin
    from models.services.access import set_password as store

    settings = _settings(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("新密码", hide_input=True, confirmation_prompt="再输入一次")
    engine = make_engine(settings.database.url)
    try:
        with unit_of_work(engine) as session:
            admin = find_admin(session, contact)
            store(session, admin, password, actor="cli", now=utcnow())
            name, number = admin.name, admin.id
    except AccessError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"已为管理员 {name}（编号 {number}）设置密码。登录地址：{settings.web.public_url}/review/login")


@review_app.command("pending")
def pending(
    ctx: typer.Context,
    province: Annotated[Optional[str], typer.Option(help="只看这个省份（全称或简称）；不填为全部省份")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """What waits for the administrators — the same content as the daily digest (每日待办) the bot sends them."""
    import json

    from bot.cli import _settings
    from bot.cli_support import in_session
    from models.services.digest import build_digest
    from models.services.ledger import Scope
    from models.services.provinces import UnknownProvince, find_province

    settings = _settings(ctx)

    def work(session: Any, now: Any, zone: Any) -> Any:
        scope = Scope((find_province(session, province),)) if province else Scope()
        return build_digest(session, scope, now, zone, review_url=settings.web.public_url + "/review")

    digest = in_session(settings, work, (UnknownProvince,))
    typer.echo(json.dumps(digest.as_dict(settings.zone), ensure_ascii=False, indent=1) if as_json else digest.text())


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.add_typer(admin_app, name="admin")
    app.add_typer(review_app, name="review")
