"""What a compiled test needs of its ruleset: the agreement, the `let` definitions, the method
formulas and the choices a value test leaves open. Below compiler.py, explain.py and verdict.py,
so that both views of the law can use it and the compiler can use both (data flows one way)."""

from __future__ import annotations

from originrules.compile.values import compile_formula
from originrules.lang import ast


class Scope:
    def __init__(self, ruleset: ast.Ruleset):
        self.ruleset = ruleset
        self.agreement = ruleset.agreement
        self.lets = {let.name: let for let in ruleset.lets}
        self.formulas = {
            m.name: (compile_formula(m.formula), str(m.formula), tuple(sorted(m.formula.names()))) for m in self.agreement.methods
        }

    def choices(self, node: ast.ValueTest) -> tuple[list[str | None], list[str]]:
        """The methods and bases a value test may be met by: those written, else every one the
        agreement permits (the producer's choice). MaxNOM has no method."""
        ag = self.agreement
        bases = [node.basis] if node.basis else list(ag.bases)
        if node.name == "VNM":
            return [None], bases
        return ([node.method] if node.method else [m.name for m in ag.methods]), bases
