"""`pairbot review pending`: what waits for the administrators (the daily digest's content)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from bot.i18n import N_, _

from bot.cli.common import Group, settings_from

review = Group("review", N_("审核待办：待审核进展、逾期结对、无法送达和已退订的联系人。"))
register = review.register


@review.command("pending", N_("管理员的待办事项，与机器人每天发给管理员的每日待办内容相同。"))
def pending(
    ctx: typer.Context,
    province: Annotated[Optional[str], typer.Option(help=_("只看这个省份（全称或简称）；不填为全部省份"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))] = False,
) -> None:
    """What waits for the administrators — the same content as the daily digest (每日待办) the bot sends them."""
    import json

    from bot.cli.support import in_session
    from models.services.digest import build_digest
    from models.services.ledger import Scope
    from models.services.provinces import UnknownProvince, find_province

    settings = settings_from(ctx)

    def work(session: Any, now: Any, zone: Any) -> Any:
        scope = Scope((find_province(session, province),)) if province else Scope()
        return build_digest(session, scope, now, zone, review_url=settings.web.public_url + "/review")

    digest = in_session(settings, work, (UnknownProvince,))
    typer.echo(json.dumps(digest.as_dict(settings.zone), ensure_ascii=False, indent=1) if as_json else digest.text())
