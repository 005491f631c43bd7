"""Merge the delivery (0002), reminders (0003) and review (0004) branches into one head.

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-25 14:20:28
"""
from collections.abc import Sequence

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
