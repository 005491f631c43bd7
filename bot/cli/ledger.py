"""`pairbot ledger totals` (the ledger's sums, as the pages and the export show them) and `pairbot ledger rebuild`."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from bot.i18n import N_, _, joined

from bot.cli.common import Group, fail, settings_from

ledger_commands = Group("ledger", N_("台账汇总：与审核页面、Excel 导出同一口径的合计数。"))

COLUMNS = (("funds_wan", N_("投入资金（万元）")), ("committed_wan", N_("协议/承诺（万元）")),
           ("sales_wan", N_("消费帮扶（万元）")), ("households", N_("受益户数")), ("people", N_("受益人数")),
           ("projects", N_("项目数")), ("updates", N_("进展条数")))


@ledger_commands.command("totals", N_("台账按省份和全部的合计：累计数已按规则替换，只计入有效进展（不含已撤回、已退回和待审核的），与 /review/totals 和导出的数字相同。"))
def totals(
    ctx: typer.Context,
    province: Annotated[Optional[list[str]], typer.Option(help=_("只看这些省份（可重复）；不填为全部"))] = None,
    year: Annotated[Optional[int], typer.Option(help=_("只看这一年（按北京时间的月份）；不填为累计至今"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
) -> None:
    """The ledger's totals per province and overall: running totals applied, only counted updates
    (not withdrawn, rejected or awaiting review) — the same figures as /review/totals and the export."""
    from sqlmodel import Session

    from bot.db import make_engine
    from models.services.ledger import Scope, totals as ledger_totals
    from models.services.provinces import UnknownProvince, canonical

    settings = settings_from(ctx)
    if year is not None and not 2000 <= year <= 2100:
        raise fail(_("--year 应为 2000 到 2100 之间的年份，而不是 {year}").format(year=year), 2)
    try:
        province = canonical(province or [])
    except UnknownProvince as exc:
        raise fail(str(exc), 2) from None
    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        rows, overall = ledger_totals(session, Scope(tuple(province)) if province else Scope(), year)
    engine.dispose()
    if province and not any(r.counties for r in rows):
        raise fail(_("重点县名单中没有这些省份：{provinces}（台账按重点县统计）").format(
            provinces=joined(province)), 2)
    if as_json:
        typer.echo(json.dumps([_as_dict(r) for r in [*rows, overall]], ensure_ascii=False, indent=1))
        return
    from bot.cli.tables import Table, console

    table = Table(title=_("台账合计（{year} 年）").format(year=year) if year else _("台账合计（累计至今）"))
    table.add_column(_("省份"), no_wrap=True)
    for _key, label in COLUMNS:
        table.add_column(_(label), justify="right")
    for row in [*rows, overall]:
        table.add_row(_(row.province) if row is overall else row.province, *(f"{getattr(row, key):,.4f}".rstrip("0").rstrip(".") if key.endswith("_wan")
                                      else f"{getattr(row, key):,}" for key, _label in COLUMNS))
    console().print(table)


def _as_dict(row) -> dict:  # type: ignore[no-untyped-def]
    return {"province": row.province, **{key: getattr(row, key) for key, _label in COLUMNS},
            "agreements": row.agreements, "agreed_wan": row.agreed_wan, "fields": row.fields}


@ledger_commands.command("rebuild", N_("根据已保存的进展重新计算每个台账账户的累计数和月度合计（随时可以运行）。"))
def rebuild(ctx: typer.Context) -> None:
    """Recompute every account's running totals and monthly sums from the stored updates (safe at any time)."""
    from bot.db import make_engine
    from models.services.sums import rebuild_with_retries

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    accounts = rebuild_with_retries(engine)
    engine.dispose()
    typer.echo(_("已重新计算 {n} 个台账账户（结对，或未指定结对的报送人）。").format(n=accounts))


@ledger_commands.command("reparse", N_("用现行识别规则重新识别已保存的进展：列出识别结果与已保存数字不同的进展；加 --yes 才写入（台账随之重算）。审核人员改过的数字和已撤回的进展不动。"))
def reparse(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help=_("写入新的识别结果（不加则只列出，不修改）"))] = False,
    show: Annotated[int, typer.Option(min=0, help=_("最多列出多少条（--json 时全部列出）"))] = 20,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
) -> None:
    """Read the stored updates again with today's parser: list those whose reading differs from the
    stored figures; with --yes store today's reading (the ledger is recomputed with it). Figures a
    reviewer set and withdrawn updates are left alone; running it again after an interruption finishes it."""
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlmodel import Session

    from bot.db import make_engine
    from models.base import utcnow
    from models.services.reparse import candidates, rereads, store

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    found: list[dict] = []
    changed = figures_changed = 0
    columns = [TextColumn(_("重新识别")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    try:
        with Session(engine, expire_on_commit=False) as session, \
                Progress(*columns, transient=True, disable=as_json or not sys.stderr.isatty()) as progress:
            task = progress.add_task("", total=candidates(session))
            pending = 0
            for update, reread in rereads(session, progress=lambda n: progress.advance(task, n)):
                changed += 1
                figures_changed += bool(reread.figures_changed())
                if as_json or len(found) < show:
                    found.append({"id": reread.update_id, "text": reread.text, "changed": reread.changed(),
                                  "old": reread.old, "new": reread.new})
                if yes:
                    store(session, update, reread, utcnow())
                    pending += 1
                    if pending >= 200:
                        session.commit()
                        pending = 0
            if yes:
                session.commit()
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"changed": changed, "figures_changed": figures_changed, "stored": yes,
                               "updates": found}, ensure_ascii=False, indent=1))
        return
    _print_rereads(found)
    if not changed:
        typer.echo(_("已保存的进展与现行识别规则的结果一致，无需修改。"))
    elif yes:
        typer.echo(_("已按现行规则更新 {n} 条进展（其中 {m} 条数字有变化），台账已随之重算；原识别结果保存在修改记录中。").format(
            n=changed, m=figures_changed))
    else:
        typer.echo(_("{n} 条进展按现行规则识别的结果与已保存的不同（其中 {m} 条数字不同）。未做任何修改；核对无误后运行 pairbot ledger reparse --yes 写入。").format(
            n=changed, m=figures_changed))


def _print_rereads(found: list[dict]) -> None:
    """The updates whose reading changes, one row each: number, text, stored → today's figures."""
    if not found:
        return
    from bot.cli.tables import Table, console
    from models.services.reports import FIELD_LABELS

    table = Table(title=_("识别结果有变化的进展"))
    table.add_column(_("编号"), justify="right", no_wrap=True)
    table.add_column(_("内容"))
    table.add_column(_("已保存 → 现行规则"))
    for row in found:
        changes = []
        for key in row["changed"]:
            if key not in FIELD_LABELS:
                continue
            old, new = row["old"].get(key), row["new"].get(key)
            shown = ["—" if value is None else f"{value:,.4f}".rstrip("0").rstrip(".") if key.endswith("_wan")
                     else f"{value:,}" for value in (old, new)]
            changes.append(_("{label} {old} → {new}").format(label=_(FIELD_LABELS[key]), old=shown[0], new=shown[1]))
        flat = " ".join(row["text"].split())
        shown_text = flat if len(flat) <= 60 else flat[:60] + "…"
        table.add_row(str(row["id"]), shown_text, _("；").join(changes) or _("（领域或累计标记）"))
    console().print(table)


def register(app: typer.Typer) -> None:
    ledger_commands.register(app)
