"""AST -> closures, once per ruleset. Each compiled test takes a `Context` and returns a `Trace`.

Tests are three-valued (LANGUAGE.md, "Three values"): met (True), not met (False) or
unknown (None) when the BOM lacks what the test needs. Ratios are computed as exact
fractions, so 45.00% meets `>= 45%` and scaling every value by the same factor changes
nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import attrs

from originrules.bom import Bom, Material
from originrules.hs import LEVEL_WORDS, LEVELS, CodeSet
from originrules.lang import ast
from originrules.lang.ast import process_name

_OPS: dict[str, Callable[[Any, Any], bool]] = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_HUNDRED = Fraction(100)


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

    __slots__ = ("bom", "code", "non_originating", "quantities", "tolerance", "bases", "warnings", "index")

    def __init__(
        self,
        bom: Bom,
        non_originating: Sequence[Material],
        tolerance: ast.DeMinimis | None,
        bases: tuple[str, ...],
        warnings: list[str],
    ):
        self.bom = bom
        self.bases = bases
        self.code = bom.product.hs_code
        self.non_originating = non_originating
        self.tolerance = tolerance
        self.warnings = warnings
        self.index = {m.id: i for i, m in enumerate(bom.materials)}
        vnm = sum((m.value for m in non_originating), Decimal(0))
        total = sum((m.value for m in bom.materials), Decimal(0))
        p = bom.product
        q: dict[str, Decimal | None] = {"fob": p.fob, "ex_works": p.ex_works, "VNM": vnm, "VOM": total - vnm}
        for name in ("direct_labour", "direct_overhead", "profit", "other_costs"):
            q[name] = bom.costs.get(name)
        self.quantities = q

    def path(self, m: Material, field: str) -> str:
        return f"materials[{self.index[m.id]}].{field}"


Test = Callable[[Context], Trace]


def percent_text(value: Fraction, threshold: Fraction | None = None, op: str | None = None) -> str:
    """Two decimals, unless rounding would make an unmet test look met (44.996% is not 45.00%)."""
    for places in (2, 4, 6, 10):
        shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if threshold is None or op is None or _OPS[op](Fraction(shown), threshold) == _OPS[op](value, threshold):
            return str(shown)
    return str(shown)


def _decimal_text(value: Fraction) -> str:
    """A threshold as written: 45, 7.5 (thresholds are decimals, so this division is exact)."""
    return str(Decimal(value.numerator) / Decimal(value.denominator))


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


# ---------------------------------------------------------------- method arithmetic


def compile_formula(formula: ast.Arith) -> Callable[[dict[str, Fraction | None]], Fraction | None]:
    if formula.op == "name":
        name = formula.name
        return lambda q: q[name]  # type: ignore[index]
    if formula.op == "const":
        c = Fraction(formula.constant)  # type: ignore[arg-type]
        return lambda q: c
    left, right = (compile_formula(a) for a in formula.args)
    op = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[formula.op]

    def run(q: dict[str, Fraction | None]) -> Fraction | None:
        a, b = left(q), right(q)
        if a is None or b is None or (formula.op == "/" and b == 0):
            return None
        return op(a, b)  # type: ignore[no-any-return]

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
        exception = node.exception
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
            for m in ctx.non_originating:
                h = m.hs_code
                if h is None:
                    unknown.append(m)
                    continue
                if len(h) < digits:
                    reason = f"HS code {h} is too short to tell its {word}"
                    ctx.warnings.append(f"material {m.id}: {reason}; it fails {node.test}")
                elif exception and exception.contains(h):
                    reason = f"from {h[:digits]}, excepted"
                elif h[:digits] == own:
                    reason = f"same {word} {own} as the product"
                else:
                    continue
                failing.append({"id": m.id, "hs_code": h, "value": str(m.value), "reason": reason})
                failing_materials.append(m)
            detail: dict[str, Any] = {"level": word, "failing_materials": failing}
            if not failing and not unknown:
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
        threshold = Fraction(threshold_pct)
        op = node.operator
        compare = _OPS[op]
        ag = self.agreement
        bases = [node.basis] if node.basis else list(ag.bases)
        is_maxnom = node.name == "VNM"
        methods: list[str | None] = [None] if is_maxnom else ([node.method] if node.method else [m.name for m in ag.methods])
        scope = node.scope
        formulas = self.formulas
        label = node.name
        args = [a for a in (node.method, node.basis) if a]
        if args:
            label += f"({', '.join(args)})"
        if scope:
            label += f" from {scope}"
        label += f" {op} {threshold_pct}%"

        def run(ctx: Context) -> Trace:
            q = ctx.quantities
            vnm = q["VNM"]
            if scope is not None:
                vnm = sum((m.value for m in ctx.non_originating if m.hs_code and scope.contains(m.hs_code)), Decimal(0))
            options: list[Trace] = []
            for method in methods:
                for basis in bases:
                    options.append(self._option(ctx, q, vnm, method, basis, threshold, op, compare, node.name))
            results = [o.passed for o in options]
            passed = True if True in results else (None if None in results else False)
            chosen = next((o for o in options if o.passed is passed), options[0])
            detail = {k: chosen.detail[k] for k in ("method", "basis", "percent", "threshold", "operator") if k in chosen.detail}
            if passed is None:
                detail["missing"] = chosen.detail.get("missing", [])
            if len(options) == 1:
                return Trace("value", passed, chosen.text, detail={**chosen.detail})
            return Trace("value", passed, label, options, detail)

        return run

    def _option(
        self,
        ctx: Context,
        q: dict[str, Decimal | None],
        vnm: Decimal,
        method: str | None,
        basis: str,
        threshold: Fraction,
        op: str,
        compare: Callable[[Any, Any], bool],
        name: str,
    ) -> Trace:
        base_value = q[basis]
        detail: dict[str, Any] = {"method": method, "basis": basis, "threshold": _decimal_text(threshold), "operator": op}
        head = f"{name}({method}, {basis})" if method else f"{name}({basis})"
        if base_value is None:
            detail["missing"] = [f"product.{basis}"]
            return Trace("value", None, f"{head}: the BOM gives no {basis} value", detail=detail)
        if method is None:  # MaxNOM: VNM / basis
            ratio: Fraction | None = Fraction(vnm) / Fraction(base_value)
            formula_text = f"VNM / {basis} = {_money(vnm)} / {_money(base_value)}"
        else:
            formula, formula_text, names = self.formulas[method]
            fq: dict[str, Fraction | None] = {}
            for n in names:  # convert only what the formula uses: Fraction() is not free
                v = base_value if n == "basis" else (vnm if n == "VNM" else q[n])
                fq[n] = None if v is None else Fraction(v)
            ratio = formula(fq)
            if ratio is None:
                missing = [n for n in names if n != "basis" and q.get(n, 0) is None]
                detail["missing"] = [f"costs.{n}" for n in missing]
                return Trace("value", None, f"{head}: the BOM gives no {', '.join(missing) or 'value'} for {formula_text}", detail=detail)
        percent = ratio * _HUNDRED  # type: ignore[operator]
        passed = compare(percent, threshold)
        shown = percent_text(percent, threshold, op)
        detail["percent"] = shown
        verdict = "met" if passed else "not met"
        return Trace("value", passed, f"{head} = {shown}% {op} {detail['threshold']}%  {verdict}", detail=detail)


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
    bases = [dm.of] if dm.of != "basis" else list(ctx.bases)
    best: tuple[Decimal, str] | None = None
    for basis in bases:
        value = ctx.quantities.get(basis)
        if value is not None:
            limit = value * dm.percent / 100
            if best is None or limit > best[0]:
                best = (limit, basis)
    info.update({"percent": str(dm.percent), "value": str(total)})
    if best is None:
        info["reason"] = "no basis value to take the tolerance of"
        return (False if failing else None), info
    limit, basis = best
    info.update({"basis": basis, "limit": str(limit)})
    if total <= limit:
        info["applied"] = True
        info["absorbed"] = [m.id for m in candidates]
        return True, info
    info["reason"] = f"{_money(total)} exceeds {dm.percent}% of {basis} ({_money(limit)})"
    if failing:
        return False, info
    return None, info


def _wholly_obtained(ctx: Context) -> Trace:
    declared = ctx.bom.product.wholly_obtained
    text = "WO: the product is wholly obtained in a party"
    if ctx.non_originating:
        ids = ", ".join(m.id for m in ctx.non_originating[:5])
        return Trace("wholly_obtained", False, text, detail={"reason": f"non-originating materials used: {ids}"})
    if declared is not None:
        return Trace("wholly_obtained", declared, text, detail={"reason": "declared in product.wholly_obtained"})
    if ctx.bom.materials and all(m.wholly_obtained for m in ctx.bom.materials):
        return Trace("wholly_obtained", True, text, detail={"reason": "every material is declared wholly obtained"})
    return Trace("wholly_obtained", None, text, detail={"missing": ["product.wholly_obtained"]})


def _process(name: str) -> Test:
    text = f"process({name}): the product has undergone {name.replace('_', ' ')}"

    def run(ctx: Context) -> Trace:
        declared = ctx.bom.product.processes
        if declared is None:
            return Trace("process", None, text, detail={"process": name, "missing": ["product.processes"]})
        done = {process_name(p) for p in declared}
        return Trace("process", name in done, text, detail={"process": name})

    return run
