"""Administrator access to the review pages: passwords, one-time login links and web sessions.

Secrets are never stored: a password is kept as an scrypt hash, a login token and a session
cookie as their SHA-256 digest, so a copy of the database opens no session.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at, timestamp


class AdminCredential(SQLModel, table=True):
    """The password of one admin contact (set with `pairbot admin set-password`)."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True, index=True)
    password_hash: str = Field(max_length=256)
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class LoginToken(SQLModel, table=True):
    """A single-use, short-lived login link the bot sent to an admin in chat."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = timestamp()


class AdminSession(SQLModel, table=True):
    """One signed-in browser: the cookie holds a random token whose digest is the key here."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    csrf_token: str = Field(max_length=64)
    method: str = Field(default="", max_length=16)  # password / link
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class LoginThrottle(SQLModel, table=True):
    """Password evaluations in the current window for one key: a client address or an account name as typed.

    Reserved by one conditional upsert (see `models.services.throttle`), so parallel attempts cannot
    pass the limit between a read and a write; rows of windows long over are tidied away.
    """

    key: str = Field(primary_key=True, max_length=80)  # client:ADDRESS / account:SHA-256 of the name
    window_start: datetime = Field(sa_type=UTCDateTime, index=True)
    attempts: int = Field(default=0)
