"""Decision records: append-only, each with the input and the ruleset text it was decided from,
so that `audit verify` can decide it again and compare the bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from originrules.engine import Decision
from originrules.errors import Problem
from originrules.store.db import StoreError
from originrules.store.schema import records, rulesets


def add(conn: sa.Connection, rows: list[dict[str, Any]], texts: dict[str, str]) -> None:
    """Append records (and the ruleset texts they need) in the caller's transaction."""
    shas = {r["_ruleset"] for r in rows}
    have = {r.sha256 for r in conn.execute(sa.select(rulesets.c.sha256).where(rulesets.c.sha256.in_([s for s, _ in shas])))}
    for sha, path in shas:
        if sha not in have:
            text = texts[sha]
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
                # an overlay's decisions rest on two texts (the base and the overlay): not kept yet
                raise StoreError(Problem(f"{path}: a decision under this ruleset cannot be recorded (an overlay, or the file changed since it was read)", code="STO002"))
            conn.execute(_insert_once(conn, rulesets).values(sha256=sha, path=path, text=text))
    if conn.dialect.name == "postgresql":
        _copy(conn, rows)
    else:
        conn.execute(records.insert(), [{k: v for k, v in r.items() if k != "_ruleset"} for r in rows])


_COLUMNS = [c.name for c in records.columns if c.name != "id"]


def _copy(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by COPY, in the same transaction (half the server's time of a
    multi-row INSERT for records of a few kilobytes). The values go as data, never as SQL."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY records ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([r[c] for c in _COLUMNS])


def _insert_once(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT that does nothing if the key is there: two runs may store one ruleset at once."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def history(conn: sa.Connection, product: str | None = None, agreement: str | None = None) -> list[dict[str, Any]]:
    q = sa.select(records.c.id, records.c.decision_id, records.c.kind, records.c.recorded_at, records.c.on_date, records.c.agreement, records.c.hs_code,
                  records.c.product, records.c.verdict, records.c.input_sha256, records.c.ruleset_sha256, records.c.context).order_by(records.c.id)
    if product:
        # the user's text matched literally: % and _ are not wildcards here
        like = "%" + product.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        q = q.where(sa.or_(records.c.product.ilike(like, escape="!"), records.c.hs_code.like(like, escape="!")))
    if agreement:
        q = q.where(records.c.agreement == agreement)
    out = []
    for r in conn.execute(q):
        out.append({
            "id": r.id, "decision_id": r.decision_id, "kind": r.kind, "recorded_at": r.recorded_at.isoformat(), "date": r.on_date.isoformat(),
            "agreement": r.agreement, "hs_code": r.hs_code, "product": r.product, "verdict": r.verdict,
            "input_sha256": r.input_sha256, "ruleset_sha256": r.ruleset_sha256, "declarations": json.loads(r.context)["declarations"],
        })
    return out


def replay(r: Any, ruleset_text: str, ruleset_path: str) -> str:
    """Decide a record again from its stored input and ruleset text; the output it would give."""
    import attrs

    from originrules.bom import loads
    from originrules.compile import compile_ruleset
    from originrules.engine import check
    from originrules.lang.resolve import load_text

    context = json.loads(r.context)
    bom = loads(r.input, "record")
    bom = attrs.evolve(bom, warnings=tuple(context["warnings"]), what_if=tuple(context["what_if"]))
    crs = compile_ruleset(load_text(ruleset_text, ruleset_path))
    decision = check(bom, crs, assume_origin=r.assume_origin, on=r.on_date)
    return render_record(decision, r.kind, context.get("line"))


def render_record(decision: Decision, kind: str, line: int | None = None) -> str:
    """What a record keeps as its output: the decision JSON (check), or the batch record line."""
    if kind == "batch":
        from originrules.batch import record_line

        return record_line(line or 0, decision)
    from originrules.report import render

    return render(decision, "json")


def verify(conn: sa.Connection) -> tuple[int, list[dict[str, Any]]]:
    """(records checked, those that do not reproduce byte for byte)."""
    texts = {r.sha256: (r.text, r.path) for r in conn.execute(sa.select(rulesets))}
    count, bad = 0, []
    for r in conn.execute(sa.select(records).order_by(records.c.id)):
        count += 1
        text, path = texts[r.ruleset_sha256]
        try:
            again = replay(r, text, path)
        except Exception as e:  # noqa: BLE001 - a record that cannot be replayed is a failed verification
            bad.append({"id": r.id, "decision_id": r.decision_id, "why": f"cannot be decided again: {type(e).__name__}: {e}"})
            continue
        if again != r.output:
            bad.append({"id": r.id, "decision_id": r.decision_id, "why": "decided again, the output differs"})
    return count, bad
