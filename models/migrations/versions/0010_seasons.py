"""seasons: the yearly agreement deadline is marked with its season, one row per season

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:00:00
"""
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The name `pairbot init` gave the agreement deadline before seasons were recorded.
SEASON_NAME = re.compile(r"^(\d{4})年帮扶协议签订$")


def upgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("season", sa.Integer(), nullable=True))
    # Deadlines that `pairbot init` made (by their name, due in their season's year) join the yearly series,
    # so the scheduler does not make a second one for that season.
    deadline = sa.table("deadline", sa.column("id", sa.Integer), sa.column("name", sa.String),
                        sa.column("kind", sa.String), sa.column("due_on", sa.Date), sa.column("season", sa.Integer))
    connection = op.get_bind()
    rows = connection.execute(sa.select(deadline.c.id, deadline.c.name, deadline.c.due_on)
                              .where(deadline.c.kind == "agreement")).all()
    for row_id, name, due_on in rows:
        if isinstance(due_on, str):
            due_on = sa.Date().result_processor(connection.dialect, None)(due_on)  # type: ignore[misc]
        match = SEASON_NAME.match(name)
        if match and int(match.group(1)) == due_on.year:
            connection.execute(deadline.update().where(deadline.c.id == row_id).values(season=due_on.year))
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_kind_season", ["kind", "season"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_kind_season")
        batch_op.drop_column("season")
