"""Records chained by hash (store/chain.py): each record's previous and own entry hash, and the
chain's head and length in a table of one row, so that a deleted last record is seen too.
Records made before this migration are sealed by it, in their order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from originrules.store.chain import GENESIS, entry_hash

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("prev_sha256", sa.String(64), nullable=True))
    op.add_column("records", sa.Column("entry_sha256", sa.String(64), nullable=True))
    chain = op.create_table(
        "record_chain",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("length", sa.Integer, nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
    )
    conn = op.get_bind()
    records = sa.table("records", *(sa.column(c) for c in ("id", "prev_sha256", "entry_sha256", "decision_id", "kind", "recorded_at", "on_date", "agreement",
                                                          "hs_code", "product", "verdict", "input_sha256", "ruleset_sha256", "assume_origin", "input", "context", "output")))
    previous, length = GENESIS, 0
    for r in conn.execute(sa.select(records).order_by(records.c.id)).mappings().all():
        entry = entry_hash(previous, r)
        conn.execute(records.update().where(records.c.id == r["id"]).values(prev_sha256=previous, entry_sha256=entry))
        previous, length = entry, length + 1
    op.bulk_insert(chain, [{"id": 1, "length": length, "head": previous}])


def downgrade() -> None:
    op.drop_table("record_chain")
    op.drop_column("records", "entry_sha256")
    op.drop_column("records", "prev_sha256")
