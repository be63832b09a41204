"""An index on the part number alone: a BOM's status is looked up by its parts' numbers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_declarations_part_number", "declarations", ["part_number"])


def downgrade() -> None:
    op.drop_index("ix_declarations_part_number", "declarations")
