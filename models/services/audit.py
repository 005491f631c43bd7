"""The audit trail: who did what, when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.i18n import _
from models.messaging import AuditLog

MAX_REASON = 500  # a reason or note an admin writes: refused beyond this, not cut (cut short, it may say the opposite)


def audit(session: Session, actor: str, action: str, target: str = "", **details: Any) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target, details=details))


def reason_too_long(reason: str) -> str | None:
    """Why a reason or note is refused (the audit log and the sender's notice keep it as written); None if it fits."""
    if len(reason) <= MAX_REASON:
        return None
    return _("原因最多 {most} 字（实际 {n} 字），请写得简短些。").format(most=MAX_REASON, n=len(reason))
