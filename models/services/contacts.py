"""Contacts over time: find, deactivate, reactivate, unbind a chat account, merge two records of one person.

Every change is audited with target ``contact:<id>``. A deactivated contact gets no reminders or
notices and cannot report (its chats are treated as unregistered) until reactivated.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.i18n import _, joined
from models.base import parse_id
from models.registry import ChannelIdentity, Contact, Role
from models.reporting import Attachment, PendingQuestion, ProgressUpdate
from models.services.audit import audit, reason_too_long
from models.services.registry import describe_scope, identities_of



class ContactError(ValueError):
    """A change that cannot be made; the message (in the locale in force) says what to do."""


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    role: str
    scope: str
    phone: str
    channels: list[str]
    active: bool
    paused: bool

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "role": Role(self.role).label, "scope": self.scope,
                "phone": self.phone, "channels": self.channels, "active": self.active, "paused": self.paused}


def find(session: Session, ref: str) -> Contact:
    """A contact by number or by name (a name shared by several contacts must be given as a number)."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        number = parse_id(ref)  # past the INTEGER keys names no row (PostgreSQL would raise, not find nothing)
        contact = session.get(Contact, number) if number is not None else None
        if contact is None:
            raise ContactError(_("没有编号为 {id} 的联系人。").format(id=ref))
        return contact
    matches = list(session.exec(select(Contact).where(Contact.name == ref).order_by(col(Contact.id))).all())
    if not matches:
        raise ContactError(_("没有名为“{name}”的联系人（可用 pairbot contacts list 查看编号）。").format(name=ref[:64]))
    if len(matches) > 1:
        numbers = joined(_("#{id}（{scope}）").format(id=c.id, scope=describe_scope(session, c)) for c in matches)
        raise ContactError(_("有 {n} 位联系人叫“{name}”：{numbers}。请改用编号。").format(
            n=len(matches), name=ref, numbers=numbers))
    return matches[0]


def row_of(session: Session, contact: Contact) -> ContactRow:
    channels = [f"{i.channel}:{i.external_id}" + (_("（无法送达）") if i.unreachable_since else "")
                for i in identities_of(session, contact.id)]  # type: ignore[arg-type]
    return ContactRow(contact.id, contact.name, contact.role, describe_scope(session, contact),  # type: ignore[arg-type]
                      contact.phone, channels, contact.active, contact.paused_at is not None)


def listing(session: Session, role: str | None = None, inactive: bool = False) -> list[ContactRow]:
    query = select(Contact).order_by(col(Contact.id))
    if role:
        query = query.where(Contact.role == role)
    if not inactive:
        query = query.where(col(Contact.active).is_(True))
    return [row_of(session, c) for c in session.exec(query).all()]


def _reason(reason: str) -> str:
    reason = reason.replace("\x00", "").strip()
    if not reason:
        raise ContactError(_("请写明原因（--reason），它会记入操作日志。"))
    if (problem := reason_too_long(reason)) is not None:  # refused, not cut
        raise ContactError(problem)
    return reason


def deactivate(session: Session, contact: Contact, reason: str, actor: str) -> None:
    """Stop everything for this contact (left the job, wrong person); history and reports stay."""
    reason = _reason(reason)
    if not contact.active:
        raise ContactError(_("联系人 {name}（#{id}）已停用。").format(name=contact.name, id=contact.id))
    _keep_an_admin(session, contact)
    contact.active = False
    session.add(contact)
    audit(session, actor, "contact.deactivate", f"contact:{contact.id}", reason=reason)


def reactivate(session: Session, contact: Contact, reason: str, actor: str) -> None:
    reason = _reason(reason)
    if contact.active:
        raise ContactError(_("联系人 {name}（#{id}）没有停用。").format(name=contact.name, id=contact.id))
    contact.active = True
    session.add(contact)
    audit(session, actor, "contact.reactivate", f"contact:{contact.id}", reason=reason)


def unbind(session: Session, contact: Contact, channel: str, external_id: str, actor: str) -> list[str]:
    """Detach the contact's chat accounts on `channel` (or just `external_id` there); returns what was removed."""
    gone = [i for i in identities_of(session, contact.id)  # type: ignore[arg-type]
            if i.channel == channel and (not external_id or i.external_id == external_id)]
    if not gone:
        if external_id:
            raise ContactError(_("联系人 {name}（#{id}）在 {channel} 上没有账号 {account}。").format(
                name=contact.name, id=contact.id, channel=channel, account=external_id))
        raise ContactError(_("联系人 {name}（#{id}）在 {channel} 上没有绑定的账号。").format(
            name=contact.name, id=contact.id, channel=channel))
    removed = [f"{i.channel}:{i.external_id}" for i in gone]
    for identity in gone:
        session.delete(identity)
    audit(session, actor, "contact.unbind", f"contact:{contact.id}", identities=removed)
    return removed


def merge(session: Session, source: Contact, target: Contact, actor: str) -> dict[str, int]:
    """One person, one contact: move the source's chat accounts, updates, files and questions to the target,
    then deactivate the source. Both must have the same role and scope."""
    if source.id == target.id:
        raise ContactError(_("不能把联系人合并到自己。"))
    same = (source.role, source.county_id, source.organization_id) == (target.role, target.county_id,
                                                                       target.organization_id)
    if not same:
        raise ContactError(_("两位联系人的身份不同（{source} ≠ {target}），不能合并。").format(
            source=describe_scope(session, source), target=describe_scope(session, target)))
    moved: dict[str, int] = {}
    for name, model in (("identities", ChannelIdentity), ("updates", ProgressUpdate), ("attachments", Attachment),
                        ("questions", PendingQuestion)):
        if model is ProgressUpdate:
            rows = session.exec(select(ProgressUpdate).where(ProgressUpdate.contact_id == source.id)).all()
            for row in rows:  # through the ORM, so the ledger's sums follow the sender's accounts
                row.contact_id = target.id  # type: ignore[assignment]
                session.add(row)
            moved[name] = len(rows)
        else:
            result = session.execute(update(model).where(col(model.contact_id) == source.id)  # type: ignore[attr-defined]
                                     .values(contact_id=target.id))
            moved[name] = result.rowcount  # type: ignore[attr-defined]
    if source.role == Role.admin:
        target.provinces = sorted(set(target.provinces) | set(source.provinces)) if target.provinces and \
            source.provinces else []
    target.phone = target.phone or source.phone
    source.active = False
    session.add_all([source, target])
    audit(session, actor, "contact.merge", f"contact:{source.id}", into=target.id, **moved)
    return moved


def _keep_an_admin(session: Session, contact: Contact) -> None:
    """Never deactivate the last active admin (nobody could sign in to the review pages again), nor the last one of
    every province (the provinces no scoped admin holds would be seen by nobody)."""
    if contact.role != Role.admin:
        return
    others = session.exec(select(Contact).where(Contact.role == Role.admin, col(Contact.active).is_(True),
                                                Contact.id != contact.id)).all()
    if not others:
        raise ContactError(_("这是唯一的在用管理员，停用后将无人能管理。请先邀请另一位管理员（pairbot invite --role admin）。"))
    if not contact.provinces and all(other.provinces for other in others):
        raise ContactError(_("这是唯一负责全部省份的在用管理员，停用后其他省份将无人能查看。"
                             "请先邀请另一位负责全部省份的管理员（pairbot invite --role admin）。"))
