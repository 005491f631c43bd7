"""`pairbot admin set-password`: sign-in to the review pages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.i18n import N_, _

from bot.cli.common import Group, fail, settings_from

admin = Group("admin", N_("管理员账号：审核页面的登录密码。"))
register = admin.register


@admin.command("set-password", N_("设置（或更换）管理员登录审核页面（/review/login）的密码。"))
def set_password(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help=_("管理员姓名或联系人编号"))],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=_("从标准输入读取密码（一行）"))] = False,
) -> None:
    """Set (or replace) the password an admin signs in to the review pages with (/review/login)."""
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.services.access import AccessError, find_admin
    from models.services.access import set_password as store

    settings = settings_from(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(_("新密码"), hide_input=True, confirmation_prompt=_("再输入一次"))
    engine = make_engine(settings.database.url)
    try:
        with unit_of_work(engine) as session:
            admin = find_admin(session, contact)
            store(session, admin, password, actor="cli", now=utcnow())
            name, number = admin.name, admin.id
    except AccessError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(_("已为管理员 {name}（编号 {number}）设置密码。登录地址：{url}").format(
        name=name, number=number, url=f"{settings.web.public_url}/review/login"))
