"""The records' hash chain: each record's entry hash covers every column it shows and the hash of
the record before it, so that an edited, deleted, inserted or reordered record breaks the chain.

Without a key kept outside the database this proves consistency, not authorship: whoever can
write the database can also rewrite the whole chain from the first changed record on. An auditor
who keeps a chain head printed by `audit verify` (`--anchor HASH` later) closes that gap for every
record up to it (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of the first record

#: the columns an entry hash covers: every column a record shows, in this order (not its id,
#: which only orders the chain)
SEALED = (
    "decision_id", "kind", "recorded_at", "on_date", "agreement", "hs_code", "product", "verdict",
    "input_sha256", "ruleset_sha256", "assume_origin", "input", "context", "output",
)


def _plain(value: Any) -> Any:
    """A column's value as the same text whichever database kept it: a timestamp in UTC without
    its zone (SQLite keeps none), a date as ISO text, a flag as true/false."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value in (0, 1) and not isinstance(value, str):
        return bool(value)
    return value


def entry_hash(previous: str, row: Mapping[str, Any]) -> str:
    """The hash of one record, chained to the one before it."""
    body = json.dumps([previous, *(_plain(row[c]) for c in SEALED)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
