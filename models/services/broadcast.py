"""Broadcasts: notices to a segment of contacts and groups, acknowledgements (收到) and nudges.

A broadcast only writes rows: one Broadcast and one Delivery per recipient (the outbox), in the
caller's transaction. Whoever commits enqueues the delivery ids; the relay covers the rest.

Segments (`pairbot broadcast --to`, `广播 SEGMENT 内容` in chat):
  all                     every active contact and every active group
  county | organization | admin    the contacts with that role
  province:四川省          contacts working in the province (county contacts there, organizations
                          paired with a county there or registered there, admins of it) and groups
                          tagged with it
  county:布拖县 (or code)  that county's contacts and the organizations paired with it
  group:TAG               the groups carrying the tag (both channels)
An admin scoped to provinces reaches only contacts and groups in those provinces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, update
from sqlmodel import Session, col, select

from bot.i18n import N_, _, using
from bot.messages import Button
from bot.vocabulary import CONTACT_ROLE
from models.base import parse_id
from models.messaging import Broadcast, BroadcastStatus, Delivery, DeliveryStatus
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Group, Organization, Role
from models.services.audit import audit
from models.services.groups import groups_tagged
from models.services.outbox import queue_message, recipient_locale
from models.services.provinces import UnknownProvince, find_province, full_name
from models.services.registry import address_among, require_county

PLATFORMS = ("telegram", "wecom")  # the channels a token enables (see bot.config.configured_channels)

EVERYONE = ("all", "全部", "所有")
KINDS = {"province": "province", "省": "province", "county": "county", "县": "county", "group": "group", "群": "group"}
DRAFT_TTL = timedelta(hours=24)
ACK_DATA = "ack:"
ACK_WORD = "收到"
NO_BUTTONS = frozenset({"wecom", "wecom_robot"})  # WeCom app messages have no inline buttons
NO_REPLIES = frozenset({"wecom_robot"})  # a group robot can post but never hears an answer
LIVE_PAIRINGS = (PairingStatus.active, PairingStatus.proposed)
SEGMENT_HELP = N_("all、county、organization、admin、province:省名、county:县名或代码、group:标签")
# Channel names as people know them (the Chinese screen says 企业微信, not wecom).
CHANNEL_LABELS = {"telegram": "Telegram", "wecom": N_("企业微信"), "wecom_robot": N_("企业微信群机器人"),
                  "console": N_("终端模拟器")}
# Delivery statuses and report buckets as shown to people.
STATUS_LABELS = {"pending": N_("待发送"), "sending": N_("发送中"), "sent": N_("已发送"), "failed": N_("失败"),
                 "blocked": N_("无法送达"), "unreachable": N_("无法送达"), "acknowledged": N_("已确认"),
                 "total": N_("合计")}


def segment_help() -> str:
    return _(SEGMENT_HELP)


def channel_label(channel: str) -> str:
    """“企业微信” for wecom, in the locale in force; an unknown channel as it is."""
    return _(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else channel


def status_label(status: str) -> str:
    """“已发送” for sent, “失败” for failed, in the locale in force; an unknown status as it is."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


class BroadcastError(ValueError):
    """Refused, with a message saying why (in the locale in force)."""


@dataclass(frozen=True)
class Segment:
    kind: str  # all / role / province / county / group
    value: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else self.value if self.kind == "role" else f"{self.kind}:{self.value}"

    @property
    def label(self) -> str:
        if self.kind == "all":
            return _("全部联系人和群")
        if self.kind == "role":
            return _("全部{role}").format(role=_(Role(self.value).label))
        if self.kind == "group":
            return _("标签为“{tag}”的群").format(tag=self.value)
        return self.value


