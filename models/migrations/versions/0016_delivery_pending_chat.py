"""an index of the pending deliveries by chat: a worker sends the oldest pending row of its chat

Workers claim, for the chat a queue message names, the oldest pending row that is due, so that a
chat's messages go out in the order they were written whichever worker holds the chat's rate-limit
slot. Partial (pending rows only): it stays as small as the queue, whatever the outbox's history.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 19:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_pending_chat", "delivery", ["channel", "chat_id", "id"],
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_delivery_pending_chat", table_name="delivery")
