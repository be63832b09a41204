"""Decision records: append-only, each with the input and the ruleset text it was decided from,
so that `audit verify` can decide it again and compare the bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from originrules.engine import Decision
from originrules.errors import Problem
from originrules.store.chain import GENESIS, entry_hash
from originrules.store.db import StoreError, insert_many
from originrules.store.schema import record_chain, records, rulesets


def add(conn: sa.Connection, rows: list[dict[str, Any]], texts: dict[str, str]) -> None:
    """Append records (and the ruleset texts they need) in the caller's transaction, each chained
    by hash to the one before it."""
    # the chain's head is taken under a write lock first (its row, updated to itself): two
    # processes recording at once then chain one after the other, never from the same head
    conn.execute(record_chain.update().where(record_chain.c.id == 1).values(length=record_chain.c.length))
    head = conn.execute(sa.select(record_chain.c.head, record_chain.c.length).where(record_chain.c.id == 1)).one()
    previous, length = head.head, head.length
    sealed = []
    for r in rows:
        values = {k: v for k, v in r.items() if k != "_ruleset"}
        values["prev_sha256"] = previous
        values["entry_sha256"] = previous = entry_hash(previous, values)
        sealed.append(values)
    shas = {r["_ruleset"] for r in rows}
    have = {r.sha256 for r in conn.execute(sa.select(rulesets.c.sha256).where(rulesets.c.sha256.in_([s for s, _ in shas])))}
    for sha, path in shas:
        if sha not in have:
            text = texts[sha]
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
                # an overlay's decisions rest on two texts (the base and the overlay): not kept yet
                raise StoreError(Problem(f"{path}: a decision under this ruleset cannot be recorded (an overlay, or the file changed since it was read)", code="STO002"))
            conn.execute(_insert_once(conn, rulesets).values(sha256=sha, path=path, text=text))
    names = tuple(sealed[0]) if sealed else ()
    insert_many(conn, records, names, [tuple(r[n] for n in names) for r in sealed])  # PostgreSQL by COPY: half the server's time of a multi-row INSERT
    conn.execute(record_chain.update().where(record_chain.c.id == 1).values(head=previous, length=length + len(rows)))


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
        context = json.loads(r.context)
        out.append({
            "id": r.id, "decision_id": r.decision_id, "kind": r.kind, "recorded_at": r.recorded_at.isoformat(), "date": r.on_date.isoformat(),
            "agreement": r.agreement, "hs_code": r.hs_code, "product": r.product, "verdict": r.verdict,
            "input_sha256": r.input_sha256, "ruleset_sha256": r.ruleset_sha256, "declarations": context["declarations"],
            # a record of a what-if is of a hypothetical BOM: every view of it says so
            "what_if": context.get("what_if", []),
        })
    return out


def show(conn: sa.Connection, decision_id: str) -> dict[str, Any] | None:
    """One recorded decision in full: what `history` lists, the output as recorded (the decision
    JSON of a check, the record line of a batch), the input and the entry's hash. The latest
    record of that decision id (a decision recorded twice is one decision)."""
    r = conn.execute(sa.select(records).where(records.c.decision_id == decision_id).order_by(records.c.id.desc()).limit(1)).first()
    if r is None:
        return None
    context = json.loads(r.context)
    return {
        "id": r.id, "decision_id": r.decision_id, "kind": r.kind, "recorded_at": r.recorded_at.isoformat(), "on_date": r.on_date.isoformat(),
        "agreement": r.agreement, "hs_code": r.hs_code, "product": r.product, "verdict": r.verdict,
        "input_sha256": r.input_sha256, "ruleset_sha256": r.ruleset_sha256, "entry_sha256": r.entry_sha256,
        "declarations": context["declarations"], "what_if": context.get("what_if", []), "warnings": context.get("warnings", []),
        "output": r.output, "input": r.input,
    }


def replay(r: Any, ruleset_text: str, ruleset_path: str) -> tuple[Decision, str]:
    """Decide a record again from its stored input and ruleset text: the decision, and the
    output it would give."""
    import attrs

    from originrules.bom import loads
    from originrules.compile import compile_ruleset
    from originrules.engine import check
    from originrules.lang.resolve import load_text

    context = json.loads(r.context)
    bom = loads(r.input, "record")
    register = {k: (bool(v[0]), str(v[1])) for k, v in context.get("register", {}).items()}
    bom = attrs.evolve(bom, warnings=tuple(context["warnings"]), what_if=tuple(context["what_if"]), register=register)
    crs = compile_ruleset(load_text(ruleset_text, ruleset_path))
    decision = check(bom, crs, assume_origin=r.assume_origin, on=r.on_date)
    return decision, render_record(decision, r.kind, context.get("line"))


def render_record(decision: Decision, kind: str, line: int | None = None) -> str:
    """What a record keeps as its output: the decision JSON (check), or the batch record line."""
    if kind == "batch":
        from originrules.store.rows import record_line

        return record_line(line or 0, decision)
    from originrules.report import render

    return render(decision, "json")


def verify(conn: sa.Connection, anchor: str | None = None) -> tuple[int, list[dict[str, Any]], str]:
    """(records checked, those that fail, the chain's head). A record fails when its entry hash
    or its link to the record before does not hold (edited, deleted, inserted, reordered), when
    its ruleset text no longer has the hash it is filed under, or when, decided again from its
    stored input and ruleset text, any column it shows or its output differs."""
    texts = {}
    for t in conn.execute(sa.select(rulesets)):
        texts[t.sha256] = (t.text, t.path, hashlib.sha256(t.text.encode("utf-8")).hexdigest() == t.sha256)
    count, bad = 0, []
    previous, anchored = GENESIS, anchor is None or anchor == GENESIS
    for r in conn.execute(sa.select(records).order_by(records.c.id)):
        count += 1
        why = _why_bad(r, previous, texts)
        if why:
            bad.append({"id": r.id, "decision_id": r.decision_id, "why": "; ".join(why)})
        previous = r.entry_sha256 or previous
        anchored = anchored or previous == anchor
    chain = conn.execute(sa.select(record_chain).where(record_chain.c.id == 1)).first()
    if chain is None or (chain.length, chain.head) != (count, previous):
        kept = "none" if chain is None else f"{chain.length} records ending {chain.head[:16]}"
        bad.append({"id": None, "decision_id": None, "why": f"the chain's head says {kept}, the records are {count} ending {previous[:16]}: records were deleted or added at the end"})
    if not anchored:
        bad.append({"id": None, "decision_id": None, "why": f"no record has the entry hash {anchor}: the chain up to that anchor was rewritten"})
    return count, bad, previous


#: the columns a record shows, and how each is derived again from the decision made anew
_SHOWN = {
    "decision_id": lambda d: d.decision_id,
    "verdict": lambda d: d.verdict,
    "agreement": lambda d: d.agreement.code,
    "hs_code": lambda d: d.bom.product.hs_code,
    "product": lambda d: d.bom.product.description,
    "input_sha256": lambda d: d.input_sha256,
    "ruleset_sha256": lambda d: d.ruleset.sha256,
}


#: an export-control record's shown columns (originrules.chips), derived again
_SHOWN_CHIPS = {
    "decision_id": lambda d: d.decision_id,
    "verdict": lambda d: d.verdict,
    "agreement": lambda d: d.regime.code,
    "product": lambda d: chips_product(d.order),
    "input_sha256": lambda d: sha256_text(d.order.text),
    "ruleset_sha256": lambda d: d.regime.sha256,
}


def chips_product(order: Any) -> str:
    """What an export-control record shows as its product: the items and where they go."""
    return f"{sum(i.quantity for i in order.items):,} chips ({', '.join(sorted({i.chip.model for i in order.items}))}) to {order.destination}"[:500]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replay_chips(r: Any, regime_text: str, path: str) -> tuple[Any, str]:
    """An export-control record decided again from its stored order and regime text."""
    from originrules.chips import check, render
    from originrules.chips.regime import load_text

    context = json.loads(r.context)
    decision = check(json.loads(r.input), load_text(regime_text, path), on=r.on_date, what_if=context.get("what_if", []))
    return decision, render(decision, "json")


def _why_bad(r: Any, previous: str, texts: dict[str, tuple[str, str, bool]]) -> list[str]:
    why = []
    if r.prev_sha256 != previous:
        why.append("the chain breaks here: the record before it was deleted, or this one was inserted or moved")
    if r.entry_sha256 != entry_hash(r.prev_sha256 or "", r._mapping):
        why.append("its entry hash does not match its columns: the record was edited")
    if r.ruleset_sha256 not in texts:
        return [*why, f"its ruleset text {r.ruleset_sha256[:16]} is missing from the database"]
    text, path, intact = texts[r.ruleset_sha256]
    if not intact:
        why.append(f"its ruleset text ({path}) no longer has the hash {r.ruleset_sha256[:16]}: the text was edited")
    data = r.input.encode("utf-8")
    if r.input_sha256 not in (hashlib.sha256(data.strip()).hexdigest(), hashlib.sha256(data).hexdigest()):  # as read (bom.loads), or canonical
        why.append("its input no longer has the hash it was decided from")
    shown = _SHOWN_CHIPS if r.kind == "chips" else _SHOWN
    try:
        decision, again = (replay_chips if r.kind == "chips" else replay)(r, text, path)
    except Exception as e:  # noqa: BLE001 - a record that cannot be replayed is a failed verification
        return [*why, f"cannot be decided again: {type(e).__name__}: {e}"]
    differs = [c for c, derive in shown.items() if derive(decision) != getattr(r, c)]
    if differs:
        why.append("decided again, its " + ", ".join(f"{c} is {derive(decision)!r}, not {getattr(r, c)!r}" for c, derive in shown.items() if c in differs))
    if again != r.output:
        why.append("decided again, the output differs")
    return why

