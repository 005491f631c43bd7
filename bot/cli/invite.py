"""`pairbot invite`: a single-use, expiring invite code for a role and scope, or for a registered contact."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from bot.cli.common import fail, settings_from


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
    from bot.cli.support import make_invite

    settings = settings_from(ctx)
    try:
        result = make_invite(settings, role, county, organization, province or [], name, expires, contact)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
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


def register(app: typer.Typer) -> None:
    app.command("invite")(invite)
