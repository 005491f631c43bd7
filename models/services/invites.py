"""Invites: single-use, expiring codes that bind a chat identity to a role and scope."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from bot.i18n import _
from models.base import utcnow
from models.messaging import Invite
from models.registry import ROLE_LABELS, Contact, County, Organization, Role
from models.services.audit import audit
from models.services.provinces import UnknownProvince, canonical
from models.services.registry import bind_identity, describe_scope, role_scope

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


class InviteError(Exception):
    """Why a code was refused, in Chinese, ready to show to the sender."""


@dataclass(frozen=True)
class Binding:
    contact: Contact
    created: bool


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """The code as issued: full-width letters and digits (a Chinese input method's full-width mode) read as
    ASCII, case ignored, and spaces, dashes and invisible characters pasted with it left out."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return "".join(char for char in text if not (char.isspace() or char == "-" or unicodedata.category(char) == "Cf"))


def create_invite(
    session: Session,
    role: Role,
    *,
    actor: str,
    expires_days: int,
    county: County | None = None,
    organization: Organization | None = None,
    provinces: list[str] | None = None,
    name: str = "",
    contact: Contact | None = None,
) -> Invite:
    """Make a code; the scope must fit the role (a county contact needs a county, and so on).

    With `contact`, the code adds the chat that redeems it to that existing contact (one person, one
    contact, any number of channels); role and scope are the contact's.
    """
    if contact is not None:
        if not contact.active:
            raise InviteError(_("联系人 {name}（#{id}）已停用，请先重新启用（pairbot contacts reactivate）。").format(
                name=contact.name, id=contact.id))
        role = Role(contact.role)
        county = session.get(County, contact.county_id) if contact.county_id else None
        organization = session.get(Organization, contact.organization_id) if contact.organization_id else None
        provinces, name = list(contact.provinces), contact.name
    elif role is Role.admin and provinces:
        try:
            provinces = canonical(provinces)  # 四川, 西藏自治區 → the full names counties carry
        except UnknownProvince as exc:
            raise InviteError(str(exc)) from None
    if role is Role.county and county is None:
        raise InviteError(_("县联络员邀请码需要指定县（--county）"))
    if role is Role.organization and organization is None:
        raise InviteError(_("社会组织联络人邀请码需要指定社会组织（--organization）"))
    invite = Invite(
        code=new_code(),
        role=role,
        name=name,
        county_id=county.id if county and role is Role.county else None,
        organization_id=organization.id if organization and role is Role.organization else None,
        provinces=list(provinces or []) if role is Role.admin else [],
        contact_id=contact.id if contact is not None else None,
        created_by=actor,
        expires_at=utcnow() + timedelta(days=expires_days),
    )
    session.add(invite)
    session.flush()
    audit(session, actor, "invite.create", f"invite:{invite.id}", role=role.value, expires_at=invite.expires_at.isoformat())
    return invite


def redeem_invite(
    session: Session, raw_code: str, channel: str, external_id: str, display_name: str, now: datetime | None = None
) -> Binding:
    """Bind the sender to the invite's contact (created if needed); the code is spent atomically."""
    now = now or utcnow()
    invite = usable_invite(session, raw_code, now)
    code = invite.code
    # Spend the code with a guarded UPDATE so two simultaneous redemptions cannot both win.
    spent = session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_at=now)  # type: ignore[union-attr]
    )
    if spent.rowcount != 1:
        raise InviteError(_("邀请码 {code} 已被使用过，每个邀请码只能使用一次。").format(code=code))
    contact, created = _contact_for_invite(session, invite, display_name)
    bind_identity(session, contact, channel, external_id)
    invite.used_by_contact_id = contact.id
    invite.used_at = now
    session.add(invite)
    audit(session, f"{channel}:{external_id}", "invite.redeem", f"invite:{invite.id}", contact=contact.id,
          created=created)
    return Binding(contact=contact, created=created)


def usable_invite(session: Session, raw_code: str, now: datetime) -> Invite:
    """The invite behind a code, if it can still be used; InviteError saying why not (nothing is spent)."""
    code = normalize_code(raw_code)
    invite = session.exec(select(Invite).where(Invite.code == code)).first() if len(code) <= 32 else None
    if invite is None:
        raise InviteError(_("邀请码 {code} 无效，请核对后重试，或向管理员索取新的邀请码。").format(code=code[:32]))
    if invite.used_at is not None:
        raise InviteError(_("邀请码 {code} 已被使用过，每个邀请码只能使用一次。请向管理员索取新的邀请码。").format(code=code))
    if invite.expires_at <= now:
        raise InviteError(_("邀请码 {code} 已于 {day} 过期。请向管理员索取新的邀请码。").format(
            code=code, day=f"{invite.expires_at:%Y-%m-%d}"))
    joined = session.get(Contact, invite.contact_id) if invite.contact_id is not None else None
    if joined is not None and not joined.active:  # deactivated since the code was made: binding would lock the chat out
        raise InviteError(_("邀请码 {code} 对应的联系人 {name} 已停用，暂时不能绑定，邀请码未使用。"
                            "请联系管理员（民政或乡村振兴部门）重新启用该联系人后再发送“绑定 {code}”。").format(
            code=code, name=joined.name))
    return invite


def invite_role(session: Session, invite: Invite) -> Role:
    """The role redeeming the invite gives: the joined contact's, else the invite's own."""
    if invite.contact_id is not None:
        contact = session.get(Contact, invite.contact_id)
        if contact is not None:
            return Role(contact.role)
    return Role(invite.role)


def invite_scope(session: Session, invite: Invite) -> str:
    """What redeeming the invite makes its user (“县联络员（四川省布拖县）”, or the contact it joins)."""
    if invite.contact_id is not None:
        contact = session.get(Contact, invite.contact_id)
        if contact is not None:
            return _("{name}的{scope}").format(name=contact.name, scope=describe_scope(session, contact))
    return role_scope(session, Role(invite.role), invite.county_id, invite.organization_id, invite.provinces)


def _contact_name(invite: Invite, display_name: str) -> str:
    """The name the invite gives, else the chat's display name. A name that only repeats the role (the first
    admin's invite says “管理员”) yields to the person's own name, so 我是谁 reads “张三，管理员（全部省份）”."""
    placeholder = invite.name.strip() in {ROLE_LABELS[Role(invite.role)], ""}  # the stored Chinese, any locale
    if placeholder and display_name.strip():
        return display_name.strip()[:64]
    return invite.name or display_name or "未命名联系人"


def _contact_for_invite(session: Session, invite: Invite, display_name: str) -> tuple[Contact, bool]:
    if invite.contact_id is not None:
        contact = session.get(Contact, invite.contact_id)
        if contact is not None:
            return contact, False
    contact = Contact(
        name=_contact_name(invite, display_name),
        role=invite.role,
        county_id=invite.county_id,
        organization_id=invite.organization_id,
        provinces=list(invite.provinces),
    )
    session.add(contact)
    session.flush()
    return contact, True
