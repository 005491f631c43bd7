"""The work behind CLI commands that need a database session (kept apart so `pairbot --help` stays fast)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.db import make_engine, unit_of_work
from bot.i18n import _, joined
from models.base import utcnow
from models.messaging import Invite
from models.registry import Contact, Role
from models.services import contacts
from models.services.invites import InviteError, create_invite
from models.services.registry import find_organization, require_county

T = TypeVar("T")


def make_invite(
    settings: Settings, role: str | None, county: str | None, organization: str | None, provinces: list[str],
    name: str, expires: int | None, contact: str | None = None,
) -> dict[str, Any]:
    """Create an invite; ValueError with a Chinese message when the arguments do not fit.

    With `contact` the code joins an existing contact: role and scope are theirs, not options.
    """
    if contact is not None and (role or county or organization or provinces):
        raise ValueError(_("--contact 已决定身份和范围，请不要同时使用 --role、--county、--organization 或 --province"))
    if contact is not None and name:
        raise ValueError(_("--contact 已决定姓名（联系人登记的姓名），请不要同时使用 --name"))
    try:
        role_ = Role(role or "county") if contact is not None else Role(role or "")
    except ValueError:
        raise ValueError(_("--role 应为 county、organization 或 admin，而不是 {role}（或用 --contact 指定已登记的联系人）").format(
            role=repr(role))) from None
    if contact is None:
        _check_invite_options(role_, county, organization, provinces, name)
    if expires is not None and not 1 <= expires <= 365:
        raise ValueError(_("--expires 应在 1 到 365 天之间"))
    engine = make_engine(settings.database.url)
    with unit_of_work(engine) as session:
        county_row = organization_row = None
        if county:
            try:
                county_row = require_county(session, county)
            except LookupError as exc:
                raise ValueError(str(exc)) from None
        if organization:
            organization_row = find_organization(session, organization)
            if organization_row is None:
                raise ValueError(_("未找到社会组织“{name}”。请先运行 pairbot import orgs").format(name=organization))
        try:
            existing = contacts.find(session, contact) if contact is not None else None
            invite = create_invite(
                session, role_, actor="cli", expires_days=expires or settings.invites.expires_days,
                county=county_row, organization=organization_row, provinces=provinces, name=name, contact=existing,
            )
        except (InviteError, contacts.ContactError) as exc:
            raise ValueError(str(exc)) from None
        result: dict[str, Any] = {
            "code": invite.code,
            "expires_at": invite.expires_at.astimezone(settings.zone).isoformat(timespec="minutes"),
        }
        if existing is not None:
            result["contact"] = {"id": existing.id, "name": existing.name}
    if settings.telegram.bot_username:
        result["telegram_link"] = f"https://t.me/{settings.telegram.bot_username}?start={result['code']}"
    engine.dispose()
    return result


# The option that gives each role its scope; any other scope option would be silently dropped, so it is refused.
_SCOPE_OPTION = {Role.county: "--county", Role.organization: "--organization", Role.admin: "--province"}


def _check_invite_options(role: Role, county: str | None, organization: str | None, provinces: list[str],
                          name: str) -> None:
    """ValueError (Chinese) for scope options the role does not use, and for a name longer than a contact's
    name may be (the limit and wording of `pairbot import contacts`)."""
    from models.services.importing import ContactImporter, too_long

    given = {"--county": county, "--organization": organization, "--province": provinces}
    unused = joined(option for option, value in given.items() if value and option != _SCOPE_OPTION[role])
    if unused:
        if role is Role.admin:
            message = _("管理员邀请码的范围只由 --province 决定（不填为全部省份），不能使用 {options}")
        elif role is Role.county:
            message = _("县联络员邀请码的范围只由 --county 决定，不能使用 {options}")
        else:  # an organization contact reports for all the organization's pairings: a county is no part of it
            message = _("社会组织联络人邀请码的范围只由 --organization 决定（可报送该组织的全部结对），不能使用 {options}")
        raise ValueError(message.format(options=unused))
    problem = too_long(name, ContactImporter.limit("name"))
    if problem:
        raise ValueError(_("--name（姓名）：{problem}").format(problem=problem))


def first_admin_invite(engine: Engine, settings: Settings) -> str | None:
    """On a fresh installation, a code for the first administrator; None once one exists or is pending."""
    now = utcnow()
    with unit_of_work(engine) as session:
        has_admin = session.exec(select(Contact.id).where(Contact.role == Role.admin)).first() is not None
        pending = session.exec(
            select(Invite.id).where(Invite.role == Role.admin, col(Invite.used_at).is_(None), Invite.expires_at > now)
        ).first()
        if has_admin or pending is not None:
            return None
        invite = create_invite(session, Role.admin, actor="pairbot init", expires_days=settings.invites.expires_days)
        return invite.code


def in_session(settings: Settings, work: Callable[..., T], refused: tuple[type[Exception], ...]) -> T:
    """Run `work(session, now, zone)` in one unit of work; a refusal is a Chinese message and exit code 1."""
    import typer

    engine = make_engine(settings.database.url)
    try:
        with unit_of_work(engine) as session:
            return work(session, utcnow(), settings.zone)
    except refused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def print_listing(rows: Sequence[dict[str, Any]], as_json: bool, title: str, headers: Sequence[str],
                  cells: Callable[[dict[str, Any]], Sequence[str]]) -> None:
    """A `list` command's output: the rows as JSON, or a table with `headers` and the `cells` of each row."""
    import json

    import typer

    if as_json:
        typer.echo(json.dumps(list(rows), ensure_ascii=False, indent=1))
        return
    from bot.cli.tables import Table, console

    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*cells(row))
    console().print(table)


def handed_over(settings: Settings, ids: Sequence[int]) -> str:
    """Enqueue on a real broker now; on memory:// the hand-off of a running `pairbot run` takes the rows (jobs.handoff);
    a broker that is down leaves them to the relay."""
    relay = _("运行中的 pairbot run / pairbot worker 会在 {seconds} 秒内取走发送。").format(
        seconds=f"{settings.queue.relay_after_seconds:g}")
    if settings.queue.url.startswith("memory://") or not ids:
        return _("运行中的 pairbot run 会在 1 秒内取走发送（未运行时，启动后立即发送）。")
    from bot.queue import DeliveryQueue

    queue = DeliveryQueue(settings.queue.url, lambda *_: None, queue_name=settings.queue.name)
    try:
        if queue.enqueue(ids):
            return _("已交给消息队列，工作进程正在发送。")
        return _("消息队列暂时无法连接：记录已保存，") + relay
    finally:
        queue.close()
