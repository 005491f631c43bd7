"""ledger: running totals per update, monthly sums per account, agreements per season

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _month_figures() -> list[sa.Column]:
    """The columns both sums tables share (models.ledger.MonthFigures)."""
    return [*(sa.Column(name, sa.Float(), nullable=False) for name in ("funds_wan", "committed_wan", "sales_wan")),
            *(sa.Column(name, sa.BigInteger(), nullable=False) for name in ("households", "people", "projects")),
            sa.Column("updates", sa.Integer(), nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table("progressupdate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cumulative", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("ledger_delta", sa.JSON(), nullable=False, server_default="{}"))

    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("season", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_agreement_superseded_by", "agreement", ["superseded_by_id"], ["id"])
    # An agreement signed on or before 31 August meets that year's deadline, one signed later the next year's.
    agreement = sa.table("agreement", sa.column("id", sa.Integer), sa.column("signed_on", sa.Date),
                         sa.column("season", sa.Integer))
    connection = op.get_bind()
    for row_id, signed_on in connection.execute(sa.select(agreement.c.id, agreement.c.signed_on)).all():
        if isinstance(signed_on, str):
            signed_on = sa.Date().result_processor(connection.dialect, None)(signed_on)  # type: ignore[misc]
        season = signed_on.year + (1 if (signed_on.month, signed_on.day) > (8, 31) else 0)
        connection.execute(agreement.update().where(agreement.c.id == row_id).values(season=season))
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.alter_column("season", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_agreement_pairing_season", ["pairing_id", "season"], unique=False)

    op.create_table(
        "ledgermonth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        *_month_figures(),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["county.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairing.id"]),
        sa.ForeignKeyConstraint(["sender_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pairing_id", "sender_id", "month"),
    )
    with op.batch_alter_table("ledgermonth", schema=None) as batch_op:
        for column in ("pairing_id", "sender_id", "county_id", "organization_id", "month"):
            batch_op.create_index(batch_op.f(f"ix_ledgermonth_{column}"), [column], unique=False)

    op.create_table(
        "ledgercountymonth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        *_month_figures(),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in (
            "field_industry", "field_employment", "field_education", "field_health", "field_elderly",
            "field_consumption", "field_other")),
        sa.ForeignKeyConstraint(["county_id"], ["county.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("county_id", "month"),
    )
    with op.batch_alter_table("ledgercountymonth", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledgercountymonth_county_id"), ["county_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledgercountymonth_month"), ["month"], unique=False)

    # Existing updates enter the new sums (the service is imported late: it needs the tables above).
    from models.services.sums import rebuild_all

    rebuild_all(connection)


def downgrade() -> None:
    op.drop_table("ledgercountymonth")
    op.drop_table("ledgermonth")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_pairing_season")
        batch_op.drop_constraint("fk_agreement_superseded_by", type_="foreignkey")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("season")
    with op.batch_alter_table("progressupdate", schema=None) as batch_op:
        batch_op.drop_column("ledger_delta")
        batch_op.drop_column("cumulative")