def parse_segment(text: str) -> Segment:
    raw = text.strip().replace("：", ":")
    if raw.lower() in EVERYONE:
        return Segment("all")
    role = CONTACT_ROLE.read(raw)  # county, 县联络员, 社会组织联络人, admin …: the import's words for roles
    if role is not None:
        return Segment("role", role)
    kind, _colon, value = raw.partition(":")
    if kind.lower() in KINDS and value.strip():
        kind = KINDS[kind.lower()]
        value = (full_name(value) or value.strip()) if kind == "province" else value.strip()  # 西藏 → 西藏自治区
        return Segment(kind, value)
    raise BroadcastError(_("无法识别的广播对象“{text}”。可用：{segments}").format(text=text, segments=segment_help()))


@dataclass(frozen=True)
class Recipient:
    channel: str
    chat_id: str
    contact_id: int | None = None
    group_id: int | None = None
    locale: str | None = None  # the contact's language (None: the installation's); the bot's frame follows it


@dataclass
class Audience:
    segment: Segment
    recipients: list[Recipient] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)  # contacts with no reachable chat identity
    paused: list[int] = field(default_factory=list)  # contacts who sent 退订: not sent to until they send 恢复

    def counts(self) -> dict[str, dict[str, int]]:
        """Per channel: how many contacts and groups."""
        table: dict[str, dict[str, int]] = defaultdict(lambda: {"contacts": 0, "groups": 0})
        for r in self.recipients:
            table[r.channel]["groups" if r.group_id is not None else "contacts"] += 1
        return dict(sorted(table.items()))

    def unconfigured(self, configured: Iterable[str]) -> list[str]:
        """A warning per platform this configuration has no token for: its recipients' messages would fail at once."""
        enabled = set(configured)
        return [_("注意：本配置未启用 {channel}（未设置其令牌），这 {n} 个收件人的消息将发送失败；"
                  "请先在配置中启用 {channel}。").format(channel=channel_label(channel), n=counts["contacts"] + counts["groups"])
                for channel, counts in self.counts().items() if channel in PLATFORMS and channel not in enabled]

    def summary_zh(self) -> str:
        contacts = sum(1 for r in self.recipients if r.group_id is None)
        groups = len(self.recipients) - contacts
        per_channel = _("，").join(f"{channel_label(name)} {c['contacts'] + c['groups']}"
                                   for name, c in self.counts().items())
        text = _("联系人 {contacts} 位、群 {groups} 个").format(contacts=contacts, groups=groups)
        if per_channel:
            text += _("（{per_channel}）").format(per_channel=per_channel)
        if self.unreachable:
            text += _("；另有 {n} 位联系人无法送达").format(n=len(self.unreachable))
        if self.paused:
            text += _("；{n} 位联系人已退订通知，不会收到").format(n=len(self.paused))
        return text


# --- Who a segment reaches --------------------------------------------------------------------------------


def resolve_audience(session: Session, segment: Segment, provinces: Sequence[str] = ()) -> Audience:
    """The recipients of a segment, limited to `provinces` when the sender is a scoped admin."""
    scope = set(provinces)
    contacts, groups = _select(session, segment, scope)
    if scope:
        where = _contact_provinces(session, contacts)
        contacts = [c for c in contacts if where.get(c.id, set()) & scope]  # type: ignore[arg-type]
        groups = [g for g in groups if g.province in scope]
    audience = Audience(segment)
    seen: set[tuple[str, str]] = set()
    identities = _identities_by_contact(session, [c.id for c in contacts if c.paused_at is None])  # type: ignore[misc]
    for contact in sorted(contacts, key=lambda c: c.id or 0):
        if contact.paused_at is not None:
            audience.paused.append(contact.id)  # type: ignore[arg-type]
            continue
        address = address_among(contact, identities.get(contact.id, []))  # type: ignore[arg-type]
        if address is None:
            audience.unreachable.append(contact.id)  # type: ignore[arg-type]
        elif address not in seen:
            seen.add(address)
            audience.recipients.append(Recipient(address[0], address[1], contact_id=contact.id, locale=contact.locale))
    for group in sorted(groups, key=lambda g: g.id or 0):
        if (group.channel, group.chat_id) not in seen:
            seen.add((group.channel, group.chat_id))
            audience.recipients.append(Recipient(group.channel, group.chat_id, group_id=group.id))
    return audience


