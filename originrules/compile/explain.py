"""The explaining view: the same law (semantics.py) with its words and figures, as a Trace a
report renders. Built only when something asks for the explanation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from originrules.compile import semantics as law
from originrules.compile.scope import Scope
from originrules.compile.trace import Context, Trace
from originrules.compile.values import best_headroom, compare_ratio, headroom, money, percent_text, substitute
from originrules.hs import LEVEL_WORDS, LEVELS
from originrules.lang import ast

Test = Callable[[Context], Trace]
_FIELD = {"net_weight": "net_weight_kg"}  # a basis whose BOM field is named otherwise
_BASIS_WORDS = {"fob": "FOB", "ex_works": "ex-works", "transaction_value": "transaction value", "materials": "the value of all materials", "net_weight": "net weight", "materials_weight": "the weight of those materials"}


def explain(compiler: Scope, expr: ast.Expr, env: dict[str, ast.Threshold]) -> Test:
    if isinstance(expr, ast.And):
        return _and([explain(compiler, i, env) for i in expr.items])
    if isinstance(expr, ast.Or):
        return _or([explain(compiler, i, env) for i in expr.items])
    if isinstance(expr, (ast.Shift, ast.Manufacture)):
        return _shift(expr)
    if isinstance(expr, ast.ValueTest):
        return _value(compiler, expr, env)
    if isinstance(expr, ast.WhollyObtained):
        return _wholly_obtained if expr.scope is None else _wo_materials(expr.scope)
    if isinstance(expr, ast.Untranslated):
        return _untranslated(expr.prose)
    if isinstance(expr, ast.Dated):
        return _dated(explain(compiler, expr.expr, env), expr.until)
    if isinstance(expr, ast.Process):
        return _process(expr.name)
    if isinstance(expr, ast.Call):
        return _call(compiler, expr, env)
    raise TypeError(f"cannot compile {expr!r}")  # resolve() leaves no raw Term behind


def _and(parts: list[Test]) -> Test:
    def run(ctx: Context) -> Trace:
        children = [p(ctx) for p in parts]
        return Trace("and", law.all_of([c.passed for c in children]), "all of", children)

    return run


def _or(parts: list[Test]) -> Test:
    def run(ctx: Context) -> Trace:
        children = [p(ctx) for p in parts]
        return Trace("or", law.any_of([c.passed for c in children]), "any of (the producer's choice)", children)

    return run


def _call(compiler: Scope, call: ast.Call, env: dict[str, ast.Threshold]) -> Test:
    let = compiler.lets[call.name]
    bound = {p: a.bind(env) for p, a in zip(let.params, call.args)}
    inner = explain(compiler, let.body, bound)
    args = ", ".join(f"{a.bind(env).value()}%" for a in call.args)
    label = f"{call.name}({args})" if let.params else call.name
    line = let.span.line

    def run(ctx: Context) -> Trace:
        child = inner(ctx)
        return Trace("call", child.passed, label, [child], {"rule": call.name, "line": line})

    return run


def _shift(node: ast.Shift | ast.Manufacture) -> Test:
    failures = law.failures_of(node)
    exception = node.exception if node.exception else None
    withheld = node.tolerance_withheld
    if isinstance(node, ast.Shift):
        digits = LEVELS[node.test]
        word = LEVEL_WORDS[digits]
        text = f"{node.test}: every non-originating material changes {word}"
    else:
        digits, word = 0, "classification"
        allowed = node.allowed
        text = "manufacture: " + (f"every non-originating material is of {allowed}" if allowed is not None else "materials of any heading")
    if exception:
        text += f", and none is from {exception}"
    if isinstance(node.allowance, Decimal):
        text += f"; failing materials allowed up to {node.allowance}% of the basis"
    elif node.allowance is not None:
        text += f"; materials of {node.allowance} allowed whatever their classification"
    if withheld is True:
        text += " (no tolerance)"
    elif withheld:
        text += f" (no tolerance for {withheld})"

    def reason(h: str, why: str, own: str) -> str:
        if why == law.SHORT:
            return f"HS code {h} is too short to tell its {word}"
        if why == law.EXCEPTED:
            return f"from {h[:digits] if digits else h}, excepted"
        if why == law.OUTSIDE:
            return f"{h} is not of {allowed}"
        return f"same {word} {own} as the product"

    def run(ctx: Context) -> Trace:
        failing, unknown = failures(ctx)
        own = ctx.code[:digits]
        shown = [{"id": m.id, "hs_code": m.hs_code, "value": str(m.value), "reason": reason(m.hs_code, why, own)} for m, why in failing]  # type: ignore[arg-type]
        detail: dict[str, Any] = {"level": word, "failing_materials": shown}
        if node.allowance is not None and (failing or unknown):
            failing, unknown, detail["allowance"] = law.allow(ctx, failing, unknown, node.allowance)
            allowed = set(detail["allowance"].get("absorbed", ()))
            for f in shown:  # still listed as failing the change, with why they may be used all the same
                if f["id"] in allowed:
                    f["reason"] += "; allowed by the rule"
            if not failing and not unknown:
                return Trace("shift", True, text, detail=detail)
        if not failing and not unknown:
            if ctx.tolerance is not None and (best := law.tolerance_limit(ctx, ctx.tolerance)) is not None:
                limit = str(best[0])
                detail["de_minimis"] = {"applied": False, "absorbed": [], "percent": str(ctx.tolerance.percent), "basis": best[1], "limit": limit, "used": "0", "left": limit}
            return Trace("shift", True, text, detail=detail)
        passed, dm = law.tolerate(ctx, [m for m, _ in failing], unknown, withheld)
        detail["de_minimis"] = dm
        if passed is None:
            scopes = (node.exception, node.allowance, getattr(node, "allowed", None))
            detail["missing"] = [ctx.path(m, law.missing_field(m, *scopes)) for m in unknown] + dm.get("missing", [])  # a code, the attribute a qualified set asks, a weight
        return Trace("shift", passed, text, detail=detail)

    return run


def _value(compiler: Scope, node: ast.ValueTest, env: dict[str, ast.Threshold]) -> Test:
    threshold_pct = node.threshold.bind(env).value()
    op = node.operator
    methods, bases = compiler.choices(node)
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

    def option(ctx: Context, q: dict[str, Decimal | None], vnm: Decimal, method: str | None, basis: str) -> Trace:
        if basis not in law.WEIGHT_BASES:
            return _option(compiler, q, vnm, method, basis, threshold_pct, op, node.name)
        weight, whole, missing = law.weights(ctx, scope, basis)
        if missing:
            detail = {"method": method, "basis": basis, "threshold": str(threshold_pct), "operator": op, "missing": missing}
            return Trace("value", None, f"{node.name}({basis}): the BOM gives no net weight for {', '.join(missing[:3])}", detail=detail)
        return _option(compiler, {**q, basis: whole}, weight, method, basis, threshold_pct, op, node.name)  # type: ignore[arg-type]

    def run(ctx: Context) -> Trace:
        if scope is not None and scope.qualifier is not None:
            low, high, missing = law.qualified_vnm(ctx, scope)
            at_low, at_high = run_with(ctx, low), run_with(ctx, high)
            if at_low.passed == at_high.passed:
                return at_high  # the figures that count every material the BOM may have meant
            detail = {"threshold": str(threshold_pct), "operator": op, "missing": missing}
            return Trace("value", None, f"{label}: the BOM does not say whether {len(missing)} material(s) are {scope.qualifier[0]}", detail=detail)
        return run_with(ctx, law.scoped_vnm(ctx, scope))

    def run_with(ctx: Context, vnm: Decimal) -> Trace:
        q = ctx.quantities
        if single is not None:
            return option(ctx, q, vnm, single[0], single[1])
        options = [option(ctx, q, vnm, method, basis) for method, basis in combos]
        passed = law.any_of([o.passed for o in options])
        chosen = next((o for o in options if o.passed is passed), options[0])
        detail = {k: chosen.detail[k] for k in ("method", "basis", "percent", "threshold", "operator") if k in chosen.detail}
        detail["headroom"] = best_headroom([o.detail.get("headroom") for o in options if o.passed is passed])
        if passed is None:
            detail["missing"] = chosen.detail.get("missing", [])
        return Trace("value", passed, label, options, detail)

    return run


def _option(compiler: Scope, q: dict[str, Decimal | None], vnm: Decimal, method: str | None, basis: str, threshold: Decimal, op: str, name: str) -> Trace:
    detail: dict[str, Any] = {"method": method, "basis": basis, "threshold": str(threshold), "operator": op}
    head = f"{name}({method}, {basis})" if method else f"{name}({basis})"
    formula, formula_text, names = compiler.formulas[method] if method else (None, "VNM / basis", ())
    ratio = law.option_ratio(q, vnm, formula, basis)
    if ratio == law.NO_BASIS:
        detail["missing"] = [f"product.{_FIELD.get(basis, basis)}"]
        return Trace("value", None, f"{head}: the BOM gives no {basis} value", detail=detail)
    if ratio == law.NO_QUANTITY:
        missing = [n for n in names if n != "basis" and q.get(n, 0) is None]
        detail["missing"] = [f"costs.{n}" for n in missing]
        return Trace("value", None, f"{head}: the BOM gives no {', '.join(missing) or 'value'} for {formula_text}", detail=detail)
    if ratio == law.ZERO_BASIS:
        detail["missing"] = [f"product.{basis}"]
        return Trace("value", None, f"{head}: {basis} is zero", detail=detail)
    assert not isinstance(ratio, str)
    base_value: Decimal = q[basis]  # type: ignore[assignment]
    passed = compare_ratio(ratio, op, threshold)
    shown = percent_text(ratio, threshold, op)
    detail["percent"] = shown
    verdict = "met" if passed else "not met"
    if method is None:
        arithmetic = f"{money(vnm)} / {money(base_value)}"
        words = f"VNM on {_BASIS_WORDS[basis]}"
    else:
        arithmetic = substitute(compiler.agreement.method(method).formula, {**q, "VNM": vnm, "basis": base_value})  # type: ignore[union-attr]
        words = f"{name} {method.replace('_', '-')} on {_BASIS_WORDS[basis]}"
    detail["formula"] = formula_text
    detail["headroom"] = headroom(formula, q, vnm, base_value, threshold, passed)
    text = f"{words} = {arithmetic} = {shown}% {op} {detail['threshold']}%  {verdict}"
    return Trace("value", passed, text, detail=detail)


def _wholly_obtained(ctx: Context) -> Trace:
    passed, within, detail = law.wholly_obtained(ctx)
    return Trace("wholly_obtained", passed, "WO: the product is wholly obtained in a party" + within, detail=detail)


def _wo_materials(scope: Any) -> Test:
    text = f"WO from {scope}: every material of {scope} is wholly obtained"

    def run(ctx: Context) -> Trace:
        passed, failing, missing, tolerance = law.wholly_obtained_materials(ctx, scope)
        detail: dict[str, Any] = {"failing_materials": failing}
        if tolerance:
            detail["de_minimis"] = tolerance
        if passed is None:
            detail["missing"] = missing
        return Trace("wholly_obtained", passed, text, detail=detail)

    return run


def _untranslated(prose: str) -> Test:
    text = f"untranslated: the annex says {prose!r}, which no one has yet written as a rule; decide it by hand"

    def run(ctx: Context) -> Trace:
        return Trace("untranslated", None, text, detail={"missing": ["a translation of the rule (the annex prose is quoted)"]})

    return run


def _dated(inner: Test, until: Any) -> Test:
    def run(ctx: Context) -> Trace:
        child = inner(ctx)
        # the decision's date is not in the text: a report of the same input stays the same bytes
        # for as long as the arm's state does
        if law.in_force(ctx, until):
            return Trace("dated", child.passed, f"in force until {until.isoformat()}", [child], {"until": until.isoformat()})
        return Trace("dated", False, f"no longer in force: this arm ended on {until.isoformat()}", [child], {"until": until.isoformat()})

    return run


def _process(name: str) -> Test:
    text = f"process({name}): the product has undergone {name.replace('_', ' ')}"

    def run(ctx: Context) -> Trace:
        done = law.process_done(ctx, name)
        detail: dict[str, Any] = {"process": name}
        if done is None:
            detail["missing"] = ["product.processes"]
        return Trace("process", done, text, detail=detail)

    return run
