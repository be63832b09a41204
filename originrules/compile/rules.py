"""A compiled ruleset: every rule with its two compiled forms (made on first use), indexed by
HS code; and the rule as a decision cites it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from originrules.compile.compiler import Compiler
from originrules.compile.explain import Test
from originrules.compile.verdict import Verdict
from originrules.hs import LEVELS, CodeRange
from originrules.lang import ast
from originrules.lang.format import expr_text, inlined


class RuleRef(msgspec.Struct, frozen=True):
    """A rule as a decision cites it: key, text as written, file:line and legal source."""

    key: str
    text: str
    source: str  # "rulesets/india-uae-cepa.roo:88"
    legal_source: str | None
    description: str | None
    subdivision: str | None
    inferred: bool
    #: the rule with its sub-rules written out (every alternative in view); None if it has none
    expanded: str | None = None
    #: why the rule is marked inferred, in the ruleset's words (shown with the decision)
    inferred_note: str | None = None
    #: another reading of the annex the ruleset records (`alternative EXPR`): decided too
    alternative: str | None = None

    @classmethod
    def of(cls, ruleset: ast.Ruleset, rule: ast.Rule) -> RuleRef:
        legal = rule.provenance.source or ruleset.agreement.instrument
        expanded = None
        if ruleset.lets and "(" in rule.text and any(let.name in rule.text for let in ruleset.lets):
            expanded = expr_text(inlined(rule.body, {let.name: let for let in ruleset.lets}))
            expanded = None if expanded == rule.text else expanded
        return cls(
            rule.key_text,
            rule.text,
            f"{rule.file or ruleset.path}:{rule.span.line}",
            legal,
            rule.description,
            rule.subdivision,
            rule.provenance.inferred,
            expanded,
            rule.provenance.note if rule.provenance.inferred else None,
            rule.alternative_text,
        )

    def to_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


class CompiledRule:
    """A rule and its two compiled forms. Each is compiled once, when first used: a check of
    one product needs one rule of an annex of hundreds. What a decision reads about the rule
    (its citation, VNM limit and shift level) is likewise worked out for the rule it uses."""

    __slots__ = ("_alternative", "_compiler", "_lets", "_maxnom", "_ref", "_shift_digits", "_test", "_verdict", "partial", "rule", "ruleset")

    def __init__(self, rule: ast.Rule, compiler: Compiler, ruleset: ast.Ruleset, lets: dict[str, ast.LetDef]):
        self.rule = rule
        self.ruleset = ruleset
        self.partial = any(k.ex for k in rule.keys)  # an "ex" key: the rule covers only part of its code
        self._lets = lets
        self._compiler = compiler
        self._ref: RuleRef | None = None
        self._maxnom: tuple[Decimal | None] | None = None
        self._shift_digits: int | None = None
        self._test: Test | None = None
        self._verdict: Verdict | None = None
        self._alternative: Verdict | None = None

    @property
    def ref(self) -> RuleRef:
        """The rule as a decision cites it."""
        if self._ref is None:
            self._ref = RuleRef.of(self.ruleset, self.rule)
        return self._ref

    @property
    def maxnom(self) -> Decimal | None:
        """The rule's lowest VNM limit (VNM <= x%), for tolerance `within VNM`."""
        if self._maxnom is None:
            self._maxnom = (_maxnom(self.rule.body, self._lets, {}),)
        return self._maxnom[0]

    @property
    def shift_digits(self) -> int:
        """The finest tariff-shift level the rule tests (0: none)."""
        if self._shift_digits is None:
            self._shift_digits = _shift_digits(self.rule.body, self._lets)
        return self._shift_digits

    @property
    def alternative(self) -> Verdict | None:
        """The verdict under the rule's alternative reading (`alternative EXPR`), if it has one."""
        if self._alternative is None and self.rule.alternative is not None:
            self._alternative = self._compiler.verdict(self.rule.alternative)
        return self._alternative

    @property
    def test(self) -> Test:
        """Explains: returns the trace."""
        if self._test is None:
            self._test = self._compiler.compile(self.rule.body)
        return self._test

    @property
    def verdict(self) -> Verdict:
        """Decides only: the same law, no trace (for catalogues)."""
        if self._verdict is None:
            self._verdict = self._compiler.verdict(self.rule.body)
        return self._verdict

    def compile(self) -> CompiledRule:
        """Compile both forms now."""
        _ = self.test, self.verdict
        return self

    def __repr__(self) -> str:
        return f"CompiledRule({self.ref.key!r}, {self.ref.source!r})"


