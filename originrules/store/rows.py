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
    if bom.register:  # what the register said of each material, shown in the report: kept so the record replays
        context["register"] = {k: list(v) for k, v in bom.register.items()}
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


# ---------------------------------------------------------------- the batch's record of a decision
# (here, below both batch.py and store/records.py, which keeps it as a record's output)


def dumps_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def record_line(line: int, decision: Decision) -> str:
    """A decision as `batch` writes it (the summary record), one JSON line."""
    return dumps_line(batch_record(line, decision.bom, decision, False))


def batch_record(line: int, bom: Bom, decision: Decision, explain: bool) -> dict[str, Any]:
    if explain:
        return {"line": line, "agreement": decision.agreement.code, **decision.to_dict()}
    return {
        "line": line,
        "agreement": decision.agreement.code,
        "hs_code": bom.product.hs_code,
        "originating": decision.originating,
        "verdict": decision.verdict,
        "rule": decision.rule.key if decision.rule else None,
        "rule_source": decision.rule.source if decision.rule else None,
        # why it does not originate, in short: the failing tests with their figures
        "reasons": list(decision.reasons) + decision.failures(),
        "warnings": list(decision.warnings),
        "decision_id": decision.decision_id,
    }
