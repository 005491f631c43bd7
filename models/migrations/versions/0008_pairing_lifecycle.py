"""pairings over time: 组团式 groups, and the day a status change took effect

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 03:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pairinggroup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('leading_organization_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.ForeignKeyConstraint(['leading_organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_id', 'name')
    )
    with op.batch_alter_table('pairinggroup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairinggroup_county_id'), ['county_id'], unique=False)

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_pairing_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key('fk_pairing_group', 'pairinggroup', ['group_id'], ['id'])

    with op.batch_alter_table('pairingstatuschange', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_on', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('pairingstatuschange', schema=None) as batch_op:
        batch_op.drop_column('effective_on')

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_constraint('fk_pairing_group', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_pairing_group_id'))
        batch_op.drop_column('group_id')

    with op.batch_alter_table('pairinggroup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairinggroup_county_id'))

    op.drop_table('pairinggroup')
