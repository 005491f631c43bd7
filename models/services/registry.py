"""Registry verbs: look up counties and organizations, register contacts and their chat identities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.i18n import _
from models.base import utcnow
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Organization, Role
from models.services.audit import audit


class NotFound(LookupError):
    """Raised with a Chinese message naming what was not found."""


class AmbiguousName(LookupError):
    """Raised with a Chinese message naming what was not found."""


def find_county(session: Session, name_or_code: str) -> County | None:
    """By 6-digit code or by name; a name shared by counties in two provinces is ambiguous."""
    key = name_or_code.strip()
    if not key:
        return None
    if key.isdigit():
        return session.exec(select(County).where(County.code == key)).first()
    matches = session.exec(select(County).where(County.name == key)).all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise AmbiguousName(_("县名“{name}”不唯一，请使用 6 位行政区划代码").format(name=key))
    return None


def require_county(session: Session, name_or_code: str) -> County:
    """The county by name or code; LookupError (AmbiguousName or NotFound) with a Chinese message otherwise."""
    county = find_county(session, name_or_code)
    if county is None:
        raise NotFound(_("未找到县“{name}”。请检查县名或 6 位行政区划代码，或先运行 pairbot import counties。").format(
            name=name_or_code.strip()))
    return county


def find_organization(session: Session, name: str) -> Organization | None:
    return session.exec(select(Organization).where(Organization.name == name.strip())).first()


_FOUND = "identities_found"


def find_identity(session: Session, channel: str, external_id: str) -> ChannelIdentity | None:
    """The chat account's row, read with its contact in one query; found once per session (the router asks
    for each message several times), asked again when the row found is no longer in the session or no
    longer names that account."""
    found: dict[tuple[str, str], tuple[ChannelIdentity, Contact]] = session.info.setdefault(_FOUND, {})
    known = found.get((channel, external_id))
    if known is not None:
        identity = known[0]
        if identity in session and identity not in session.deleted and not inspect(identity).was_deleted \
                and identity.channel == channel and identity.external_id == external_id:
            return identity
    row = session.exec(_identity_query(), params={"channel": channel, "external_id": external_id}).first()
    if row is None:
        return None
    found[(channel, external_id)] = (row[0], row[1])  # held here: the session keeps only weak references
    return row[0]


@cache
def _identity_query() -> Any:
    """Built once: every message asks it (building a statement costs more than running it on SQLite)."""
    return (select(ChannelIdentity, Contact).join(Contact, col(Contact.id) == col(ChannelIdentity.contact_id))
            .where(ChannelIdentity.channel == bindparam("channel"),
                   ChannelIdentity.external_id == bindparam("external_id")))


def contact_for(session: Session, channel: str, external_id: str) -> Contact | None:
    identity = find_identity(session, channel, external_id)
    if identity is None:
        return None
    contact = session.get(Contact, identity.contact_id)
    return contact if contact is not None and contact.active else None


@cache
def active_contact_id_of(channel_param: str, external_id_param: str) -> Any:
    """The id of the active contact a chat account belongs to, as an SQL expression over two bound
    parameters: storing a message reads it inside its INSERT (the inbox stores every message first)."""
    identity, contact = ChannelIdentity.__table__, Contact.__table__  # type: ignore[attr-defined]
    return (sa_select(contact.c.id).join_from(identity, contact, contact.c.id == identity.c.contact_id)
            .where(identity.c.channel == bindparam(channel_param),
                   identity.c.external_id == bindparam(external_id_param), contact.c.active.is_(True))
            .scalar_subquery())


def deactivated(session: Session, channel: str, external_id: str) -> bool:
    """Is this chat account bound to a contact an admin deactivated?"""
    identity = find_identity(session, channel, external_id)
    contact = session.get(Contact, identity.contact_id) if identity is not None else None
    return contact is not None and not contact.active


def bind_identity(session: Session, contact: Contact, channel: str, external_id: str) -> ChannelIdentity:
    """Attach a chat account to a contact; an account already bound elsewhere is moved, and audited."""
    identity = find_identity(session, channel, external_id)
    if identity is None:
        identity = ChannelIdentity(contact_id=contact.id, channel=channel, external_id=external_id)
        session.add(identity)
    elif identity.contact_id != contact.id:
        audit(session, f"{channel}:{external_id}", "identity.moved", f"contact:{identity.contact_id}",
              to_contact=contact.id)
        identity.contact_id = contact.id
        identity.unreachable_since = None
    contact.last_channel = channel
    session.add(contact)
    session.flush()
    return identity


def mark_reachable(session: Session, channel: str, external_id: str) -> None:
    """A private message from an identity once marked unreachable (it blocked the bot, then unblocked it) proves
    it can be written to again, so reminders and notices reach it once more."""
    identity = find_identity(session, channel, external_id)
    if identity is not None and identity.unreachable_since is not None:
        identity.unreachable_since = None
        session.add(identity)
        audit(session, f"{channel}:{external_id}", "identity.reachable", f"contact:{identity.contact_id}")


def identities_of(session: Session, contact_id: int) -> Sequence[ChannelIdentity]:
    return session.exec(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id)).all()


def contact_address(session: Session, contact: Contact) -> tuple[str, str] | None:
    """Where to send to a contact: their chosen channel, else the one they used last, else any reachable one.

    Returns (channel, chat id) or None when no identity is reachable (blocked, left the company).
    """
    return address_among(contact, identities_of(session, contact.id))  # type: ignore[arg-type]


def address_among(contact: Contact, identities: Sequence[ChannelIdentity]) -> tuple[str, str] | None:
    """`contact_address` on the contact's chat accounts already read (a broadcast reads them for many at once)."""
    reachable = [i for i in identities if i.unreachable_since is None]
    for wanted in (contact.preferred_channel, contact.last_channel):
        for identity in reachable:
            if identity.channel == wanted:
                return identity.channel, identity.external_id
    return (reachable[0].channel, reachable[0].external_id) if reachable else None


