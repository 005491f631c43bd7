"""`pairbot reminders due`: the reminders that would go out at a moment, sending nothing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Optional

import typer

from bot.i18n import N_, _

from bot.cli.common import Group, fail, settings_from

reminders_commands = Group("reminders", N_("提醒：due 查看某一时刻会发出的提醒（不发送、不写入）。"))
register = reminders_commands.register


@reminders_commands.command("due", N_("以 JSON 列表打印某一时刻会发出的提醒；不发送，也不写入。"))
def reminders_due(
    ctx: typer.Context,
    at: Annotated[Optional[str], typer.Option(
        help=_("时刻，ISO-8601（如 2026-08-01T09:00；不带时区按 [schedule] timezone）；默认现在"))] = None,
) -> None:
    """Print, as a JSON list, the reminders that would go out at that moment; sends nothing and writes nothing."""
    from sqlmodel import Session

    from bot.db import make_engine
    from models.base import utcnow
    from models.registry import Contact
    from models.services.registry import contact_address
    from models.services.reminders import Policy, plan_reminders

    settings = settings_from(ctx)
    if at is None:
        moment = utcnow()
    else:
        try:
            moment = datetime.fromisoformat(at.strip())
        except ValueError:
            raise fail(_("--at 应为 ISO-8601 时刻，例如 2026-08-01T09:00 或 2026-08-01T09:00+08:00，而不是“{at}”").format(
                at=at), 2) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=settings.zone)
    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        dues = plan_reminders(session, moment, Policy.from_settings(settings))
        records = []
        for due in dues:
            contact = session.get(Contact, due.contact_id)
            address = contact_address(session, contact) if contact is not None else None
            records.append(due.as_json(address[0] if address else None))
        session.rollback()
    engine.dispose()
    typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
