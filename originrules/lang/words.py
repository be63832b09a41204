"""A rule in plain words, for `originrules rules`: what a compliance officer would say aloud."""

from __future__ import annotations

from originrules.hs import LEVEL_WORDS, LEVELS, CodeSet
from originrules.lang import ast

_OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}
_BASIS_WORDS = {"fob": "the FOB value", "ex_works": "the ex-works price", "transaction_value": "the transaction value", "net_weight": "the product's net weight", "materials_weight": "the weight of those materials", "materials": "the value of all materials (so no more than the originating ones)"}


def _codes(codes: CodeSet) -> str:
    parts = []
    for r in codes.ranges:
        word = LEVEL_WORDS.get(r.digits, "code")
        parts.append(f"{word}s {r.low} to {r.high}" if r.low != r.high else f"{word} {r.low}")
    return ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1]


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def describe(expr: ast.Expr, ruleset: ast.Ruleset, env: dict[str, ast.Threshold] | None = None) -> str:
    env = env or {}
    ag = ruleset.agreement
    if isinstance(expr, ast.And):
        return " and ".join(_group(i, ruleset, env) for i in expr.items)
    if isinstance(expr, ast.Or):
        return "either " + ", or ".join(_group(i, ruleset, env) for i in expr.items)
    if isinstance(expr, ast.Shift):
        text = f"every non-originating material must change {LEVEL_WORDS[LEVELS[expr.test]]} ({expr.test})"
        if expr.exception:
            text += f", and none may come from {_codes(expr.exception)}"
        if expr.tolerance_withheld is True:
            text += ", with no tolerance"
        elif expr.tolerance_withheld:
            text += f", with no tolerance for materials of {_codes(expr.tolerance_withheld)}"
        if isinstance(expr.allowance, CodeSet):
            text += f"; materials of {_codes(expr.allowance)} may be used whatever their classification"
        elif expr.allowance is not None:
            text += f"; materials that do not change may be used up to {expr.allowance}% of the basis"
        return text
    if isinstance(expr, ast.Manufacture):
        text = "no change of classification is required"
        if expr.allowed is not None:
            text = f"every non-originating material must be of {_codes(expr.allowed)}"
        if expr.exception:
            text += f", and none may come from {_codes(expr.exception)}"
        if isinstance(expr.allowance, CodeSet):
            text += f"; materials of {_codes(expr.allowance)} may be used as well"
        elif expr.allowance is not None:
            text += f"; others may be used up to {expr.allowance}% of the basis"
        return text
    if isinstance(expr, ast.Untranslated):
        return f"the annex says \"{expr.prose}\", not yet written as a rule"
    if isinstance(expr, ast.Dated):
        return f"{describe(expr.expr, ruleset, env)} (until {expr.until.isoformat()})"
    if isinstance(expr, ast.ValueTest):
        pct = f"{expr.threshold.bind(env).value()}%"
        bases = [expr.basis] if expr.basis else list(ag.bases)
        basis = _or_list([_BASIS_WORDS.get(b, b) for b in bases])
        if expr.name == "VNM":
            scope = f" of {_codes(expr.scope)}" if expr.scope else ""
            return f"non-originating materials{scope} must be {_OP_WORDS[expr.operator]} {pct} of {basis}"
        methods = [expr.method] if expr.method else [m.name for m in ag.methods]
        how = _or_list([m.replace("_", "-") for m in methods])
        choice = " (the producer's choice)" if len(methods) * len(bases) > 1 else ""
        return f"the {expr.name} must be {_OP_WORDS[expr.operator]} {pct} of {basis} by the {how} method{choice}"
    if isinstance(expr, ast.Process):
        return f"the product must undergo {expr.name.replace('_', ' ')}"
    if isinstance(expr, ast.WhollyObtained):
        if expr.scope is not None:
            return f"every material of {_codes(expr.scope)} must be wholly obtained"
        return "the product must be wholly obtained in a party"
    if isinstance(expr, ast.Call):
        let = next(x for x in ruleset.lets if x.name == expr.name)
        return describe(let.body, ruleset, {p: a.bind(env) for p, a in zip(let.params, expr.args)})
    raise TypeError(f"cannot describe {expr!r}")


def _group(expr: ast.Expr, ruleset: ast.Ruleset, env: dict[str, ast.Threshold]) -> str:
    text = describe(expr, ruleset, env)
    inner = expr
    if isinstance(expr, ast.Call):
        inner = next(x for x in ruleset.lets if x.name == expr.name).body
    return f"({text})" if isinstance(inner, (ast.And, ast.Or)) else text
