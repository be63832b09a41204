"""AST -> closures, once per ruleset: a verdict closure (verdict.py) and an explaining one
(explain.py) per test, both over the one statement of the law in semantics.py."""

from __future__ import annotations

from originrules.compile.explain import Test, explain
from originrules.compile.scope import Scope
from originrules.compile.verdict import Verdict, verdict
from originrules.lang import ast


class Compiler(Scope):
    def compile(self, expr: ast.Expr, env: dict[str, ast.Threshold] | None = None) -> Test:
        """The explaining closure: returns the trace."""
        return explain(self, expr, env or {})

    def verdict(self, expr: ast.Expr, env: dict[str, ast.Threshold] | None = None) -> Verdict:
        """The verdict closure: the same law, no trace."""
        return verdict(self, expr, env or {})
