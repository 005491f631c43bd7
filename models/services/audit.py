"""The audit trail: who did what, when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from models.messaging import AuditLog


def audit(session: Session, actor: str, action: str, target: str = "", **details: Any) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target, details=details))
