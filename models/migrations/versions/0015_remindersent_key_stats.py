"""extended statistics on the reminder ledger's key: the planner's estimate of one reminder's rows

The steady reminder tick anti-joins each planning query with the ledger rows of one (obligation,
obligation_id, period, stage). Multiplying the four columns' selectivities as if independent,
PostgreSQL estimated such a set 8× too small (95,614 rows for 770,000 at 1,000,000 contacts), so it
joined the ledger last, after hashing every chat identity, county and organization: 12 s a tick
where 7 s suffice. Functional-dependency and n-distinct statistics on the four columns fix the
estimate. Nothing on SQLite (it has no such statistics).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 10:30:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS remindersent_key_stats (dependencies, ndistinct) "
                   "ON obligation, obligation_id, period, stage FROM remindersent")
        op.execute("ANALYZE remindersent")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS remindersent_key_stats")