ID_CHUNK = 500  # ids per IN (...) list: well under every driver's limit on bound parameters


def _identities_by_contact(session: Session, contact_ids: Sequence[int]) -> dict[int, list[ChannelIdentity]]:
    """Every chat account of these contacts, in a few statements (one per ID_CHUNK contacts) rather than one per
    contact: a segment of 20,000 contacts took 13 s to preview, and a broadcast resolves its audience twice."""
    found: dict[int, list[ChannelIdentity]] = defaultdict(list)
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        for identity in session.exec(select(ChannelIdentity).where(col(ChannelIdentity.contact_id).in_(chunk))
                                     .order_by(col(ChannelIdentity.id))).all():
            found[identity.contact_id].append(identity)  # type: ignore[index]
    return found


def _select(session: Session, segment: Segment, scope: set[str]) -> tuple[list[Contact], list[Group]]:
    active = select(Contact).where(col(Contact.active).is_(True))
    live_groups = select(Group).where(col(Group.active).is_(True))
    if segment.kind == "all":
        return list(session.exec(active).all()), list(session.exec(live_groups).all())
    if segment.kind == "role":
        return list(session.exec(active.where(Contact.role == segment.value)).all()), []
    if segment.kind == "group":
        groups = groups_tagged(session, segment.value)
        if not groups:
            raise BroadcastError(_("没有带标签“{tag}”的群。").format(tag=segment.value))
        return [], groups
    if segment.kind == "province":
        province = _province(session, segment.value)
        if scope and province not in scope:
            raise BroadcastError(_("您只能向您负责的省份（{provinces}）发送广播。").format(
                provinces=_("、").join(sorted(scope))))
        contacts = list(session.exec(active).all())
        where = _contact_provinces(session, contacts)
        chosen = [c for c in contacts if province in where.get(c.id, set())]  # type: ignore[arg-type]
        return chosen, list(session.exec(live_groups.where(Group.province == province)).all())
    county = _county(session, segment.value)
    if scope and county.province not in scope:
        raise BroadcastError(_("{county}不在您负责的省份（{provinces}）内。").format(
            county=county.name, provinces=_("、").join(sorted(scope))))
    org_ids = session.exec(select(Pairing.organization_id).where(
        Pairing.county_id == county.id, col(Pairing.status).in_(LIVE_PAIRINGS))).all()
    chosen = session.exec(active.where(
        ((Contact.role == Role.county) & (Contact.county_id == county.id))
        | ((Contact.role == Role.organization) & col(Contact.organization_id).in_(list(org_ids))))).all()
    return list(chosen), []


def _province(session: Session, name: str) -> str:
    try:
        return find_province(session, name)
    except UnknownProvince as exc:
        raise BroadcastError(str(exc)) from None


def _county(session: Session, name_or_code: str) -> County:
    try:
        return require_county(session, name_or_code)
    except LookupError as exc:
        raise BroadcastError(str(exc)) from None


def _contact_provinces(session: Session, contacts: Iterable[Contact]) -> dict[int, set[str]]:
    """Where each contact works: their county's province; the provinces of an organization's live pairings
    and its own; the provinces an admin is responsible for."""
    county_province = dict(session.exec(select(County.id, County.province)).all())
    org_province: dict[int, set[str]] = defaultdict(set)
    for org_id, province in session.exec(select(Organization.id, Organization.province)).all():
        if province:
            org_province[org_id].add(province)  # type: ignore[index]
    for org_id, county_id in session.exec(select(Pairing.organization_id, Pairing.county_id)
                                          .where(col(Pairing.status).in_(LIVE_PAIRINGS))).all():
        org_province[org_id].add(county_province[county_id])
    result: dict[int, set[str]] = {}
    for c in contacts:
        if c.role == Role.county and c.county_id in county_province:
            result[c.id] = {county_province[c.county_id]}  # type: ignore[index]
        elif c.role == Role.organization and c.organization_id is not None:
            result[c.id] = set(org_province.get(c.organization_id, set()))  # type: ignore[index]
        elif c.role == Role.admin:
            result[c.id] = set(c.provinces)  # type: ignore[index]
    return result


