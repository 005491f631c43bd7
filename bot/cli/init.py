"""`pairbot init`: create or upgrade the database, load the reference counties, make the first admin invite."""

from __future__ import annotations

import typer

from bot.i18n import _, joined

from bot.cli.common import safe_url, settings_from


def init(ctx: typer.Context) -> None:
    """Create or upgrade the database and load the reference counties (safe to run again)."""
    from bot.cli.cycles import create_default_obligations
    from bot.cli.support import first_admin_invite
    from bot.db import make_engine, migrate, taking_turns
    from models.services.importing import import_file, reference_counties

    settings = settings_from(ctx)
    engine = make_engine(settings.database.url)
    # Two at once would both create the tables (one failing with “table … already exists”) and both make a
    # first admin invite: the second waits, then finds everything done.
    with taking_turns(engine, "init", lambda: typer.echo(_("另一个 pairbot init 正在进行，等它结束……"), err=True)):
        migrate(engine)
        with taking_turns(engine, "import", lambda: typer.echo(_("另一个导入正在进行，等它结束后开始……"), err=True)):
            report = import_file(engine, "counties", reference_counties(), actor="pairbot init")
        made = create_default_obligations(engine, settings)
        code = first_admin_invite(engine, settings)
    typer.echo(_("数据库已就绪：{url}").format(url=safe_url(settings.database.url)))
    typer.echo(_("参考县名单 {summary}").format(summary=report.summary()))
    if made:
        typer.echo(_("默认报送事项：{kinds}（pairbot cycles list 查看，pairbot cycles set 修改）").format(kinds=joined(made)))
    if code:
        typer.echo(_("首个管理员邀请码：{code}（在聊天中发送“绑定 {code}”，{days} 天内有效）").format(
            code=code, days=settings.invites.expires_days))


def register(app: typer.Typer) -> None:
    app.command("init", help=_("创建或升级数据库，载入参考县名单（可重复运行）。"))(init)
