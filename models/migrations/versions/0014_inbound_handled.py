"""inbound messages stored before they are handled: handled_at, payload, and an index of the unhandled

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inboundmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    op.execute("UPDATE inboundmessage SET handled_at = received_at")  # every earlier message was handled
    with op.batch_alter_table("inboundmessage", schema=None) as batch_op:
        batch_op.create_index("ix_inboundmessage_unhandled", ["id"], unique=False,
                              sqlite_where=sa.text("handled_at IS NULL"),
                              postgresql_where=sa.text("handled_at IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table("inboundmessage", schema=None) as batch_op:
        batch_op.drop_index("ix_inboundmessage_unhandled")
        batch_op.drop_column("payload")
        batch_op.drop_column("handled_at")
