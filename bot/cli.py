"""The `pairbot` command line. Commands only parse input and call services; heavy imports happen inside them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from bot.config import Settings

app = typer.Typer(
    help="结对帮扶助手 pairbot — 社会组织与国家乡村振兴重点帮扶县结对帮扶的 Telegram / 企业微信机器人。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
import_app = typer.Typer(help="导入登记表（CSV 或 XLSX，中英文表头均可）: orgs, pairings, contacts, counties, needs, offers。",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")

ConfigOption = Annotated[
    Optional[Path], typer.Option("--config", "-c", help="配置文件 (default: ./config.toml or $PAIRBOT_CONFIG).")
]


@app.callback()
def _root(ctx: typer.Context, config: ConfigOption = None) -> None:
    ctx.obj = {"config": config}


def _settings(ctx: typer.Context) -> Settings:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings(ctx.obj.get("config") if ctx.obj else None)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database and load the reference counties (safe to run again)."""
    from bot.cli_support import first_admin_invite
    from bot.db import make_engine, migrate
    from models.services.importing import import_file, reference_counties

    settings = _settings(ctx)
    engine = make_engine(settings.database.url)
    migrate(engine)
    report = import_file(engine, "counties", reference_counties(), actor="pairbot init")
    typer.echo(f"数据库已就绪：{_safe_url(settings.database.url)}")
    typer.echo(f"参考县名单 {report.summary()}")
    from bot.cli_reminders import create_default_obligations

    made = create_default_obligations(engine, settings)
    if made:
        typer.echo(f"默认报送事项：{'、'.join(made)}（pairbot cycles list 查看，pairbot cycles set 修改）")
    code = first_admin_invite(engine, settings)
    if code:
        typer.echo(f"首个管理员邀请码：{code}（在聊天中发送“绑定 {code}”，{settings.invites.expires_days} 天内有效）")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _import(ctx: typer.Context, kind: str, file: Path) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.db import make_engine
    from models.services.importing import import_file
    from models.services.tabular import TabularError, count_rows

    settings = _settings(ctx)
    if not file.exists():
        raise _fail(f"文件不存在：{file}")
    engine = make_engine(settings.database.url)
    total = count_rows(file)
    columns = [TextColumn("导入 {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(file.name, total=total)
        try:
            report = import_file(engine, kind, file, actor="cli", progress=lambda n: progress.advance(task, n))
        except TabularError as exc:
            raise _fail(str(exc)) from None
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


@import_app.command("orgs")
def import_orgs(ctx: typer.Context, file: FileArg) -> None:
    """社会组织: name,credit_code,level,kind,province[,supervisor]."""
    _import(ctx, "orgs", file)


@import_app.command("pairings")
def import_pairings(ctx: typer.Context, file: FileArg) -> None:
    """结对关系: organization,county,status (county by name or 6-digit code)."""
    _import(ctx, "pairings", file)


@import_app.command("contacts")
def import_contacts(ctx: typer.Context, file: FileArg) -> None:
    """联系人: name,role,county,organization,phone,telegram_id,wecom_userid."""
    _import(ctx, "contacts", file)


@import_app.command("counties")
def import_counties(ctx: typer.Context, file: FileArg) -> None:
    """重点帮扶县: code,province,prefecture,county (loads or completes the reference list)."""
    _import(ctx, "counties", file)


@import_app.command("needs")
def import_needs(ctx: typer.Context, file: FileArg) -> None:
    """项目库需求: county,field,description,amount_wan,households,people,wanted_by,status (草稿/已发布)."""
    _import(ctx, "needs", file)


@import_app.command("offers")
def import_offers(ctx: typer.Context, file: FileArg) -> None:
    """社会组织供给: organization,field,provinces,capacity_wan,description (provinces 用“、”分隔，空为全国)."""
    _import(ctx, "offers", file)


@app.command()
def invite(
    ctx: typer.Context,
    role: Annotated[Optional[str], typer.Option(help="county, organization or admin（用 --contact 时不填）")] = None,
    contact: Annotated[Optional[str], typer.Option(
        "--contact", help="已登记联系人的编号或姓名：邀请码把新的聊天账号加到此人名下（同一人可绑定多个渠道）")] = None,
    county: Annotated[Optional[str], typer.Option(help="县名或 6 位代码 (role=county)")] = None,
    organization: Annotated[Optional[str], typer.Option(help="社会组织名称 (role=organization)")] = None,
    province: Annotated[Optional[list[str]], typer.Option(help="管理员可见省份，可重复；不填为全部 (role=admin)")] = None,
    name: Annotated[str, typer.Option(help="被邀请人姓名（可选）")] = "",
    expires: Annotated[Optional[int], typer.Option(help="有效天数 (default: [invites] expires_days)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"code": …, "expires_at": …}.')] = False,
) -> None:
    """Make a single-use, expiring invite code that binds a chat account to a role and scope."""
    from bot.cli_support import make_invite

    settings = _settings(ctx)
    try:
        result = make_invite(settings, role, county, organization, province or [], name, expires, contact)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"邀请码：{result['code']}（{result['expires_at']} 前有效，只能使用一次）")
    typer.echo(f"请对方在私聊中发送：绑定 {result['code']}")
    if "contact" in result:
        who = result["contact"]
        typer.echo(f"绑定后，该聊天账号加入已登记的联系人 {who['name']}（#{who['id']}），提醒和历史记录不会分开。")
    if "telegram_link" in result:
        typer.echo(f"Telegram 链接：{result['telegram_link']}")


@app.command()
def parse(text: Annotated[str, typer.Argument(help="一条进展，例如 “投入资金20万元，带动38户”")]) -> None:
    """Print the fields understood from a progress update as one JSON object."""
    from models.services.parsing import parse_update

    typer.echo(json.dumps(parse_update(text).to_dict(), ensure_ascii=False))


@app.command()
def simulate(
    ctx: typer.Context,
    as_contact: Annotated[Optional[str], typer.Option("--as", help="以已登记联系人的身份对话（姓名或编号）")] = None,
) -> None:
    """Chat with the bot in this terminal, through the same router, handlers and outbox as Telegram and WeCom."""
    from bot.simulator import run_simulator

    settings = _settings(ctx)
    try:
        run_simulator(settings, as_contact)
    except LookupError as exc:
        raise _fail(str(exc)) from None


@app.command()
def run(
    ctx: typer.Context,
    console: Annotated[
        Optional[bool], typer.Option("--console/--no-console", help="Open the terminal simulator (default: when no channel is configured and stdin is a terminal).")
    ] = None,
) -> None:
    """Run everything in one process: web (callbacks, /healthz, /metrics, review pages), channels, workers, relay, scheduler."""
    from bot.server import run_server

    settings = _settings(ctx)
    run_server(settings, console)


# Modules whose `register(app: typer.Typer)` adds more commands (kept apart by subject).
EXTENSIONS: tuple[str, ...] = ("bot.cli_telegram", "bot.cli_review", "bot.cli_delivery", "bot.cli_reminders",
                              "bot.cli_ledger", "bot.cli_pairing", "bot.cli_contacts", "bot.cli_needs",
                              "bot.cli_groups")


def main() -> None:
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name).register(app)
    app()