# --- Writing a broadcast ----------------------------------------------------------------------------------


@dataclass
class Queued:
    broadcast: Broadcast
    delivery_ids: list[int]
    audience: Audience


def queue_broadcast(session: Session, segment: Segment, text: str, *, require_ack: bool, actor: str,
                    now: datetime, provinces: Sequence[str] = ()) -> Queued:
    """Write the Broadcast and one Delivery per reachable recipient; the caller enqueues after commit."""
    text = checked_text(text)
    audience = resolve_audience(session, segment, provinces)
    broadcast = Broadcast(segment=str(segment), text=text, require_ack=require_ack, created_by=actor,
                          scope=list(provinces), status=BroadcastStatus.queued, created_at=now)
    session.add(broadcast)
    session.flush()
    ids = _write(session, broadcast, audience, now)
    audit(session, actor, "broadcast.queue", f"broadcast:{broadcast.id}", segment=str(segment),
          recipients=len(ids), unreachable=len(audience.unreachable), require_ack=require_ack)
    return Queued(broadcast, ids, audience)


def create_draft(session: Session, contact: Contact, segment: Segment, text: str, *, require_ack: bool,
                 now: datetime) -> tuple[Broadcast, Audience]:
    """A broadcast an admin typed in chat, kept until they confirm it (only they can)."""
    text = checked_text(text)
    audience = resolve_audience(session, segment, contact.provinces)
    if not audience.recipients:
        raise BroadcastError(_("{segment}中没有可以送达的收件人，未创建广播。").format(segment=segment.label))
    draft = Broadcast(segment=str(segment), text=text, require_ack=require_ack, status=BroadcastStatus.draft,
                      created_by=f"contact:{contact.id}", creator_contact_id=contact.id, scope=list(contact.provinces),
                      created_at=now)
    session.add(draft)
    session.flush()
    return draft, audience


def latest_draft(session: Session, contact: Contact, now: datetime) -> Broadcast | None:
    return session.exec(
        select(Broadcast).where(Broadcast.creator_contact_id == contact.id, Broadcast.status == BroadcastStatus.draft,
                                Broadcast.created_at > now - DRAFT_TTL)
        .order_by(col(Broadcast.id).desc()).limit(1)
    ).first()


