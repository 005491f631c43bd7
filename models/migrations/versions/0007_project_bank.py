"""项目库: needs, claims and offers; projects from confirmed needs; updates that name a project

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 03:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount_wan', sa.Float(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('people', sa.Integer(), nullable=True),
    sa.Column('wanted_by', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('published_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_field'), ['field'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_status'), ['status'], unique=False)

    op.create_table('offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('provinces', sa.JSON(), nullable=False),
    sa.Column('capacity_wan', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_field'), ['field'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_organization_id'), ['organization_id'], unique=False)

    op.create_table('needclaim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('decided_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('need_id', 'organization_id')
    )
    with op.batch_alter_table('needclaim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needclaim_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needclaim_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needclaim_status'), ['status'], unique=False)

    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditlog_target'), ['target'], unique=False)

    with op.batch_alter_table('progressupdate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_progressupdate_project_id'), ['project_id'], unique=False)
        batch_op.create_foreign_key('fk_progressupdate_project', 'project', ['project_id'], ['id'])

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('need_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('closed_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_project_status'), ['status'], unique=False)
        batch_op.create_unique_constraint('uq_project_need_id', ['need_id'])
        batch_op.create_foreign_key('fk_project_need', 'need', ['need_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint('fk_project_need', type_='foreignkey')
        batch_op.drop_constraint('uq_project_need_id', type_='unique')
        batch_op.drop_index(batch_op.f('ix_project_status'))
        batch_op.drop_column('closed_at')
        batch_op.drop_column('close_reason')
        batch_op.drop_column('description')
        batch_op.drop_column('need_id')

    with op.batch_alter_table('progressupdate', schema=None) as batch_op:
        batch_op.drop_constraint('fk_progressupdate_project', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_progressupdate_project_id'))
        batch_op.drop_column('project_id')

    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditlog_target'))

    with op.batch_alter_table('needclaim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needclaim_status'))
        batch_op.drop_index(batch_op.f('ix_needclaim_organization_id'))
        batch_op.drop_index(batch_op.f('ix_needclaim_need_id'))

    op.drop_table('needclaim')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_organization_id'))
        batch_op.drop_index(batch_op.f('ix_offer_field'))
        batch_op.drop_index(batch_op.f('ix_offer_active'))

    op.drop_table('offer')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_status'))
        batch_op.drop_index(batch_op.f('ix_need_field'))
        batch_op.drop_index(batch_op.f('ix_need_county_id'))
        batch_op.drop_index(batch_op.f('ix_need_contact_id'))

    op.drop_table('need')
