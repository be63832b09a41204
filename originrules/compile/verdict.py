"""Verdict closures: the law of each test (semantics.py) and nothing else. For a check, a
catalogue, the what-if search: only the verdict is computed; the explanation waits until a
report asks for it (explain.py)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from originrules.compile import semantics as law
from originrules.compile.scope import Scope
from originrules.compile.trace import Context
from originrules.compile.values import compare_ratio
from originrules.lang import ast

Verdict = Callable[[Context], "bool | None"]


def verdict(compiler: Scope, expr: ast.Expr, env: dict[str, ast.Threshold]) -> Verdict:
    if isinstance(expr, (ast.And, ast.Or)):
        return _combine([verdict(compiler, i, env) for i in expr.items], isinstance(expr, ast.Or))
    if isinstance(expr, (ast.Shift, ast.Manufacture)):
        return _shift(expr)
    if isinstance(expr, ast.ValueTest):
        return _value(compiler, expr, env)
    if isinstance(expr, ast.Call):
        let = compiler.lets[expr.name]
        return verdict(compiler, let.body, {p: a.bind(env) for p, a in zip(let.params, expr.args)})
    if isinstance(expr, ast.WhollyObtained):
        if expr.scope is not None:
            scope = expr.scope
            return lambda ctx: law.wholly_obtained_materials(ctx, scope)[0]
        return lambda ctx: law.wholly_obtained(ctx)[0]
    if isinstance(expr, ast.Untranslated):
        return lambda ctx: None
    if isinstance(expr, ast.Dated):
        inner, until = verdict(compiler, expr.expr, env), expr.until
        return lambda ctx: inner(ctx) if law.in_force(ctx, until) else False
    if isinstance(expr, ast.Process):
        name = expr.name
        return lambda ctx: law.process_done(ctx, name)
    raise TypeError(f"cannot compile {expr!r}")  # resolve() leaves no raw Term behind


def _combine(parts: list[Verdict], is_or: bool) -> Verdict:
    # law.any_of / law.all_of, stopping early: `or` at the first met part, `and` at the first failed one
    stop = is_or

    def combine(ctx: Context) -> bool | None:
        unknown = False
        for part in parts:
            r = part(ctx)
            if r is stop:
                return stop
            unknown = unknown or r is None
        return None if unknown else not stop

    return combine


def _shift(node: ast.Shift | ast.Manufacture) -> Verdict:
    failures = law.failures_of(node)
    withheld = node.tolerance_withheld
    allowance = node.allowance

    def run(ctx: Context) -> bool | None:
        failing, unknown = failures(ctx)
        if not failing and not unknown:
            return True
        if allowance is not None:
            failing, unknown, _ = law.allow(ctx, failing, unknown, allowance)
            if not failing and not unknown:
                return True
        return law.tolerate(ctx, [m for m, _ in failing], unknown, withheld)[0]

    return run


def _value(compiler: Scope, node: ast.ValueTest, env: dict[str, ast.Threshold]) -> Verdict:
    threshold = node.threshold.bind(env).value()
    op = node.operator
    methods, bases = compiler.choices(node)
    combos = [(None if m is None else compiler.formulas[m][0], b) for m in methods for b in bases]
    scope = node.scope

    def run(ctx: Context) -> bool | None:
        if scope is not None and scope.qualifier is not None:  # decided only if the same at both ends
            low, high, _ = law.qualified_vnm(ctx, scope)
            at_low, at_high = run_with(ctx, low), run_with(ctx, high)
            return at_low if at_low == at_high else None
        return run_with(ctx, law.scoped_vnm(ctx, scope))

    def run_with(ctx: Context, vnm: Decimal) -> bool | None:
        q = ctx.quantities
        unknown = False
        for formula, basis in combos:
            if basis in law.WEIGHT_BASES:
                weight, whole, missing = law.weights(ctx, scope, basis)
                if missing:
                    unknown = True
                    continue
                ratio = law.option_ratio({basis: whole}, weight, formula, basis)  # type: ignore[arg-type]
            else:
                ratio = law.option_ratio(q, vnm, formula, basis)
            if isinstance(ratio, str):
                unknown = True
            elif compare_ratio(ratio, op, threshold):
                return True
        return None if unknown else False

    return run