def confirm_draft(session: Session, contact: Contact, broadcast_id: int, now: datetime) -> Queued:
    """Queue a draft: only its creator may, only once, and only within DRAFT_TTL."""
    draft = _own_draft(session, contact, broadcast_id, now)
    taken = session.execute(
        update(Broadcast).where(col(Broadcast.id) == draft.id, col(Broadcast.status) == BroadcastStatus.draft)
        .values(status=BroadcastStatus.queued, queued_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # confirmed at the same moment elsewhere
        raise BroadcastError(_("这条广播已经发送，不会重复发送。"))
    session.refresh(draft)
    audience = resolve_audience(session, parse_segment(draft.segment), draft.scope)
    ids = _write(session, draft, audience, now)
    audit(session, f"contact:{contact.id}", "broadcast.queue", f"broadcast:{draft.id}", segment=draft.segment,
          recipients=len(ids), unreachable=len(audience.unreachable), require_ack=draft.require_ack)
    return Queued(draft, ids, audience)


def cancel_draft(session: Session, contact: Contact, broadcast_id: int, now: datetime) -> Broadcast:
    draft = _own_draft(session, contact, broadcast_id, now)
    draft.status = BroadcastStatus.cancelled
    session.add(draft)
    return draft


def _own_draft(session: Session, contact: Contact, broadcast_id: int, now: datetime) -> Broadcast:
    draft = session.get(Broadcast, broadcast_id)
    if draft is None or draft.creator_contact_id != contact.id:
        raise BroadcastError(_("无法确认：没有找到您创建的这条广播。"))
    if draft.status == BroadcastStatus.queued:
        raise BroadcastError(_("这条广播已经发送，不会重复发送。"))
    if draft.status == BroadcastStatus.cancelled:
        raise BroadcastError(_("这条广播已取消。如需发送，请重新输入广播命令。"))
    if draft.created_at <= now - DRAFT_TTL:
        raise BroadcastError(_("这条广播草稿已超过 24 小时，请重新输入广播命令。"))
    return draft


def checked_text(text: str) -> str:
    """The notice's text stripped, or BroadcastError saying why it cannot be sent (empty, over 3,000 characters)."""
    text = text.strip()
    if not text:
        raise BroadcastError(_("广播内容不能为空。"))
    if len(text) > 3000:
        raise BroadcastError(_("广播内容过长（{n} 字），请控制在 3000 字以内。").format(n=len(text)))
    return text


def notice_text(text: str, require_ack: bool, channel: str) -> str:
    """The admin's words as written, in the bot's frame (【通知】, how to acknowledge) in the locale in force."""
    return _("【通知】{text}").format(text=text) + (_ack_request(channel) if require_ack else "")


def _ack_request(channel: str) -> str:
    if channel in NO_REPLIES:
        return ""
    if channel in NO_BUTTONS:
        return "\n\n" + _("请回复“收到”确认。")
    return "\n\n" + _("请点“收到”或回复“收到”确认。")


def ack_button_label() -> str:
    """The 收到 button's label in the locale in force (its data, not its label, is what counts)."""
    return _(ACK_WORD)


def _write(session: Session, broadcast: Broadcast, audience: Audience, now: datetime) -> list[int]:
    broadcast.unreachable = list(audience.unreachable)
    broadcast.queued_at = now
    session.add(broadcast)
    ids: list[int] = []
    texts: dict[tuple[str | None, str], tuple[str, str]] = {}  # (locale, channel) → (text, button): composed once
    for r in audience.recipients:
        if (r.locale, r.channel) not in texts:
            with using(recipient_locale(r.locale)):
                texts[r.locale, r.channel] = (notice_text(broadcast.text, broadcast.require_ack, r.channel),
                                              ack_button_label())
        text, ack_label = texts[r.locale, r.channel]
        delivery = queue_message(
            session, r.channel, r.chat_id, text,
            contact_id=r.contact_id, group_id=r.group_id, broadcast_id=broadcast.id,
            dedupe_key=f"broadcast:{broadcast.id}:{r.channel}:{r.chat_id}",
        )
        if broadcast.require_ack and r.channel not in NO_BUTTONS:
            delivery.buttons = [[ack_label, f"{ACK_DATA}{delivery.id}"]]
            session.add(delivery)
        ids.append(delivery.id)  # type: ignore[arg-type]
    session.flush()
    return ids


def _locales_of(session: Session, contact_ids: Sequence[int]) -> dict[int, str | None]:
    if not contact_ids:
        return {}
    rows = session.exec(select(Contact.id, Contact.locale).where(col(Contact.id).in_(list(set(contact_ids))))).all()
    return {cid: locale for cid, locale in rows}  # type: ignore[misc]


# --- Acknowledgements and nudges --------------------------------------------------------------------------


def outstanding(session: Session, channel: str, chat_id: str) -> list[Delivery]:
    """Notices to this chat that ask for 收到 and have not had it."""
    return list(session.exec(
        select(Delivery).join(Broadcast, col(Delivery.broadcast_id) == col(Broadcast.id)).where(
            Delivery.channel == channel, Delivery.chat_id == chat_id, col(Delivery.acknowledged_at).is_(None),
            col(Broadcast.require_ack).is_(True), col(Broadcast.parent_id).is_(None),
            col(Delivery.status).in_([DeliveryStatus.sent, DeliveryStatus.sending, DeliveryStatus.failed]),
        ).order_by(col(Delivery.id))
    ).all())


def acknowledge_button(session: Session, channel: str, chat_id: str, data: str, now: datetime) -> bool:
    """A 收到 button press: True when it marked the notice, False when it was already acknowledged.

    The delivery id in the button is checked against the chat it was sent to, so a forged or
    forwarded button cannot acknowledge someone else's notice.
    """
    raw = data[len(ACK_DATA):] if data.startswith(ACK_DATA) else ""
    delivery_id = parse_id(raw)
    delivery = session.get(Delivery, delivery_id) if delivery_id is not None else None
    broadcast = session.get(Broadcast, delivery.broadcast_id) if delivery and delivery.broadcast_id else None
    if delivery is None or broadcast is None or not broadcast.require_ack \
            or (delivery.channel, delivery.chat_id) != (channel, chat_id):
        raise BroadcastError(_("无法确认：这条通知不是发给您的。"))
    if delivery.acknowledged_at is not None:
        return False
    delivery.acknowledged_at = now
    session.add(delivery)
    return True


def acknowledge_chat(session: Session, channel: str, chat_id: str, now: datetime) -> list[Delivery]:
    """A 收到 reply: every outstanding notice in this chat is acknowledged."""
    rows = outstanding(session, channel, chat_id)
    for delivery in rows:
        delivery.acknowledged_at = now
        session.add(delivery)
    return rows


def nudge_targets(session: Session, broadcast: Broadcast) -> list[Delivery]:
    """Who received the notice but has not acknowledged it (the ones `nudge` reminds)."""
    return list(session.exec(
        select(Delivery).where(Delivery.broadcast_id == broadcast.id, Delivery.status == DeliveryStatus.sent,
                               col(Delivery.acknowledged_at).is_(None), col(Delivery.channel).not_in(NO_REPLIES))
        .order_by(col(Delivery.id))
    ).all())


def nudgeable(session: Session, broadcast_id: int) -> tuple[Broadcast, list[Delivery]]:
    """The notice and who a nudge would remind; BroadcastError when it cannot be nudged."""
    original = session.get(Broadcast, broadcast_id)
    if original is None or original.status != BroadcastStatus.queued:
        raise BroadcastError(_("没有编号为 {id} 的已发送广播。").format(id=broadcast_id))
    if not original.require_ack:
        raise BroadcastError(_("广播 #{id} 不要求回复“收到”，无需催办。").format(id=broadcast_id))
    return original, nudge_targets(session, original)


def nudge(session: Session, broadcast_id: int, actor: str, now: datetime) -> Queued:
    """Remind exactly those who have not acknowledged: a child broadcast whose buttons acknowledge the original."""
    original, targets = nudgeable(session, broadcast_id)
    child = Broadcast(segment=f"nudge:{original.id}", text=original.text, require_ack=True, created_by=actor,
                      parent_id=original.id, scope=list(original.scope), status=BroadcastStatus.queued,
                      created_at=now, queued_at=now)
    session.add(child)
    session.flush()
    ids: list[int] = []
    locales = _locales_of(session, [t.contact_id for t in targets if t.contact_id])
    for target in targets:
        with using(recipient_locale(locales.get(target.contact_id))):  # type: ignore[arg-type]
            text = _("【提醒】请确认收到以下通知：") + f"\n{original.text}" + _ack_request(target.channel)
            buttons = () if target.channel in NO_BUTTONS else (Button(ack_button_label(), f"{ACK_DATA}{target.id}"),)
        delivery = queue_message(session, target.channel, target.chat_id, text, buttons=buttons,
                                 contact_id=target.contact_id, group_id=target.group_id, broadcast_id=child.id,
                                 dedupe_key=f"nudge:{child.id}:{target.id}")
        ids.append(delivery.id)  # type: ignore[arg-type]
    audit(session, actor, "broadcast.nudge", f"broadcast:{original.id}", nudge=child.id, recipients=len(ids))
    return Queued(child, ids, Audience(Segment("nudge", str(original.id))))


# --- Reporting ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One recipient in a report."""

    name: str
    channel: str
    chat_id: str
    status: str
    error: str = ""
    delivery_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "channel": self.channel, "chat_id": self.chat_id, "status": self.status,
                "error": self.error, "delivery_id": self.delivery_id}


@dataclass
class Report:
    broadcast: Broadcast
    counts: dict[str, int]
    unreachable: list[Line]
    failed: list[Line]
    unacknowledged: list[Line]

    def to_dict(self, zone: Any = None) -> dict[str, Any]:
        b = self.broadcast
        created = b.created_at.astimezone(zone) if zone else b.created_at
        return {
            "id": b.id, "segment": b.segment, "text": b.text, "require_ack": b.require_ack, "status": b.status,
            "created_by": b.created_by, "created_at": created.isoformat(timespec="seconds"),
            "parent_id": b.parent_id, "counts": self.counts,
            "unreachable": [line.to_dict() for line in self.unreachable],
            "failed": [line.to_dict() for line in self.failed],
            "unacknowledged": [line.to_dict() for line in self.unacknowledged],
        }


def delivery_counts(session: Session, broadcast_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per broadcast: total, sent, pending (incl. sending), failed, unreachable, acknowledged."""
    result: dict[int, dict[str, int]] = {i: _empty_counts() for i in broadcast_ids}
    rows = session.exec(
        select(Delivery.broadcast_id, Delivery.status, func.count(), func.count(col(Delivery.acknowledged_at)))
        .where(col(Delivery.broadcast_id).in_(list(broadcast_ids)))
        .group_by(col(Delivery.broadcast_id), col(Delivery.status))
    ).all()
    for broadcast_id, status, n, acked in rows:
        counts = result[broadcast_id]  # type: ignore[index]
        counts["total"] += n
        counts[_bucket(status)] += n
        counts["acknowledged"] += acked
    for broadcast in session.exec(select(Broadcast).where(col(Broadcast.id).in_(list(broadcast_ids)))).all():
        result[broadcast.id]["unreachable"] += len(broadcast.unreachable)  # type: ignore[index]
        result[broadcast.id]["total"] += len(broadcast.unreachable)  # type: ignore[index]
    return result


def _empty_counts() -> dict[str, int]:
    return {"total": 0, "sent": 0, "pending": 0, "failed": 0, "unreachable": 0, "acknowledged": 0}


def _bucket(status: str) -> str:
    return {DeliveryStatus.sent: "sent", DeliveryStatus.failed: "failed", DeliveryStatus.blocked: "unreachable"}.get(
        status, "pending")  # type: ignore[call-overload]


def report(session: Session, broadcast_id: int) -> Report:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastError(_("没有编号为 {id} 的广播。").format(id=broadcast_id))
    deliveries = session.exec(select(Delivery).where(Delivery.broadcast_id == broadcast_id)
                              .order_by(col(Delivery.id))).all()
    names = _names(session, deliveries, broadcast.unreachable)
    line = lambda d: Line(names.get(("d", d.id), d.chat_id), d.channel, d.chat_id, d.status, d.last_error, d.id)  # noqa: E731
    unreachable = [line(d) for d in deliveries if d.status == DeliveryStatus.blocked]
    unreachable += [Line(names.get(("c", cid), _("联系人 {id}").format(id=cid)), "", "", "unreachable",
                         _("没有可用的聊天账号"))
                    for cid in broadcast.unreachable]
    failed = [line(d) for d in deliveries if d.status == DeliveryStatus.failed]
    unacked = [line(d) for d in deliveries if broadcast.require_ack and broadcast.parent_id is None
               and d.acknowledged_at is None and d.status != DeliveryStatus.blocked and d.channel not in NO_REPLIES]
    counts = delivery_counts(session, [broadcast_id])[broadcast_id]
    if not broadcast.require_ack:
        counts.pop("acknowledged")
    return Report(broadcast, counts, unreachable, failed, unacked)


def _names(session: Session, deliveries: Sequence[Delivery], contact_ids: Sequence[int]) -> dict[tuple[str, int], str]:
    wanted = {d.contact_id for d in deliveries if d.contact_id} | set(contact_ids)
    contacts = {c.id: c.name for c in session.exec(select(Contact).where(col(Contact.id).in_(list(wanted)))).all()}
    groups = {g.id: g.title or g.chat_id for g in session.exec(select(Group).where(
        col(Group.id).in_([d.group_id for d in deliveries if d.group_id]))).all()}
    names: dict[tuple[str, int], str] = {("c", cid): contacts.get(cid, _("联系人 {id}").format(id=cid))
                                         for cid in contact_ids}
    for d in deliveries:
        if d.contact_id in contacts:
            names[("d", d.id)] = contacts[d.contact_id]  # type: ignore[index]
        elif d.group_id in groups:
            names[("d", d.id)] = _("群 {title}").format(title=groups[d.group_id])  # type: ignore[index]
    return names


def recent(session: Session, limit: int = 20) -> list[tuple[Broadcast, dict[str, int]]]:
    """The latest broadcasts that were sent (a draft previewed in chat, or one cancelled there, sent nothing), as
    the pages list them."""
    broadcasts = session.exec(select(Broadcast).where(Broadcast.status == BroadcastStatus.queued)
                              .order_by(col(Broadcast.id).desc()).limit(limit)).all()
    counts = delivery_counts(session, [b.id for b in broadcasts])  # type: ignore[misc]
    return [(b, counts[b.id]) for b in broadcasts]  # type: ignore[index]


def paused_contacts(session: Session, provinces: Sequence[str] = ()) -> list[Contact]:
    """Contacts who sent 退订 (oldest pause first), within the admin's provinces when scoped."""
    contacts = list(session.exec(select(Contact).where(col(Contact.paused_at).is_not(None), col(Contact.active).is_(True))
                                 .order_by(col(Contact.paused_at))).all())
    return _working_in(session, contacts, provinces)


def unreachable_contacts(session: Session, provinces: Sequence[str] = ()) -> list[Contact]:
    """Active contacts whose every chat account a platform refused (blocked the bot, left the company), within
    the admin's provinces when scoped. Contacts who never bound a chat are not among them."""
    mine = col(ChannelIdentity.contact_id) == col(Contact.id)
    contacts = list(session.exec(
        select(Contact).where(col(Contact.active).is_(True), exists().where(mine),
                              ~exists().where(mine, col(ChannelIdentity.unreachable_since).is_(None)))
        .order_by(col(Contact.id))).all())
    return _working_in(session, contacts, provinces)


def _working_in(session: Session, contacts: list[Contact], provinces: Sequence[str]) -> list[Contact]:
    if not provinces:
        return contacts
    where = _contact_provinces(session, contacts)
    return [c for c in contacts if where.get(c.id, set()) & set(provinces)]  # type: ignore[arg-type]


def unreachable_identities(session: Session) -> list[tuple[Contact, ChannelIdentity]]:
    """Chat accounts a platform said we can no longer reach (blocked the bot, left the company)."""
    rows = session.exec(
        select(Contact, ChannelIdentity).join(ChannelIdentity, col(ChannelIdentity.contact_id) == col(Contact.id))
        .where(col(ChannelIdentity.unreachable_since).is_not(None)).order_by(col(ChannelIdentity.unreachable_since))
    ).all()
    return [(contact, identity) for contact, identity in rows]
