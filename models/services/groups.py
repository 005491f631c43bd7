"""Group chats the bot is in: recorded when seen, tagged by an admin so broadcasts can target them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models.registry import Group
from models.services.audit import audit


def record_group(session: Session, channel: str, chat_id: str, title: str = "") -> tuple[Group, bool]:
    """The Group row for a chat, created (untagged) the first time the bot sees it; True when new."""
    group = session.exec(select(Group).where(Group.channel == channel, Group.chat_id == chat_id)).first()
    if group is not None:
        if title and group.title != title:
            group.title = title
            session.add(group)
        if not group.active:
            group.active = True
            session.add(group)
        return group, False
    group = Group(channel=channel, chat_id=chat_id, title=title)
    session.add(group)
    session.flush()
    audit(session, f"{channel}:{chat_id}", "group.recorded", f"group:{group.id}", title=title)
    return group, True


def leave_group(session: Session, channel: str, chat_id: str) -> None:
    group = session.exec(select(Group).where(Group.channel == channel, Group.chat_id == chat_id)).first()
    if group is not None and group.active:
        group.active = False
        session.add(group)


def tag_group(session: Session, group: Group, actor: str, *, province: str | None = None, kind: str | None = None,
              tags: Sequence[str] | None = None) -> Group:
    if province is not None:
        group.province = province
    if kind is not None:
        group.kind = kind
    if tags is not None:
        group.tags = sorted(set(tags))
    session.add(group)
    audit(session, actor, "group.tag", f"group:{group.id}", province=group.province, kind=group.kind,
          tags=group.tags)
    return group


def groups_tagged(session: Session, tag: str) -> list[Group]:
    """Active groups carrying a tag (or whose province or kind equals it): the `group:TAG` broadcast segment."""
    groups = session.exec(select(Group).where(col(Group.active).is_(True))).all()
    return [g for g in groups if tag in g.tags or tag in (g.province, g.kind)]
