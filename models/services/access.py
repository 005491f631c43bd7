"""Administrator access verbs: set a password, sign in with it or with a one-time link, keep a session.

Only contacts with the admin role who are active may sign in; their provinces are read
again on every request (see `session_admin`), so a changed scope applies at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from bot.db import unit_of_work
from bot.messages import storable
from bot.i18n import N_, _
from models.access import AdminCredential, AdminSession, LoginToken
from models.base import parse_id
from models.registry import Contact, Role
from models.services import throttle
from models.services.audit import audit

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=10)
MIN_PASSWORD = 10
TOO_MANY = N_("登录尝试次数过多，请 15 分钟后再试，或在聊天中向机器人发送“登录”获取登录链接")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccessError(Exception):
    """A refused sign-in or password change; the message says why, in Chinese."""


class TooManyAttempts(AccessError):
    """The login throttle is spent for this client address or this account name (see `throttle`)."""


def hash_password(password: str) -> str:
    """scrypt with a random salt, self-describing: scrypt$n$r$p$salt$digest (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt)}${b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_admin(session: Session, who: str) -> Contact:
    """An active admin by contact number or by name; AccessError when none or several match."""
    key = who.strip()
    query = select(Contact).where(Contact.role == Role.admin, Contact.active == True)  # noqa: E712
    number = parse_id(key)
    query = query.where(Contact.id == number) if number is not None else query.where(Contact.name == key)
    matches = session.exec(query).all()
    if not matches:
        raise AccessError(_("没有名为或编号为“{key}”的管理员").format(key=key))
    if len(matches) > 1:
        raise AccessError(_("有 {n} 位管理员名为“{key}”，请改用编号：{ids}").format(
            n=len(matches), key=key, ids=_("、").join(str(c.id) for c in matches)))
    return matches[0]


def set_password(session: Session, contact: Contact, password: str, actor: str, now: datetime) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError(_("密码至少 {n} 个字符").format(n=MIN_PASSWORD))
    credential = session.exec(select(AdminCredential).where(AdminCredential.contact_id == contact.id)).first()
    if credential is None:
        credential = AdminCredential(contact_id=contact.id, password_hash="", created_at=now)  # type: ignore[arg-type]
    credential.password_hash = hash_password(password)
    credential.updated_at = now
    session.add(credential)
    audit(session, actor, "admin.set_password", f"contact:{contact.id}")


def sign_in_with_password(engine: Engine, who: str, password: str, client: str | None, now: datetime,
                          lifetime: timedelta) -> OpenedSession:
    """A session for the admin these credentials belong to, or AccessError saying only what may be said.

    Two units of work: first one evaluation is reserved for the client address and for the name as
    typed (committed, so parallel attempts see it; TooManyAttempts when either is spent), then the
    password is checked and the session opened, or the failure audited. An unknown name, an
    ambiguous one and an admin without a password cost the same scrypt evaluation and get the same
    answer as a wrong password, so neither the answer nor its timing tells which names exist.
    """
    try:
        with unit_of_work(engine) as session:
            throttle.admit(session, [(throttle.client_key(client), throttle.CLIENT_LIMIT),
                                     (throttle.account_key(who), throttle.ACCOUNT_LIMIT)], now)
    except throttle.Throttled as exc:
        log.warning("review login throttled (%s, %s)", "client" if str(exc).startswith("client:") else "account",
                    client)
        raise TooManyAttempts(_(TOO_MANY)) from None
    with unit_of_work(engine) as session:
        contact = _admin_named(session, who)
        credential = session.exec(select(AdminCredential).where(AdminCredential.contact_id == contact.id)).first() \
            if contact is not None else None
        right = check_password(password, credential.password_hash if credential is not None else _decoy_hash())
        if contact is not None and credential is not None and right:
            return open_session(session, contact, "password", lifetime, now)
        target = f"contact:{contact.id}" if contact is not None else storable(who[:200])
        audit(session, "web", "review.login_failed", target, client=storable((client or "")[:64]),
              **({} if contact is not None else {"reason": "unknown admin"}))
    raise AccessError(_("姓名（或编号）或密码不正确"))


def _admin_named(session: Session, who: str) -> Contact | None:
    """The one active admin by that contact number or name; None when none or several (the form says no more)."""
    try:
        return find_admin(session, storable(who))
    except AccessError:
        return None


@cache
def _decoy_hash() -> str:
    """What a name without a password is checked against, so it takes as long as a real one."""
    return hash_password(secrets.token_urlsafe(16))


def issue_login_link(session: Session, contact: Contact, now: datetime) -> str:
    """A random token for `/review/login/TOKEN`, valid once for LINK_LIFETIME; only its digest is stored."""
    if contact.role != Role.admin or not contact.active:
        raise AccessError(_("只有管理员可以登录审核页面"))
    token = secrets.token_urlsafe(24)
    session.add(LoginToken(token_hash=digest(token), contact_id=contact.id, created_at=now,  # type: ignore[arg-type]
                           expires_at=now + LINK_LIFETIME))
    audit(session, f"contact:{contact.id}", "review.link_issued", f"contact:{contact.id}")
    return token


def peek_login_link(session: Session, token: str, now: datetime) -> Contact:
    """The admin a link would sign in, without using it (the confirmation page)."""
    row = _live_link(session, token, now)
    contact = session.get(Contact, row.contact_id)
    if contact is None or contact.role != Role.admin or not contact.active:
        raise AccessError(_("该账号已不是管理员，不能登录"))
    return contact


def redeem_login_link(session: Session, token: str, now: datetime) -> Contact:
    """Use the link: a guarded UPDATE so two clicks at once sign in only one browser."""
    contact = peek_login_link(session, token, now)
    claimed = session.execute(
        update(LoginToken).where(col(LoginToken.token_hash) == digest(token), col(LoginToken.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AccessError(_("该登录链接已被使用过，请在聊天中重新发送“登录”"))
    return contact


def _live_link(session: Session, token: str, now: datetime) -> LoginToken:
    row = session.exec(select(LoginToken).where(LoginToken.token_hash == digest(token))).first()
    if row is None:
        raise AccessError(_("登录链接无效，请在聊天中向机器人发送“登录”获取新的链接"))
    if row.used_at is not None:
        raise AccessError(_("该登录链接已被使用过，请在聊天中重新发送“登录”"))
    if row.expires_at <= now:
        raise AccessError(_("登录链接已过期（10 分钟内有效），请在聊天中重新发送“登录”"))
    return row


@dataclass(frozen=True)
class OpenedSession:
    cookie: str  # the secret the browser keeps
    csrf_token: str


def open_session(session: Session, contact: Contact, method: str, lifetime: timedelta, now: datetime) -> OpenedSession:
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(AdminSession(token_hash=digest(cookie), contact_id=contact.id, csrf_token=csrf,  # type: ignore[arg-type]
                             method=method, created_at=now, expires_at=now + lifetime))
    session.execute(delete(AdminSession).where(col(AdminSession.expires_at) < now))  # tidy old ones
    audit(session, f"contact:{contact.id}", "review.login", f"contact:{contact.id}", method=method)
    return OpenedSession(cookie, csrf)


def session_admin(session: Session, cookie: str, now: datetime) -> tuple[AdminSession, Contact] | None:
    """The live session and its admin for a cookie; None when unknown, expired or no longer an admin."""
    row = session.exec(select(AdminSession).where(AdminSession.token_hash == digest(cookie))).first()
    if row is None or row.expires_at <= now:
        return None
    contact = session.get(Contact, row.contact_id)
    if contact is None or contact.role != Role.admin or not contact.active:
        return None
    return row, contact


def close_session(session: Session, cookie: str) -> None:
    row = session.exec(select(AdminSession).where(AdminSession.token_hash == digest(cookie))).first()
    if row is not None:
        audit(session, f"contact:{row.contact_id}", "review.logout", f"contact:{row.contact_id}")
        session.delete(row)
