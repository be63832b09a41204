"""Declarations (with their history), ruleset texts and decision records.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declarations",
        sa.Column("reference", sa.String(200), primary_key=True),
        sa.Column("supplier", sa.String(500), nullable=False),
        sa.Column("part_number", sa.String(200), nullable=False),
        sa.Column("hs_code", sa.String(10), nullable=False),
        sa.Column("origin", sa.String(2), nullable=False),
        sa.Column("originating", sa.Boolean, nullable=False),
        sa.Column("agreement", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("revoked_on", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
    )
    op.create_index("ix_declarations_part", "declarations", ["supplier", "part_number"])
    op.create_table(
        "declaration_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_declaration_history_reference", "declaration_history", ["reference"])
    op.create_table(
        "rulesets",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("agreement", sa.String(40), nullable=False),
        sa.Column("hs_code", sa.String(10), nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("ruleset_sha256", sa.String(64), sa.ForeignKey("rulesets.sha256"), nullable=False),
        sa.Column("assume_origin", sa.Boolean, nullable=False),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
    )
    op.create_index("ix_records_decision_id", "records", ["decision_id"])
    op.create_index("ix_records_agreement", "records", ["agreement"])


def downgrade() -> None:
    op.drop_table("records")
    op.drop_table("rulesets")
    op.drop_table("declaration_history")
    op.drop_table("declarations")
