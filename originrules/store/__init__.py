"""Supplier declarations and decision records, in a real database (SQLAlchemy Core, Alembic).

    store = Store()                       # --db URL, else ORIGINRULES_DB, else SQLite in the user's data directory
    store.import_declarations("ltsd.csv")  # all rows or none
    resolved = store.resolve(bom, "UAE", day)  # materials' status from the declarations valid that day
    store.record([...]); store.verify()

No engine logic here: deciding is the engine's; this keeps what was declared and decided.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Store", "StoreError"]


def __getattr__(name: str) -> Any:
    # loaded when first used: a batch that only builds record rows (store.rows) or hands them to
    # the writer process (store.writer) never loads SQLAlchemy in the deciding process
    if name == "Store":
        from originrules.store.core import Store

        return Store
    if name == "StoreError":
        from originrules.store.db import StoreError

        return StoreError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
