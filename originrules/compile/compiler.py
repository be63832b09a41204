"""AST -> closures, once per ruleset: a verdict closure (verdict.py) and an explaining one
(explain.py) per test, both over the one statement of the law in semantics.py."""

from __future__ import annotations

from originrules.compile.explain import Test, explain
from originrules.compile.values import compile_formula
from originrules.compile.verdict import Verdict, verdict
from originrules.lang import ast


class Compiler:
    def __init__(self, ruleset: ast.Ruleset):
        self.ruleset = ruleset
        self.agreement = ruleset.agreement
        self.lets = {let.name: let for let in ruleset.lets}
        self.formulas = {
            m.name: (compile_formula(m.formula), str(m.formula), tuple(sorted(m.formula.names()))) for m in self.agreement.methods
        }

    def compile(self, expr: ast.Expr, env: dict[str, ast.Threshold] | None = None) -> Test:
        """The explaining closure: returns the trace."""
        return explain(self, expr, env or {})

    def verdict(self, expr: ast.Expr, env: dict[str, ast.Threshold] | None = None) -> Verdict:
        """The verdict closure: the same law, no trace."""
        return verdict(self, expr, env or {})

    def choices(self, node: ast.ValueTest) -> tuple[list[str | None], list[str]]:
        """The methods and bases a value test may be met by: those written, else every one the
        agreement permits (the producer's choice). MaxNOM has no method."""
        ag = self.agreement
        bases = [node.basis] if node.basis else list(ag.bases)
        if node.name == "VNM":
            return [None], bases
        return ([node.method] if node.method else [m.name for m in ag.methods]), bases
