"""AST -> closures, once per ruleset. Each compiled test takes a `Context` and returns a `Trace`.

Tests are three-valued (LANGUAGE.md, "Three values"): met (True), not met (False) or
unknown (None) when the BOM lacks what the test needs. Ratios are computed as exact
fractions, so 45.00% meets `>= 45%` and scaling every value by the same factor changes
nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from decimal import Context as DecimalContext
from typing import Any

import attrs

from originrules.bom import Bom, Material
from originrules.hs import LEVEL_WORDS, LEVELS, CodeSet
from originrules.lang import ast
from originrules.lang.ast import process_name
from originrules.numbers import EXACT

_OPS: dict[str, Callable[[Any, Any], bool]] = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_HUNDRED = Decimal(100)


@attrs.define(slots=True)
class Trace:
    """One node of a decision's explanation: a test, whether it passed, and why."""

    test: str
    passed: bool | None
    text: str
    children: list[Trace] = attrs.field(factory=list)
    detail: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"test": self.test, "passed": self.passed, "text": self.text}
        out.update(self.detail)
        out["children"] = [c.to_dict() for c in self.children]
        return out

    def missing(self) -> list[str]:
        """What the BOM would have to give for the unknown parts of this trace to be decided."""
        found: list[str] = list(self.detail.get("missing", ()))
        for c in self.children:
            if c.passed is None:
                found.extend(x for x in c.missing() if x not in found)
        return found


class Context:
    """Everything about one BOM that several tests need, computed once."""

    __slots__ = ("bom", "code", "non_originating", "shift_materials", "quantities", "tolerance", "bases", "warnings", "maxnom", "wo_tolerance", "_index")

    def __init__(
        self,
        bom: Bom,
        non_originating: Sequence[Material],
        vnm: Decimal,
        total: Decimal,
        tolerance: ast.DeMinimis | None,
        bases: tuple[str, ...],
        warnings: list[str],
        maxnom: Decimal | None = None,
        shift_materials: Sequence[Material] | None = None,
        wo_tolerance: tuple[Decimal, str] | None = None,
    ):
        self.bom = bom
        self.wo_tolerance = wo_tolerance  # (percent, basis): what a wholly obtained good may hold
        # the non-originating materials a tariff shift tests: all of them, less roles the
        # agreement counts in value only (accessories, packing, ...)
        self.shift_materials = non_originating if shift_materials is None else shift_materials
        self.maxnom = maxnom  # the applied rule's VNM limit, for tolerance `within VNM`
        self.bases = bases
        self.code = bom.product.hs_code
        self.non_originating = non_originating
        self.tolerance = tolerance
        self.warnings = warnings
        self._index: dict[str, int] | None = None
        p = bom.product
        costs = bom.costs
        self.quantities: dict[str, Decimal | None] = {
            "fob": p.fob,
            "ex_works": p.ex_works,
            "VNM": vnm,
            "VOM": total - vnm,
            "direct_labour": costs.get("direct_labour"),
            "direct_overhead": costs.get("direct_overhead"),
            "profit": costs.get("profit"),
            "other_costs": costs.get("other_costs"),
        }

    def path(self, m: Material, field: str) -> str:
        if self._index is None:
            self._index = {x.id: i for i, x in enumerate(self.bom.materials)}
        return f"materials[{self._index[m.id]}].{field}"


Test = Callable[[Context], Trace]
Verdict = Callable[[Context], "bool | None"]


# Ratios are kept as exact (numerator, denominator) pairs of Decimals. Sums and products of
# decimals are exact given enough digits, and this context raises rather than round: a
# verdict never rests on a rounded number. Only the displayed percentage is rounded.
_DISPLAY = DecimalContext(prec=60)
_ONE = Decimal(1)
Ratio = tuple[Decimal, Decimal]


def compare_ratio(ratio: Ratio, op: str, threshold_percent: Decimal) -> bool:
    """Is ratio * 100 `op` threshold_percent? Exactly: n * 100 op t * d, with d > 0."""
    n, d = ratio
    if d < 0:
        n, d = -n, -d
    return _OPS[op](EXACT.multiply(n, _HUNDRED), EXACT.multiply(threshold_percent, d))


def percent_text(ratio: Ratio, threshold_percent: Decimal | None = None, op: str | None = None) -> str:
    """Two decimals, unless rounding would make an unmet test look met (44.996% is not 45.00%)."""
    n, d = ratio
    exact = _DISPLAY.divide(_DISPLAY.multiply(n, _HUNDRED), d)
    for places in (2, 4, 6, 10):
        shown = exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if threshold_percent is None or op is None:
            return str(shown)
        if _OPS[op](shown, threshold_percent) == compare_ratio(ratio, op, threshold_percent):
            return str(shown)
    return str(shown)


