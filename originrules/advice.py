"""What would change the verdict: the sourcing advisor, and what-if changes to a BOM."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import combinations
from collections.abc import Mapping
from typing import Any

import attrs

from originrules.bom import COST_FIELDS, Bom, as_bom, as_date, from_dict
from originrules.compile import CompiledRuleset
from originrules.engine import Decision, _insufficient, _split, check, make_context, select_rule
from originrules.errors import BomError, Problem
from originrules.numbers import exact_sum
from originrules.registry import find

#: how many candidate sets the advisor may try before it settles for the best found
SEARCH_LIMIT = 200_000


@attrs.frozen
class Advice:
    """The fewest materials (ties: lowest total value) whose becoming originating would make the
    product qualify under the applied rule; or why no such set exists."""

    possible: bool | None  # None: the question does not arise (no rule, or already originating)
    materials: tuple[str, ...]
    total_value: Decimal
    message: str
    complete: bool = True  # False: the search limit was reached; the set is the best found
    #: the what-if changes that realise the advice (what_if() and `check --what-if` take them)
    what_if: tuple[str, ...] = ()
    #: of `materials`, those that need only paperwork (a declaration obtained or renewed), and those re-sourced
    paperwork: tuple[str, ...] = ()
    resourced: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "possible": self.possible,
            "materials": list(self.materials),
            "total_value": str(self.total_value),
            "message": self.message,
            "complete": self.complete,
            "what_if": list(self.what_if),
            "paperwork": list(self.paperwork),
            "resourced": list(self.resourced),
        }


def advise(
    bom: Bom | Mapping[str, Any],
    agreement: str | CompiledRuleset,
    *,
    assume_origin: bool = False,
    on: dt.date | None = None,
    decision: Decision | None = None,
) -> Advice:
    """`decision`, if given, is this BOM's decision under this agreement: it is not made again.
    `bom` may be a plain mapping in the file's format (what `json.load` gives); `on` a date or ISO text."""
    bom, on = as_bom(bom), as_date(on)
    crs = agreement if isinstance(agreement, CompiledRuleset) else find(agreement)
    if decision is None:
        decision = check(bom, crs, assume_origin=assume_origin, explain=False, on=on)
    if decision.originating:
        return Advice(None, (), Decimal(0), "The product already originates: nothing needs re-sourcing.")
    chosen, _, reason = select_rule(crs, bom)
    if chosen is None:
        return Advice(None, (), Decimal(0), f"No advice: {reason}.")
    ag = crs.agreement
    bom = decision.bom  # intermediates already decided
    non_originating, vnm, _, shift, ignored = _split(bom, ag.zone, assume_origin, ag.treatments)
    insufficient = _insufficient(ag, bom)
    if insufficient is not None and insufficient.passed is False:
        return Advice(False, (), Decimal(0), "No set of materials exists: the declared processes are all insufficient operations, so no sourcing makes the product originate.")
    currency = f" {bom.product.currency}" if bom.product.currency else ""

    def qualifies(flipped: tuple[int, ...]) -> bool:
        keep = [m for i, m in enumerate(non_originating) if i not in flipped]
        gone = {non_originating[i].id for i in flipped}
        moved = exact_sum(non_originating[i].value for i in flipped)
        shifting = None if shift is None else [m for m in shift if m.id not in gone]
        ctx = make_context(bom, crs, chosen, keep, vnm - moved, shifting, ignored, decision.on if decision is not None else None)
        return chosen.verdict(ctx) is True

    everything = tuple(range(len(non_originating)))
    if not qualifies(everything):
        return Advice(
            False,
            (),
            Decimal(0),
            f"No set of materials exists: even with every material originating, rule {chosen.ref.key} ({chosen.rule.text}) "
            "is not met; it needs more than sourcing (for example wholly obtained goods, a specific process, or data the BOM lacks).",
        )
    # what each fix costs the exporter, cheapest first: a material already bought from a party
    # needs only its supplier's declaration (or a declaration renewed); one from outside the zone
    # must be re-sourced. So: the fewest re-sourcings (then the least value re-sourced), with any
    # paperwork they need; then only the paperwork that is needed.
    # (not one declared non-originating: its supplier has said it is not)
    unfound = {mid for mid, (valid, _) in bom.register.items() if not valid}  # the register found no valid declaration
    paperwork = tuple(i for i in everything if non_originating[i].origin in ag.zone
                      and (non_originating[i].originating is None or non_originating[i].id in unfound))
    foreign = tuple(i for i in everything if i not in paperwork)
    tried = 0
    best: tuple[Decimal, tuple[int, ...]] | None = None
    for k in range(0, len(foreign) + 1):
        for combo in combinations(foreign, k):
            tried += 1
            if tried > SEARCH_LIMIT:
                break
            total = exact_sum(non_originating[i].value for i in combo)
            if (best is None or total < best[0]) and qualifies(paperwork + combo):
                best = (total, combo)
        if best is not None or tried > SEARCH_LIMIT:
            break
    if best is None:  # search exhausted: fall back to the most valuable foreign materials first
        order = sorted(foreign, key=lambda i: -non_originating[i].value)
        combo = next(tuple(order[:j]) for j in range(len(order) + 1) if qualifies(paperwork + tuple(order[:j])))
        best = (exact_sum(non_originating[i].value for i in combo), combo)
    resourced = best[1]
    needed = list(paperwork)
    for i in sorted(paperwork, key=lambda i: non_originating[i].value):  # drop the paperwork that is not needed, smallest first
        if qualifies(tuple(j for j in needed if j != i) + resourced):
            needed.remove(i)
    complete = tried <= SEARCH_LIMIT
    declare = [non_originating[i] for i in needed]
    move = [non_originating[i] for i in resourced]
    parts = []
    if declare:
        renew = [m for m in declare if m.id in unfound and "expired" in bom.register[m.id][1]]
        fresh = [m for m in declare if m not in renew]
        if fresh:
            parts.append(f"obtain origin declarations from the suppliers of {len(fresh)} material{'s' if len(fresh) > 1 else ''} already bought from a party: {_named(fresh)}")
        if renew:
            parts.append("renew the expired declaration" + ("s" if len(renew) > 1 else "") + " of " + "; ".join(f"{_named([m])} ({bom.register[m.id][1].removeprefix('no valid declaration: ')})" for m in renew))
    if move:
        total = exact_sum(m.value for m in move)
        parts.append(f"re-source {len(move)} material{'s' if len(move) > 1 else ''} as originating (from a party, with an origin declaration): {_named(move)}; {total:,.2f}{currency} in all")
    message = "; then ".join(parts)
    message = message[:1].upper() + message[1:] + f". The product would then originate under rule {chosen.ref.key}."
    if declare and move:
        message += " Paperwork first: the declarations cost less than re-sourcing."
    if not complete:
        message += " (The search was cut short; a smaller set may exist.)"
    flipped = declare + move
    return Advice(True, tuple(m.id for m in flipped), exact_sum(m.value for m in flipped), message, complete, _changes(flipped, ag, bom),
                  tuple(m.id for m in declare), tuple(m.id for m in move))