class CompiledRuleset(msgspec.Struct, frozen=True):
    """A ruleset with every rule compiled once, and an index from HS code to rule."""

    ruleset: ast.Ruleset
    rules: tuple[CompiledRule, ...]
    general: CompiledRule | None
    by_prefix: dict[str, tuple[CompiledRule, ...]]  # "8716" -> rules keyed exactly so
    ranges: tuple[tuple[CodeRange, CompiledRule], ...]  # keys that are real ranges
    # look-ups by product code, memoised: a catalogue repeats codes
    _found: dict[str, list[CompiledRule]] = msgspec.field(default_factory=dict)
    _tolerances: dict[str, tuple[ast.DeMinimis, ...]] = msgspec.field(default_factory=dict)

    @property
    def agreement(self) -> ast.Agreement:
        return self.ruleset.agreement

    def candidates(self, code: str) -> list[CompiledRule]:
        """The rules of the most specific level that covers `code`.

        Most specific wins: subheading > heading > chapter > the general rule.
        """
        found = self._found.get(code)
        if found is None:
            found = self._found[code] = self._candidates(code)
        return found

    def _candidates(self, code: str) -> list[CompiledRule]:
        for digits in (10, 8, 6, 4, 2):
            if len(code) < digits:
                continue
            found = list(self.by_prefix.get(code[:digits], ()))
            found += [cr for rng, cr in self.ranges if rng.digits == digits and rng.contains(code)]
            if found:
                return found
        return [self.general] if self.general else []

    def tolerance(self, code: str) -> ast.DeMinimis | None:
        """The de minimis for a product of this code (the first, when several are alternatives)."""
        found = self.tolerances(code)
        return found[0] if found else None

    def tolerances(self, code: str) -> tuple[ast.DeMinimis, ...]:
        """The de minimis lines for a product of this code: lines `for` its chapter beat general
        lines; several that apply alike are alternatives, the producer's choice ("7% by weight or
        10% by value"); a product in an `except` list gets none of that line."""
        if code not in self._tolerances:
            de_minimis = self.agreement.de_minimis
            # the notes' tolerance for mixed textile materials stands beside the article's, never instead of it
            textile = [d for d in de_minimis if d.of == ast.TEXTILE_WEIGHT and d.for_codes.contains(code)]
            specific = [d for d in de_minimis if d.for_codes and d.of != ast.TEXTILE_WEIGHT and d.for_codes.contains(code)]
            general = [d for d in de_minimis if not d.for_codes]
            self._tolerances[code] = tuple(d for d in (specific or general) + textile if not (d.except_codes and d.except_codes.contains(code)))
        return self._tolerances[code]


def compile_ruleset(ruleset: ast.Ruleset, eager: bool = False) -> CompiledRuleset:
    """Index a ruleset's rules by code; compile each rule now if `eager`, else on first use."""
    compiler = Compiler(ruleset)
    lets = {let.name: let for let in ruleset.lets}
    rules, by_prefix, ranges = [], {}, []
    general = None
    for rule in ruleset.rules:
        cr = CompiledRule(rule, compiler, ruleset, lets)
        rules.append(cr)
        if rule.is_general:
            general = cr
        for key in rule.keys:
            if key.codes.low == key.codes.high:
                by_prefix.setdefault(key.codes.low, []).append(cr)
            else:
                ranges.append((key.codes, cr))
    if eager:
        for cr in rules:
            cr.compile()
    return CompiledRuleset(ruleset, tuple(rules), general, {k: tuple(v) for k, v in by_prefix.items()}, tuple(ranges))


def _maxnom(expr: ast.Expr, lets: dict[str, ast.LetDef], env: dict[str, ast.Threshold]) -> Decimal | None:
    """The lowest unscoped `VNM <= x%` anywhere in a rule, sub-rules included."""
    if isinstance(expr, (ast.And, ast.Or)):
        found = [v for v in (_maxnom(i, lets, env) for i in expr.items) if v is not None]
        return min(found) if found else None
    if isinstance(expr, ast.Call):
        let = lets[expr.name]
        return _maxnom(let.body, lets, {p: a.bind(env) for p, a in zip(let.params, expr.args)})
    if isinstance(expr, ast.Dated):
        return _maxnom(expr.expr, lets, env)
    if isinstance(expr, ast.ValueTest) and expr.name == "VNM" and expr.scope is None and expr.operator in ("<=", "<"):
        return expr.threshold.bind(env).value()
    return None


def _shift_digits(expr: ast.Expr, lets: dict[str, ast.LetDef]) -> int:
    """The most digits any tariff-shift test of a rule compares, sub-rules included."""
    if isinstance(expr, (ast.And, ast.Or)):
        return max((_shift_digits(i, lets) for i in expr.items), default=0)
    if isinstance(expr, ast.Call):
        return _shift_digits(lets[expr.name].body, lets)
    if isinstance(expr, ast.Dated):
        return _shift_digits(expr.expr, lets)
    return LEVELS[expr.test] if isinstance(expr, ast.Shift) else 0
