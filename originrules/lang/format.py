"""Canonical text of rule expressions, and the canonical dump of a whole ruleset.

The dump is what the snapshot tests pin: every legal parameter with its source, every rule
with its key, canonical body and citation. A change to a ruleset shows up there as a diff a
reviewer can read.
"""

from __future__ import annotations

import json
from typing import Any

from originrules.hs import CodeSet
from originrules.lang import ast


def codes_text(codes: CodeSet) -> str:
    return ", ".join(str(r) for r in codes.ranges)


def expr_text(e: ast.Expr, parent: str | None = None) -> str:
    """One canonical spelling; `and` inside `or` needs no parentheses, `or` inside `and` does."""
    if isinstance(e, (ast.And, ast.Or)):
        word = " and " if isinstance(e, ast.And) else " or "
        text = word.join(expr_text(i, type(e).__name__) for i in e.items)
        return f"({text})" if parent == "And" and isinstance(e, ast.Or) else text
    if isinstance(e, ast.Shift):
        text = e.test
        if e.exception:
            text += f" except {codes_text(e.exception)}"
        if e.tolerance_withheld is True:
            text += " without tolerance"
        elif e.tolerance_withheld:
            text += f" without tolerance for {codes_text(e.tolerance_withheld)}"
        return text
    if isinstance(e, ast.WhollyObtained):
        return "WO"
    if isinstance(e, ast.Process):
        return f"process({e.name})"
    if isinstance(e, ast.ValueTest):
        args = [a for a in (e.method, e.basis) if a]
        text = e.name + (f"({', '.join(args)})" if args else "")
        if e.scope:
            text += f" from {codes_text(e.scope)}"
        return f"{text} {e.operator} {threshold_text(e.threshold)}"
    if isinstance(e, ast.Call):
        return e.name + (f"({', '.join(threshold_text(a) for a in e.args)})" if e.args else "")
    raise TypeError(f"cannot print {e!r}")


def threshold_text(t: ast.Threshold) -> str:
    return str(t)


def _prov(p: ast.Provenance) -> dict[str, Any]:
    out: dict[str, Any] = {"source": p.source}
    if p.inferred:
        out["inferred"] = p.note or True
    return out


def dump(rs: ast.Ruleset) -> str:
    """A stable, readable JSON dump of a ruleset's meaning (not its layout or comments)."""
    ag = rs.agreement
    header: dict[str, Any] = {
        "code": ag.code,
        "name": ag.name,
        "instrument": ag.instrument,
        "aliases": list(ag.aliases),
    }
    for p in ag.params:
        if p.keyword == "method":
            name, formula = p.value
            header[f"method {name}"] = {"formula": str(formula), **_prov(p.provenance)}
        elif p.keyword == "de_minimis":
            continue
        elif p.keyword != "aliases":
            values = [list(v) if isinstance(v, tuple) else str(v) for v in p.value]
            header[p.keyword] = {"value": values[0] if len(values) == 1 else values, **_prov(p.provenance)}
    header["de_minimis"] = [
        {
            "percent": str(d.percent),
            "of": d.of,
            "for": codes_text(d.for_codes),
            "except": codes_text(d.except_codes),
            "within_maxnom": d.within_maxnom,
            **_prov(d.provenance),
        }
        for d in ag.de_minimis
    ]
    lets = [
        {"name": let.name, "params": list(let.params), "body": expr_text(let.body), "line": let.span.line, **_prov(let.provenance)}
        for let in rs.lets
    ]
    rules = [
        {
            "key": r.key_text,
            "description": r.description,
            "subdivision": r.subdivision,
            "body": expr_text(r.body),
            "line": r.span.line,
            **_prov(r.provenance),
        }
        for r in rs.rules
    ]
    return json.dumps({"agreement": header, "lets": lets, "rules": rules}, indent=2, ensure_ascii=False) + "\n"