def describe_scope(session: Session, contact: Contact) -> str:
    """The contact's role and scope in a few words (locale in force), for replies and listings."""
    return role_scope(session, Role(contact.role), contact.county_id, contact.organization_id, contact.provinces)


def role_label(role: Role | str) -> str:
    """县联络员 / 社会组织联络人 / 管理员 in the locale in force."""
    return _(Role(role).label)


def role_scope(session: Session, role: Role, county_id: int | None, organization_id: int | None,
               provinces: Sequence[str]) -> str:
    """“县联络员（四川省布拖县）”, “管理员（全部省份）” — a role and where it works, said once."""
    return scoped_label(role, where(session, role, county_id, organization_id, provinces))


def where(session: Session, role: Role, county_id: int | None, organization_id: int | None,
          provinces: Sequence[str]) -> str | None:
    """Where a role works, as data (四川省布拖县, an organization's name, admins' provinces); "" for all
    provinces; None when unknown."""
    if role is Role.county and county_id:
        county = session.get(County, county_id)
        return f"{county.province}{county.name}" if county else None
    if role is Role.organization and organization_id:
        org = session.get(Organization, organization_id)
        return org.name if org else None
    if role is Role.admin:
        return "、".join(provinces)
    return None


def scoped_label(role: Role | str, place: str | None) -> str:
    """“县联络员（四川省布拖县）” from a role and `where`, in the locale in force."""
    label = role_label(role)
    if place is None:
        return label
    return _("{role}（{scope}）").format(role=label, scope=place or _("全部省份"))


def pairings_of(session: Session, contact: Contact, statuses: Sequence[str] = (PairingStatus.active,)) -> list[Pairing]:
    """The pairings a contact may report for: their county's or their organization's."""
    if contact.role == Role.county and contact.county_id:
        query, owner = _pairings_query(True), contact.county_id
    elif contact.role == Role.organization and contact.organization_id:
        query, owner = _pairings_query(False), contact.organization_id
    else:
        return []
    return list(session.exec(query, params={"statuses": list(statuses), "owner": owner}).all())


@cache
def _pairings_query(of_county: bool) -> Any:
    """Built once per side: a county's pairings or an organization's, of the bound statuses."""
    owner = Pairing.county_id if of_county else Pairing.organization_id
    statuses = Pairing.status.in_(bindparam("statuses", expanding=True))  # type: ignore[attr-defined]
    return select(Pairing).where(statuses, owner == bindparam("owner")).order_by(Pairing.id)


def set_pairing_status(session: Session, pairing: Pairing, status: PairingStatus, actor: str, note: str = "") -> bool:
    """Change a pairing's status and keep the history; False when it already had that status.

    The history and audit rows are written by models.services.pairings.record, like every other change.
    """
    if pairing.status == status and pairing.id is not None:
        return False
    from models.services.pairings import Change, record  # pairings looks counties and organizations up here

    record(session, pairing, status, Change(actor, note), utcnow())
    return True


def pause_contact(session: Session, contact: Contact, actor: str, now: datetime) -> bool:
    """退订: no more reminders or notices (mandatory obligations excepted) until resumed; False if already paused."""
    if contact.paused_at is not None:
        return False
    contact.paused_at = now
    session.add(contact)
    audit(session, actor, "contact.pause", f"contact:{contact.id}")
    return True


def resume_contact(session: Session, contact: Contact, actor: str) -> bool:
    """恢复 after 退订; False when the contact was not paused."""
    if contact.paused_at is None:
        return False
    contact.paused_at = None
    session.add(contact)
    audit(session, actor, "contact.resume", f"contact:{contact.id}")
    return True