def money(value: Decimal) -> str:
    """Money as reports show it: 1,090.00."""
    return f"{value:,.2f}"


_BASIS_WORDS = {"fob": "FOB", "ex_works": "ex-works"}


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
    den = mul(_HUNDRED, sub(mul(n1, d0), mul(n0, d1)))
    if den == 0:
        return None
    x = _DISPLAY.divide(mul(sub(mul(threshold, d0), mul(_HUNDRED, n0)), d1), den)
    if passed:
        return {"kind": "could_add", "amount": _cents(max(x, Decimal(0)), ROUND_DOWN)}
    needed = max(-x, Decimal(0))
    out = {"kind": "must_remove", "amount": _cents(needed, ROUND_UP)}
    if needed > vnm:
        out["note"] = "more than all non-originating value: re-sourcing alone cannot meet it"
    return out


def _cents(value: Decimal, rounding: str) -> str:
    """Cents, rounded against the producer: headroom down, amounts to re-source up."""
    return str(value.quantize(Decimal("0.01"), rounding))


# ---------------------------------------------------------------- method arithmetic


Formula = Callable[[dict[str, "Decimal | None"], Decimal, Decimal], "Ratio | None"]


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


# ---------------------------------------------------------------- the compiler


class Compiler:
    def __init__(self, ruleset: ast.Ruleset):
        self.ruleset = ruleset
        self.agreement = ruleset.agreement
        self.lets = {let.name: let for let in ruleset.lets}
        self.formulas = {
            m.name: (compile_formula(m.formula), str(m.formula), tuple(sorted(m.formula.names()))) for m in self.agreement.methods
        }

    def compile(self, expr: ast.Expr, env: dict[str, ast.Threshold] | None = None) -> Test:
        env = env or {}
        if isinstance(expr, ast.And):
            return self._and([self.compile(i, env) for i in expr.items])
        if isinstance(expr, ast.Or):
            return self._or([self.compile(i, env) for i in expr.items])
        if isinstance(expr, ast.Shift):
            return self._shift(expr)
        if isinstance(expr, ast.ValueTest):
            return self._value(expr, env)
        if isinstance(expr, ast.WhollyObtained):
            return _wholly_obtained
        if isinstance(expr, ast.Process):
            return _process(expr.name)
        if isinstance(expr, ast.Call):
            return self._call(expr, env)
        raise TypeError(f"cannot compile {expr!r}")  # resolve() leaves no raw Term behind

    # ------------------------------------------------------------ verdict only
    # The same law as the explaining closures above, without building a trace: for catalogues,
    # where only the verdict is kept. tests/test_properties.py checks the two always agree.

    def verdict(self, expr: ast.Expr, env: dict[str, ast.Threshold] | None = None) -> Verdict:
        env = env or {}
        if isinstance(expr, (ast.And, ast.Or)):
            parts = [self.verdict(i, env) for i in expr.items]
            stop = isinstance(expr, ast.Or)  # `or` stops at the first met part, `and` at the first failed one

            def combine(ctx: Context) -> bool | None:
                unknown = False
                for part in parts:
                    r = part(ctx)
                    if r is stop:
                        return stop
                    unknown = unknown or r is None
                return None if unknown else not stop

            return combine
        if isinstance(expr, ast.Shift):
            return self._shift_verdict(expr)
        if isinstance(expr, ast.ValueTest):
            return self._value_verdict(expr, env)
        if isinstance(expr, ast.Call):
            let = self.lets[expr.name]
            return self.verdict(let.body, {p: a.bind(env) for p, a in zip(let.params, expr.args)})
        explain = self.compile(expr, env)  # WO and process: cheap already
        return lambda ctx: explain(ctx).passed

    def _shift_verdict(self, node: ast.Shift) -> Verdict:
        digits = LEVELS[node.test]
        exception = node.exception if node.exception else None
        withheld = node.tolerance_withheld

        def run(ctx: Context) -> bool | None:
            own = ctx.code[:digits]
            failing: list[Material] = []
            unknown: list[Material] = []
            for m in ctx.shift_materials:
                h = m.hs_code
                if h is None:
                    unknown.append(m)
                elif len(h) < digits or h[:digits] == own or (exception is not None and exception.contains(h)):
                    failing.append(m)
            if not failing and not unknown:
                return True
            return _tolerate(ctx, failing, unknown, withheld)[0]  # the one statement of tolerance

        return run

    def _choices(self, node: ast.ValueTest) -> tuple[list[str | None], list[str]]:
        """The methods and bases a value test may be met by: those written, else every one the
        agreement permits (the producer's choice). MaxNOM has no method."""
        ag = self.agreement
        bases = [node.basis] if node.basis else list(ag.bases)
        if node.name == "VNM":
            return [None], bases
        return ([node.method] if node.method else [m.name for m in ag.methods]), bases

    def _value_verdict(self, node: ast.ValueTest, env: dict[str, ast.Threshold]) -> Verdict:
        threshold = node.threshold.bind(env).value()
        op = node.operator
        methods, bases = self._choices(node)
        combos = [(None if m is None else self.formulas[m][0], b) for m in methods for b in bases]
        scope = node.scope

        def run(ctx: Context) -> bool | None:
            q = ctx.quantities
            vnm = q["VNM"]
            if scope is not None:
                vnm = sum((m.value for m in ctx.non_originating if m.hs_code and scope.contains(m.hs_code)), Decimal(0))
            unknown = False
            for formula, basis in combos:
                base = q[basis]
                if base is None:
                    unknown = True
                    continue
                ratio = (vnm, base) if formula is None else formula(q, vnm, base)
                if ratio is None or ratio[1] == 0:
                    unknown = True
                elif compare_ratio(ratio, op, threshold):
                    return True
            return None if unknown else False

        return run

    # -- and / or: three-valued
    @staticmethod
    def _and(parts: list[Test]) -> Test:
        def run(ctx: Context) -> Trace:
            children = [p(ctx) for p in parts]
            results = [c.passed for c in children]
            passed = False if False in results else (None if None in results else True)
            return Trace("and", passed, "all of", children)

        return run

    @staticmethod
    def _or(parts: list[Test]) -> Test:
        def run(ctx: Context) -> Trace:
            children = [p(ctx) for p in parts]
            results = [c.passed for c in children]
            passed = True if True in results else (None if None in results else False)
            return Trace("or", passed, "any of (the producer's choice)", children)

        return run

    def _call(self, call: ast.Call, env: dict[str, ast.Threshold]) -> Test:
        let = self.lets[call.name]
        bound = {p: a.bind(env) for p, a in zip(let.params, call.args)}
        inner = self.compile(let.body, bound)
        args = ", ".join(f"{a.bind(env).value()}%" for a in call.args)
        label = f"{call.name}({args})" if let.params else call.name
        line = let.span.line

        def run(ctx: Context) -> Trace:
            child = inner(ctx)
            return Trace("call", child.passed, label, [child], {"rule": call.name, "line": line})

        return run

    # -- tariff shift
    def _shift(self, node: ast.Shift) -> Test:
        digits = LEVELS[node.test]
        word = LEVEL_WORDS[digits]
        exception = node.exception if node.exception else None
        withheld = node.tolerance_withheld
        text = f"{node.test}: every non-originating material changes {word}"
        if exception:
            text += f", and none is from {exception}"
        if withheld is True:
            text += " (no tolerance)"
        elif withheld:
            text += f" (no tolerance for {withheld})"

        def run(ctx: Context) -> Trace:
            own = ctx.code[:digits]
            failing: list[dict[str, Any]] = []
            failing_materials: list[Material] = []
            unknown: list[Material] = []
            for m in ctx.shift_materials:
                h = m.hs_code
                if h is None:
                    unknown.append(m)
                    continue
                if len(h) < digits:
                    reason = f"HS code {h} is too short to tell its {word}"
                    ctx.warnings.append(f"material {m.id}: {reason}; it fails {node.test}")
                elif exception is not None and exception.contains(h):
                    reason = f"from {h[:digits]}, excepted"
                elif h[:digits] == own:
                    reason = f"same {word} {own} as the product"
                else:
                    continue
                failing.append({"id": m.id, "hs_code": h, "value": str(m.value), "reason": reason})
                failing_materials.append(m)
            detail: dict[str, Any] = {"level": word, "failing_materials": failing}
            if not failing and not unknown:
                if ctx.tolerance is not None and (best := _tolerance_limit(ctx, ctx.tolerance)) is not None:
                    limit = str(best[0])
                    detail["de_minimis"] = {"applied": False, "absorbed": [], "percent": str(ctx.tolerance.percent), "basis": best[1], "limit": limit, "used": "0", "left": limit}
                return Trace("shift", True, text, detail=detail)
            passed, dm = _tolerate(ctx, failing_materials, unknown, withheld)
            detail["de_minimis"] = dm
            if passed is None:
                detail["missing"] = [ctx.path(m, "hs_code") for m in unknown]
            return Trace("shift", passed, text, detail=detail)

        return run

    # -- value tests
    def _value(self, node: ast.ValueTest, env: dict[str, ast.Threshold]) -> Test:
        threshold_pct = node.threshold.bind(env).value()
        op = node.operator
        methods, bases = self._choices(node)
        scope = node.scope
        label = node.name
        args = [a for a in (node.method, node.basis) if a]
        if args:
            label += f"({', '.join(args)})"
        if scope:
            label += f" from {scope}"
        label += f" {op} {threshold_pct}%"
        combos = [(method, basis) for method in methods for basis in bases]
        single = combos[0] if len(combos) == 1 else None

        def run(ctx: Context) -> Trace:
            q = ctx.quantities
            vnm = q["VNM"]
            if scope is not None:
                vnm = sum((m.value for m in ctx.non_originating if m.hs_code and scope.contains(m.hs_code)), Decimal(0))
            if single is not None:
                return self._option(ctx, q, vnm, single[0], single[1], threshold_pct, op, node.name)
            options = [self._option(ctx, q, vnm, method, basis, threshold_pct, op, node.name) for method, basis in combos]
            results = [o.passed for o in options]
            passed = True if True in results else (None if None in results else False)
            chosen = next((o for o in options if o.passed is passed), options[0])
            detail = {k: chosen.detail[k] for k in ("method", "basis", "percent", "threshold", "operator") if k in chosen.detail}
            detail["headroom"] = _best_headroom([o.detail.get("headroom") for o in options if o.passed is passed])
            if passed is None:
                detail["missing"] = chosen.detail.get("missing", [])
            return Trace("value", passed, label, options, detail)

        return run

    def _option(
        self,
        ctx: Context,
        q: dict[str, Decimal | None],
        vnm: Decimal,
        method: str | None,
        basis: str,
        threshold: Decimal,
        op: str,
        name: str,
    ) -> Trace:
        base_value = q[basis]
        detail: dict[str, Any] = {"method": method, "basis": basis, "threshold": str(threshold), "operator": op}
        head = f"{name}({method}, {basis})" if method else f"{name}({basis})"
        if base_value is None:
            detail["missing"] = [f"product.{basis}"]
            return Trace("value", None, f"{head}: the BOM gives no {basis} value", detail=detail)
        if method is None:  # MaxNOM: VNM / basis
            ratio: Ratio | None = (vnm, base_value)
        else:
            formula, formula_text, names = self.formulas[method]
            ratio = formula(q, vnm, base_value)
            if ratio is None:
                missing = [n for n in names if n != "basis" and q.get(n, 0) is None]
                detail["missing"] = [f"costs.{n}" for n in missing]
                return Trace("value", None, f"{head}: the BOM gives no {', '.join(missing) or 'value'} for {formula_text}", detail=detail)
        if ratio[1] == 0:
            detail["missing"] = [f"product.{basis}"]
            return Trace("value", None, f"{head}: {basis} is zero", detail=detail)
        passed = compare_ratio(ratio, op, threshold)
        shown = percent_text(ratio, threshold, op)
        detail["percent"] = shown
        verdict = "met" if passed else "not met"
        if method is None:
            arithmetic = f"{money(vnm)} / {money(base_value)}"
            words = f"VNM on {_BASIS_WORDS[basis]}"
        else:
            arithmetic = substitute(self.agreement.method(method).formula, {**q, "VNM": vnm, "basis": base_value})  # type: ignore[union-attr]
            words = f"{name} {method.replace('_', '-')} on {_BASIS_WORDS[basis]}"
        detail["formula"] = self.formulas[method][1] if method else "VNM / basis"
        detail["headroom"] = headroom(self.formulas[method][0] if method else None, q, vnm, base_value, threshold, passed)
        text = f"{words} = {arithmetic} = {shown}% {op} {detail['threshold']}%  {verdict}"
        return Trace("value", passed, text, detail=detail)


