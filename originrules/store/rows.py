"""A decision as the row the records table keeps. Built where the decision is made, so this
module loads no database code: the deciding process of `batch --record` never loads SQLAlchemy
(the rows go to store.writer's process)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from originrules.bom import Bom
from originrules.engine import Decision


def input_text(bom: Bom, original: str | None) -> str:
    """The text the decision's input_sha256 is of: the file as read, or the BOM's canonical JSON."""
    if bom.digest is not None and original is not None:
        return original
    return bom.canonical_json()


def row(
    decision: Decision, kind: str, output: str, original: str | None, on: dt.date, used: tuple[str, ...], now: dt.datetime, **extra: Any
) -> dict[str, Any]:
    """A record of a decision: `output` is exactly what was reported (render_record's text);
    `extra` is kept in the context (the batch line number, a duty saving)."""
    bom = decision.bom
    context = {"what_if": list(bom.what_if), "warnings": list(bom.warnings), "declarations": list(used), **extra}
    return {
        "decision_id": decision.decision_id,
        "kind": kind,
        "recorded_at": now,
        "on_date": on,
        "agreement": decision.agreement.code,
        "hs_code": bom.product.hs_code,
        "product": bom.product.description,
        "verdict": decision.verdict,
        "input_sha256": decision.input_sha256,
        "ruleset_sha256": decision.ruleset.sha256,
        "assume_origin": decision.assume_origin,
        "input": input_text(bom, original),
        "context": json.dumps(context, sort_keys=True, ensure_ascii=False),
        "output": output,
        "_ruleset": (decision.ruleset.sha256, decision.ruleset.path),
    }
