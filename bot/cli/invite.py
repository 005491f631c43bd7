"""`pairbot invite`: a single-use, expiring invite code for a role and scope, or for a registered contact."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from bot.i18n import _

from bot.cli.common import fail, settings_from


def invite(
    ctx: typer.Context,
    role: Annotated[Optional[str], typer.Option(help=_("county、organization 或 admin（用 --contact 时不填）"))] = None,
    contact: Annotated[Optional[str], typer.Option(
        "--contact", help=_("已登记联系人的编号或姓名：邀请码把新的聊天账号加到此人名下（同一人可绑定多个渠道）"))] = None,
    county: Annotated[Optional[str], typer.Option(help=_("县名或 6 位代码（role=county）"))] = None,
    organization: Annotated[Optional[str], typer.Option(help=_("社会组织名称（role=organization）"))] = None,
    province: Annotated[Optional[list[str]], typer.Option(help=_("管理员可见省份，可重复；不填为全部（role=admin）"))] = None,
    name: Annotated[str, typer.Option(help=_("被邀请人姓名（可选）"))] = "",
    expires: Annotated[Optional[int], typer.Option(help=_("有效天数（默认：[invites] expires_days）"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_('以 JSON 输出 {"code": …, "expires_at": …}。'))] = False,
) -> None:
    """Make a single-use, expiring invite code that binds a chat account to a role and scope."""
    from bot.cli.support import make_invite

    settings = settings_from(ctx)
    try:
        result = make_invite(settings, role, county, organization, province or [], name, expires, contact)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(_("邀请码：{code}（{expires} 前有效，只能使用一次）").format(
        code=result["code"], expires=result["expires_at"]))
    typer.echo(_("请对方在私聊中发送：绑定 {code}").format(code=result["code"]))
    if "contact" in result:
        who = result["contact"]
        typer.echo(_("绑定后，该聊天账号加入已登记的联系人 {name}（#{id}），提醒和历史记录不会分开。").format(
            name=who["name"], id=who["id"]))
    if "telegram_link" in result:
        typer.echo(_("Telegram 链接：{link}").format(link=result["telegram_link"]))


def register(app: typer.Typer) -> None:
    app.command("invite", help=_("生成一次性、会过期的邀请码，把聊天账号绑定到某个角色和范围。"))(invite)