def _best_headroom(rooms: list[dict[str, str] | None]) -> dict[str, str] | None:
    """Producer's choice: the most room among met options, the least to re-source among unmet."""
    known = [r for r in rooms if r]
    if not known:
        return None
    if known[0]["kind"] == "could_add":
        return max(known, key=lambda r: Decimal(r["amount"]))
    return min(known, key=lambda r: Decimal(r["amount"]))


def _tolerate(
    ctx: Context, failing: list[Material], unknown: list[Material], withheld: CodeSet | bool
) -> tuple[bool | None, dict[str, Any]]:
    """De minimis: failing (and undecidable) materials pass if their total value is within the
    agreement's tolerance on some permitted basis. It never relaxes a value test: these
    materials stay in VNM."""
    dm = ctx.tolerance
    info: dict[str, Any] = {"applied": False, "absorbed": []}
    if dm is None:
        info["reason"] = "no tolerance for this product"
        return (False if failing else None), info
    blocked = [m for m in failing if withheld is True or (withheld and m.hs_code and withheld.contains(m.hs_code))]
    if blocked:
        info["reason"] = "the rule withholds tolerance from " + ", ".join(m.id for m in blocked)
        return False, info
    candidates = failing + unknown
    total = sum((m.value for m in candidates), Decimal(0))
    best = _tolerance_limit(ctx, dm)
    info.update({"percent": str(dm.percent), "value": str(total)})
    if best is None:
        if dm.within_maxnom and ctx.maxnom is not None:
            info["reason"] = f"VNM is above the rule's {ctx.maxnom}% limit, which tolerance may not exceed"
        else:
            info["reason"] = "no basis value to take the tolerance of"
        return (False if failing else None), info
    limit, basis = best
    info.update({"basis": basis, "limit": str(limit)})
    info["used"] = str(total) if total <= limit else "0"
    info["left"] = str(limit - total) if total <= limit else str(limit)
    if total <= limit:
        info["applied"] = True
        info["absorbed"] = [m.id for m in candidates]
        return True, info
    info["reason"] = f"{money(total)} exceeds {dm.percent}% of {basis} ({money(limit)})"
    if failing:
        return False, info
    return None, info


