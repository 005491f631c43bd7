"""delivery engine: broadcast drafts, nudges, scope and unreachable list; delivery claimed_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:58:18.347174
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Server defaults fill the rows that already exist (broadcasts written before drafts existed were queued).
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='queued'))
        batch_op.add_column(sa.Column('creator_contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('unreachable', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('queued_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_broadcast_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key('fk_broadcast_parent_id_broadcast', 'broadcast', ['parent_id'], ['id'])
        batch_op.create_foreign_key('fk_broadcast_creator_contact_id_contact', 'contact',
                                    ['creator_contact_id'], ['id'])

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')

    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_constraint('fk_broadcast_creator_contact_id_contact', type_='foreignkey')
        batch_op.drop_constraint('fk_broadcast_parent_id_broadcast', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_broadcast_parent_id'))
        batch_op.drop_column('queued_at')
        batch_op.drop_column('unreachable')
        batch_op.drop_column('scope')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('creator_contact_id')
        batch_op.drop_column('status')
