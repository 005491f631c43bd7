"""Group chats the bot can post to: recorded when seen, registered by an admin, tagged so broadcasts reach them.

Three kinds of Group row:
- a Telegram group, recorded when the bot is added (`record_group`) and marked inactive when removed;
- a WeCom app group chat (channel `wecom`, chat id `appchat:CHATID`), created through the WeCom API
  by `pairbot groups create-wecom-chat` and recorded with `record_app_chat`;
- a WeCom group robot (channel `wecom_robot`, chat id = its tag): from `[wecom.webhooks]` in the
  config (synchronised at start), or registered in the database with `register_robot`, which keeps
  the webhook on the row (a secret: listings show only its host).
Each carries tags (`group:TAG` broadcasts) and a province (`province:P` broadcasts, admins' scope).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, col, select

from bot.i18n import _, joined
from bot.messages import channel_label
from models.base import parse_id
from models.registry import Group
from models.services.audit import audit
from models.services.provinces import UnknownProvince, find_province

WECOM = "wecom"
ROBOT_CHANNEL = "wecom_robot"
APPCHAT_PREFIX = "appchat:"
TAG = re.compile(r"^[^\s,，、:：]{1,32}$")  # no spaces or separators: `group:TAG` must stay one word
ROBOT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
APPCHAT_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")  # WeCom: at most 32 characters, 0-9 a-z A-Z
APPCHAT_MEMBERS = (2, 2000)


class GroupError(ValueError):
    """A group change that cannot be made; the message (in the locale in force) says what to do."""


# --- recorded as the bot sees them ---------------------------------------------------------------------


def record_group(session: Session, channel: str, chat_id: str, title: str = "") -> tuple[Group, bool]:
    """The Group row for a chat, created (untagged) the first time the bot sees it; True when new.

    A known group keeps its tags and province; a new title replaces the old one, an empty one does not.
    """
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


# --- an admin's changes (pairbot groups …) -------------------------------------------------------------


def find_group(session: Session, ref: str) -> Group:
    """A group by number, chat id (-100…, appchat:…, a robot's tag) or exact title."""
    ref = ref.strip()
    number = parse_id(ref)
    if number is not None:
        group = session.get(Group, number)
        if group is not None:
            return group
    found = session.exec(select(Group).where(Group.chat_id == ref)).all()
    if not found:
        found = session.exec(select(Group).where(Group.title == ref)).all()
    if len(found) == 1:
        return found[0]
    if found:
        listed = joined(_("#{id}（{channel}）").format(id=g.id, channel=channel_label(g.channel)) for g in found)
        raise GroupError(_("有多个群叫“{name}”：{groups}。请用编号。").format(name=ref, groups=listed))
    raise GroupError(_("没有找到群“{name}”。pairbot groups list 列出全部群（编号、聊天标识、群名均可）。").format(name=ref))


def checked_tags(tags: Iterable[str]) -> list[str]:
    cleaned = [t.strip() for t in tags]
    bad = [t for t in cleaned if not TAG.match(t)]
    if bad:
        raise GroupError(_("标签“{tag}”不可用：1–32 个字，不含空格、逗号、顿号或冒号。").format(tag=bad[0]))
    return cleaned


def add_tags(session: Session, group: Group, tags: Iterable[str], actor: str) -> Group:
    return tag_group(session, group, actor, tags=[*group.tags, *checked_tags(tags)])


def remove_tags(session: Session, group: Group, tags: Iterable[str], actor: str) -> Group:
    gone = set(t.strip() for t in tags)
    missing = sorted(gone - set(group.tags))
    if missing:
        raise GroupError(_("群 #{id} 没有标签：{missing}（现有：{tags}）。").format(
            id=group.id, missing=joined(missing), tags=joined(group.tags) or _("无")))
    return tag_group(session, group, actor, tags=[t for t in group.tags if t not in gone])


def province_of(session: Session, name: str) -> str:
    """The full name of a province the key counties lie in (四川 → 四川省); "" for "" (no province)."""
    if not name.strip():
        return ""
    try:
        return find_province(session, name)
    except UnknownProvince as exc:
        raise GroupError(str(exc)) from None


def set_province(session: Session, group: Group, name: str, actor: str) -> Group:
    return tag_group(session, group, actor, province=province_of(session, name))


def record_app_chat(session: Session, chat_id: str, name: str, actor: str, *, owner: str, members: Sequence[str],
                    province: str = "", tags: Sequence[str] = ()) -> Group:
    """The Group of a WeCom app chat just created through the API (`appchat:CHATID`)."""
    group, _ = record_group(session, WECOM, f"{APPCHAT_PREFIX}{chat_id}", title=name)
    group.province, group.tags = province, sorted(set(tags))
    session.add(group)
    audit(session, actor, "group.create_wecom_chat", f"group:{group.id}", chat_id=chat_id, name=name, owner=owner,
          members=list(members), province=province, tags=group.tags)
    return group


def app_chat_members(owner: str, members: Sequence[str]) -> list[str]:
    """The userlist for appchat/create: the owner first, each member once, within WeCom's 2–2000."""
    userlist = list(dict.fromkeys([owner.strip(), *(m.strip() for m in members)]))
    if any(not user for user in userlist):
        raise GroupError(_("群主和成员应为企业微信 userid（通讯录中的账号），不能为空。"))
    low, high = APPCHAT_MEMBERS
    if not low <= len(userlist) <= high:
        raise GroupError(_("企业微信群聊需要 {low}–{high} 位成员（含群主），现在是 {n} 位：请用 --member 添加成员。").format(
            low=low, high=high, n=len(userlist)))
    return userlist


# --- group robots ---------------------------------------------------------------------------------------


def webhook_url(value: str, api_base_url: str) -> str:
    """A robot's send URL from what was registered: the URL itself, or a key under the API base."""
    if value.startswith(("http://", "https://")):
        return value
    return f"{api_base_url.rstrip('/')}/cgi-bin/webhook/send?key={value}"


def webhook_host(value: str, api_base_url: str) -> str:
    """What a listing may show of a webhook: its host, never the key."""
    return urlsplit(webhook_url(value, api_base_url)).netloc


def checked_webhook(value: str) -> str:
    """A robot's webhook URL or bare key, as registered; a malformed one refused with what is wrong: the
    address's form, or (in a well-formed address too) the key."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        keys = parse_qs(parts.query).get("key", [])
        if not parts.netloc or len(keys) != 1 or len(value) > 512:
            raise GroupError(_("群机器人地址应为 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… （群设置 → 群机器人 → 复制 Webhook 地址），或只写 key。"))
        _checked_key(keys[0])
        return value
    _checked_key(value)
    return value


def _checked_key(key: str) -> None:
    if not ROBOT_KEY.match(key):
        raise GroupError(_("群机器人 key 应为 8–128 个字母、数字、- 或 _（Webhook 地址中 key= 之后的部分）。"))


def register_robot(session: Session, tag: str, webhook: str, actor: str, *, province: str = "",
                   configured: Mapping[str, str], api_base_url: str) -> tuple[Group, bool]:
    """A group robot kept in the database, tagged with its name; True when new (False: webhook replaced).

    A tag already in `[wecom.webhooks]` is refused: the config would win and the two would disagree.
    """
    [tag] = checked_tags([tag])
    webhook = checked_webhook(webhook)
    if tag in configured:
        raise GroupError(_("群机器人“{tag}”已在配置文件 [wecom.webhooks] 中；请换一个名称，或在配置中修改它。").format(tag=tag))
    group, created = record_group(session, ROBOT_CHANNEL, tag, title=tag)
    group.webhook = webhook
    group.tags = sorted({*group.tags, tag})
    if province:
        group.province = province
    session.add(group)
    audit(session, actor, "group.add_robot" if created else "group.update_robot", f"group:{group.id}", tag=tag,
          host=webhook_host(webhook, api_base_url), province=group.province)
    return group, created


def robot_webhook(session: Session, tag: str) -> str | None:
    """The webhook of an active robot registered in the database under `tag`."""
    return session.exec(select(Group.webhook).where(
        Group.channel == ROBOT_CHANNEL, Group.chat_id == tag, col(Group.active).is_(True), Group.webhook != "")).first()


# --- listing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    id: int
    channel: str
    chat_id: str
    title: str
    province: str
    kind: str
    tags: list[str]
    active: bool
    robot: str  # "config" / "database" for group robots, "" otherwise
    host: str  # a robot's webhook host (never the key)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "channel": self.channel, "chat_id": self.chat_id, "title": self.title,
                "province": self.province, "kind": self.kind, "tags": self.tags, "active": self.active,
                "robot": self.robot, "host": self.host}


def listing(session: Session, *, configured: Mapping[str, str], api_base_url: str, inactive: bool = False,
            channel: str | None = None) -> list[GroupRow]:
    query = select(Group).order_by(col(Group.id))
    if not inactive:
        query = query.where(col(Group.active).is_(True))
    if channel:
        query = query.where(Group.channel == channel)
    rows = []
    for g in session.exec(query).all():
        robot, host = "", ""
        if g.channel == ROBOT_CHANNEL:
            source = configured.get(g.chat_id) or g.webhook
            robot = "config" if g.chat_id in configured else "database" if g.webhook else ""
            host = webhook_host(source, api_base_url) if source else ""
        rows.append(GroupRow(g.id, g.channel, g.chat_id, g.title, g.province, g.kind, list(g.tags), g.active,  # type: ignore[arg-type]
                             robot, host))
    return rows