def _tolerance_limit(ctx: Context, dm: ast.DeMinimis) -> tuple[Decimal, str] | None:
    """The largest tolerance the producer may choose: the percentage of a permitted basis.

    Under `within VNM`, a basis on which VNM already exceeds the rule's own VNM limit offers
    no tolerance: tolerance may not push VNM past that limit.
    """
    best: tuple[Decimal, str] | None = None
    cap = ctx.maxnom if dm.within_maxnom else None
    vnm = ctx.quantities["VNM"]
    for basis in ((dm.of,) if dm.of != "basis" else ctx.bases):
        value = ctx.quantities.get(basis)
        if value is not None and (cap is None or EXACT.multiply(vnm, _HUNDRED) <= EXACT.multiply(cap, value)):
            limit = EXACT.multiply(value, dm.percent) / _HUNDRED
            if best is None or limit > best[0]:
                best = (limit, basis)
    return best


def _wholly_obtained(ctx: Context) -> Trace:
    declared = ctx.bom.product.wholly_obtained
    text = "WO: the product is wholly obtained in a party"
    if ctx.non_originating:
        ids = ", ".join(m.id for m in ctx.non_originating[:5])
        reason = f"non-originating materials used: {ids}"
        allowed = _wo_allowance(ctx)
        vnm = ctx.quantities["VNM"]
        if allowed is None or vnm > allowed[0]:  # type: ignore[operator]
            if allowed is not None:
                reason += f" ({money(vnm)}, more than the {allowed[1]})"  # type: ignore[arg-type]
            return Trace("wholly_obtained", False, text, detail={"reason": reason})
        text += f" (non-originating {money(vnm)} within the {allowed[1]})"  # type: ignore[arg-type]
    if declared is not None:
        return Trace("wholly_obtained", declared, text, detail={"reason": "declared in product.wholly_obtained"})
    if ctx.bom.materials and all(m.wholly_obtained for m in ctx.bom.materials):
        return Trace("wholly_obtained", True, text, detail={"reason": "every material is declared wholly obtained"})
    return Trace("wholly_obtained", None, text, detail={"missing": ["product.wholly_obtained"]})


def _wo_allowance(ctx: Context) -> tuple[Decimal, str] | None:
    """The non-originating value a wholly obtained good may hold (UAE CEPA Rule 5(2): 1%), on
    the best permitted basis."""
    if ctx.wo_tolerance is None:
        return None
    pct, of = ctx.wo_tolerance
    values = [(ctx.quantities.get(b), b) for b in ((of,) if of != "basis" else ctx.bases)]
    best = max(((v * pct / _HUNDRED, b) for v, b in values if v is not None), default=None)
    return None if best is None else (best[0], f"{pct}% of {best[1]} ({money(best[0])}) a wholly obtained good may hold")


def _process(name: str) -> Test:
    text = f"process({name}): the product has undergone {name.replace('_', ' ')}"

    def run(ctx: Context) -> Trace:
        declared = ctx.bom.product.processes
        if declared is None:
            return Trace("process", None, text, detail={"process": name, "missing": ["product.processes"]})
        done = {process_name(p) for p in declared}
        return Trace("process", name in done, text, detail={"process": name})

    return run