def _named(materials: list[Any]) -> str:
    return ", ".join(f"{m.id} ({m.description or 'no description'}, {m.value:,.2f})" for m in materials)




_FIELDS = ("originating", "value", "hs_code", "origin")


def _changes(materials: list[Any], ag: Any, bom: Bom) -> tuple[str, ...]:
    """The what-if changes that make these materials originating: a material from outside the
    cumulation zone must first come from a party (the exporter, if it is one)."""
    exporter = bom.product.exporting_country
    source = exporter if exporter in ag.zone else sorted(ag.parties)[0]
    out: list[str] = []
    for m in materials:
        if m.origin not in ag.zone:
            out.append(f"{m.id}.origin={source}")
        out.append(f"{m.id}.originating=true")
    return tuple(out)


_PRODUCT_FIELDS = ("ex_works", "fob")


def what_if(bom: Bom | Mapping[str, Any], changes: list[str] | tuple[str, ...]) -> Bom:
    """The BOM with changes such as "25.originating=true", "7.value=30.50", "9.hs_code=871410",
    "9.origin=AE", "product.fob=1200", "costs.direct_labour=80" applied and validated again as a
    whole. The result is marked hypothetical: it carries its changes (`Bom.what_if`), and every
    report of it says so. `bom` may be a plain mapping in the file's format."""
    bom = as_bom(bom)
    data = bom.to_dict()
    by_id = {m["id"]: m for m in data["materials"]}
    problems = []
    for change in changes:
        target, eq, value = change.partition("=")
        head, dot, field = target.rpartition(".")
        if eq and head == "product" and field in _PRODUCT_FIELDS and "product" not in by_id:
            data["product"][field] = value
            continue
        if eq and head == "costs" and field in COST_FIELDS and "costs" not in by_id:
            data.setdefault("costs", {})[field] = value
            continue
        if not eq or not dot or field not in _FIELDS or (head in ("product", "costs") and head not in by_id):
            problems.append(
                Problem(
                    f"what-if {change!r}: expected MATERIAL_ID.FIELD=VALUE with FIELD one of {', '.join(_FIELDS)}, "
                    f"or product.{{{','.join(_PRODUCT_FIELDS)}}}=VALUE, or costs.{{{','.join(COST_FIELDS)}}}=VALUE",
                    code="CLI003",
                )
            )
            continue
        if head not in by_id:
            problems.append(Problem(f"what-if {change!r}: no material with id {head!r}", code="CLI003"))
            continue
        if field == "originating":
            if value.lower() not in ("true", "false"):
                problems.append(Problem(f"what-if {change!r}: originating is true or false", code="CLI003"))
                continue
            by_id[head]["originating"] = value.lower() == "true"
        else:
            by_id[head][field] = value
    if problems:
        raise BomError(problems)
    changed = from_dict(data, f"{bom.source} (what-if: {'; '.join(changes)})")
    return attrs.evolve(changed, what_if=bom.what_if + tuple(changes))
