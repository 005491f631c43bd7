"""How many passwords the review login may evaluate: per client address and per account name, per window.

`admit` reserves one evaluation for every key at once, each with a single conditional upsert —
`INSERT … ON CONFLICT (key) DO UPDATE … WHERE window over OR attempts < limit RETURNING key` — so
the count is read and raised in one statement under the row's lock: thirty parallel attempts on
one account get exactly `ACCOUNT_LIMIT` evaluations, never the 18 a read-then-write lets through.
A refused key rolls the whole reservation back (the caller's transaction), so an attempt counts
only where it is evaluated.

Keys hold no clue to which accounts exist: the account key is a digest of the name as typed
(folded: full-width, case, spaces; a contact number without leading zeros), the same for a real
admin and for a name nobody has. A window starts with the first attempt and lasts `WINDOW`;
attempts are counted whether the password was right or wrong.
"""

from __future__ import annotations

import hashlib
import ipaddress
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, or_, select
from sqlmodel import Session, col

from models.access import LoginThrottle
from models.base import UTCDateTime, parse_id, upsert_insert

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # password evaluations per account name per window
CLIENT_LIMIT = 20  # per client address (an IPv6 /64) per window: one office NAT, several admins


class Throttled(Exception):
    """Too many attempts in this window for one of the keys."""


def account_key(who: str) -> str:
    """The bucket of an account name as typed; a digest, so any text fits and nothing about it is kept."""
    text = "".join(unicodedata.normalize("NFKC", who).casefold().split())
    number = parse_id(text)
    canonical = f"#{number}" if number is not None else text
    return "account:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def client_key(address: str | None) -> str:
    """The bucket of a client address: IPv4 as is, IPv6 by its /64 (one host owns a whole /64)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "client:" + (address or "unknown")[:60]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"client:{ip.ipv4_mapped}"
        return "client:" + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return f"client:{ip}"


def admit(session: Session, limits: list[tuple[str, int]], now: datetime) -> None:
    """Reserve one evaluation under every (key, limit), in the order given; Throttled if any is spent.

    Raising rolls back the reservations already made in this transaction (commit it only when
    admitted). Give keys in one fixed order everywhere, so two attempts never wait on each other's rows.
    """
    cutoff = now - WINDOW
    for key, limit in limits:
        if not _reserve(session, key, limit, now, cutoff):
            raise Throttled(key)
    _tidy(session, now - 2 * WINDOW)


def _reserve(session: Session, key: str, limit: int, now: datetime, cutoff: datetime) -> bool:
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    over = table.c.window_start <= bindparam("cutoff", cutoff, type_=UTCDateTime)
    statement = upsert_insert(session.get_bind().dialect, table).values(key=key, window_start=now, attempts=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"attempts": case((over, 1), else_=table.c.attempts + 1),
              "window_start": case((over, statement.excluded.window_start), else_=table.c.window_start)},
        where=or_(over, table.c.attempts < limit),
    ).returning(table.c.key)
    return session.execute(statement).first() is not None


def _tidy(session: Session, before: datetime) -> None:
    """Drop rows of windows long over; rows another attempt holds are skipped, never waited for."""
    stale = (select(LoginThrottle.key).where(col(LoginThrottle.window_start) < before)
             .with_for_update(skip_locked=True))
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key).in_(stale)))
