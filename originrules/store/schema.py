"""The tables, declared once. Every change to them is a numbered migration (migrations/)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: supplier declarations of origin: one row per reference, as it stands now
declarations = sa.Table(
    "declarations",
    metadata,
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
    sa.Column("source", sa.String(1000), nullable=False),  # the file it was imported from
    sa.Index("ix_declarations_part", "supplier", "part_number"),
    sa.Index("ix_declarations_part_number", "part_number"),  # migration 0002
)

#: every change to a declaration (imported, updated, revoked), with the row as it then stood
declaration_history = sa.Table(
    "declaration_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(200), nullable=False, index=True),
    sa.Column("change", sa.String(20), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)

#: the ruleset texts decisions were made under, by their SHA-256
rulesets = sa.Table(
    "rulesets",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(1000), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

#: decisions, append-only: what was decided, from which input, under which ruleset text
records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("decision_id", sa.String(32), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),  # "check": the decision JSON; "batch": the batch record
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("agreement", sa.String(40), nullable=False, index=True),
    sa.Column("hs_code", sa.String(10), nullable=False),
    sa.Column("product", sa.Text, nullable=False),
    sa.Column("verdict", sa.String(20), nullable=False),
    sa.Column("input_sha256", sa.String(64), nullable=False),
    sa.Column("ruleset_sha256", sa.String(64), sa.ForeignKey("rulesets.sha256"), nullable=False),
    sa.Column("assume_origin", sa.Boolean, nullable=False),
    sa.Column("input", sa.Text, nullable=False),  # the BOM text decided (the file's, or its canonical JSON)
    sa.Column("context", sa.Text, nullable=False),  # JSON: what-if changes, the BOM's warnings, declarations used
    sa.Column("output", sa.Text, nullable=False),  # exactly what was reported
    # the hash chain (store/chain.py, migration 0003): the entry hash of the record before, and this one's
    sa.Column("prev_sha256", sa.String(64), nullable=True),
    sa.Column("entry_sha256", sa.String(64), nullable=True),
)

#: the chain's head and length, one row: a record deleted from the end is seen too
record_chain = sa.Table(
    "record_chain",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
)
