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


def register(app: typer.Typer) -> None:
    ledger_commands.register(app)
