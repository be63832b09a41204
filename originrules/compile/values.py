"""Value arithmetic: methods as exact ratios, comparisons, percentages as shown, headroom.

Ratios are kept as exact (numerator, denominator) pairs of Decimals. Sums and products of
decimals are exact given enough digits, and `EXACT` raises rather than round: a verdict never
rests on a rounded number. Only the displayed percentage is rounded.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from decimal import Context as DecimalContext
from typing import Any

from originrules.lang import ast
from originrules.numbers import EXACT

OPS: dict[str, Callable[[Any, Any], bool]] = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
HUNDRED = Decimal(100)
_DISPLAY = DecimalContext(prec=60)
_ONE = Decimal(1)
Ratio = tuple[Decimal, Decimal]
Formula = Callable[[dict[str, "Decimal | None"], Decimal, Decimal], "Ratio | None"]


def compare_ratio(ratio: Ratio, op: str, threshold_percent: Decimal) -> bool:
    """Is ratio * 100 `op` threshold_percent? Exactly: n * 100 op t * d, with d > 0."""
    n, d = ratio
    if d < 0:
        n, d = -n, -d
    return OPS[op](EXACT.multiply(n, HUNDRED), EXACT.multiply(threshold_percent, d))


def percent_of(value: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `value`, exactly."""
    return EXACT.divide(EXACT.multiply(value, percent), HUNDRED)


def percent_text(ratio: Ratio, threshold_percent: Decimal | None = None, op: str | None = None) -> str:
    """Two decimals, unless rounding would make an unmet test look met (44.996% is not 45.00%)."""
    n, d = ratio
    exact = _DISPLAY.divide(_DISPLAY.multiply(n, HUNDRED), d)
    for places in (2, 4, 6, 10):
        shown = exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if threshold_percent is None or op is None:
            return str(shown)
        if OPS[op](shown, threshold_percent) == compare_ratio(ratio, op, threshold_percent):
            return str(shown)
    return str(shown)


def money(value: Decimal) -> str:
    """Money as reports show it: 1,090.00."""
    return f"{value:,.2f}"


def substitute(formula: ast.Arith, values: dict[str, Decimal | None]) -> str:
    """A method's formula with the BOM's figures in place of the names: (1,090.00 - 145.00) / 1,090.00."""
    if formula.op == "name":
        v = values.get(formula.name)  # type: ignore[arg-type]
        return "?" if v is None else money(v)
    if formula.op == "const":
        return str(formula.constant)
    left, right = formula.args
    left_s, right_s = substitute(left, values), substitute(right, values)
    if formula.op in "*/" and left.op in "+-":
        left_s = f"({left_s})"
    if right.args and (formula.op in "-/" or (formula.op == "*" and right.op in "+-")):
        right_s = f"({right_s})"
    return f"{left_s} {formula.op} {right_s}"


def compile_formula(formula: ast.Arith) -> Formula:
    """Method arithmetic over named quantities -> an exact ratio, or None if a quantity is
    missing or a denominator is zero. Called as f(quantities, VNM, basis value)."""
    if formula.op == "name":
        name = formula.name
        if name == "VNM":
            return lambda q, vnm, base: (vnm, _ONE)
        if name == "basis":
            return lambda q, vnm, base: (base, _ONE)

        def quantity(q: dict[str, Decimal | None], vnm: Decimal, base: Decimal) -> Ratio | None:
            v = q[name]  # type: ignore[index]
            return None if v is None else (v, _ONE)

        return quantity
    if formula.op == "const":
        c: Ratio = (formula.constant, _ONE)  # type: ignore[assignment]
        return lambda q, vnm, base: c
    left, right = (compile_formula(a) for a in formula.args)
    op = formula.op
    mul, add, sub = EXACT.multiply, EXACT.add, EXACT.subtract

    def run(q: dict[str, Decimal | None], vnm: Decimal, base: Decimal) -> Ratio | None:
        a, b = left(q, vnm, base), right(q, vnm, base)
        if a is None or b is None:
            return None
        (an, ad), (bn, bd) = a, b
        if op == "/":
            return None if bn == 0 else (mul(an, bd), mul(ad, bn))
        if op == "*":
            return mul(an, bn), mul(ad, bd)
        combine = add if op == "+" else sub
        if ad == bd:
            return combine(an, bn), ad
        return combine(mul(an, bd), mul(bn, ad)), mul(ad, bd)

    return run


def headroom(
    formula: Formula | None, q: dict[str, Decimal | None], vnm: Decimal, base: Decimal, threshold: Decimal, passed: bool
) -> dict[str, str] | None:
    """How much non-originating value could replace originating value before a met test fails
    ("could_add"), or how much must be re-sourced as originating before an unmet test is met
    ("must_remove"), at the same price. None if sourcing does not move the test.

    Every method is linear in that shift (VNM + x, VOM - x), so two evaluations fix the line:
    with f(0) = n0/d0 and f(1) = n1/d1, f(x) = t/100 at x = (t d0 - 100 n0) d1 / (100 (n1 d0 - n0 d1)),
    exact products and one division, rounded against the producer.
    """
    vom = q.get("VOM")

    def at(x: Decimal) -> Ratio | None:
        shifted = {**q, "VOM": None if vom is None else vom - x}
        r = (vnm + x, base) if formula is None else formula(shifted, vnm + x, base)
        return None if r is None or r[1] == 0 else r

    first, second = at(Decimal(0)), at(_ONE)
    if first is None or second is None:
        return None
    (n0, d0), (n1, d1) = first, second
    mul, sub = EXACT.multiply, EXACT.subtract
    den = mul(HUNDRED, sub(mul(n1, d0), mul(n0, d1)))
    if den == 0:
        return None
    x = _DISPLAY.divide(mul(sub(mul(threshold, d0), mul(HUNDRED, n0)), d1), den)
    if passed:
        return {"kind": "could_add", "amount": _cents(max(x, Decimal(0)), ROUND_DOWN)}
    needed = max(-x, Decimal(0))
    out = {"kind": "must_remove", "amount": _cents(needed, ROUND_UP)}
    if needed > vnm:
        out["note"] = "more than all non-originating value: re-sourcing alone cannot meet it"
    return out


def best_headroom(rooms: list[dict[str, str] | None]) -> dict[str, str] | None:
    """Producer's choice: the most room among met options, the least to re-source among unmet."""
    known = [r for r in rooms if r]
    if not known:
        return None
    if known[0]["kind"] == "could_add":
        return max(known, key=lambda r: Decimal(r["amount"]))
    return min(known, key=lambda r: Decimal(r["amount"]))


def _cents(value: Decimal, rounding: str) -> str:
    """Cents, rounded against the producer: headroom down, amounts to re-source up."""
    return str(value.quantize(Decimal("0.01"), rounding))
