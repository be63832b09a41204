"""Find and load the shipped rulesets by agreement code or alias, case-insensitively."""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from originrules import resources
from originrules.compile import Compiler, Test
from originrules.errors import Problem, RulesetError, UnknownAgreement
from originrules.hs import CodeRange
from originrules.lang import ast
from originrules.lang.resolve import load_text


@attrs.frozen
class CompiledRule:
    rule: ast.Rule
    test: Test


@attrs.frozen
class CompiledRuleset:
    """A ruleset with every rule compiled once, and an index from HS code to rule."""

    ruleset: ast.Ruleset
    rules: tuple[CompiledRule, ...]
    general: CompiledRule | None
    by_prefix: dict[str, tuple[CompiledRule, ...]]  # "8716" -> rules keyed exactly so
    ranges: tuple[tuple[CodeRange, CompiledRule], ...]  # keys that are real ranges

    @property
    def agreement(self) -> ast.Agreement:
        return self.ruleset.agreement

    def candidates(self, code: str) -> tuple[int, list[CompiledRule]]:
        """The rules of the most specific level that covers `code`, and that level's digits.

        Most specific wins: subheading > heading > chapter > the general rule.
        """
        for digits in (10, 8, 6, 4, 2):
            if len(code) < digits:
                continue
            found = list(self.by_prefix.get(code[:digits], ()))
            found += [cr for rng, cr in self.ranges if rng.digits == digits and rng.contains(code)]
            if found:
                return digits, found
        return 0, [self.general] if self.general else []


def compile_ruleset(ruleset: ast.Ruleset) -> CompiledRuleset:
    compiler = Compiler(ruleset)
    rules, by_prefix, ranges = [], {}, []
    general = None
    for rule in ruleset.rules:
        cr = CompiledRule(rule, compiler.compile(rule.body))
        rules.append(cr)
        if rule.is_general:
            general = cr
        for key in rule.keys:
            if key.codes.low == key.codes.high:
                by_prefix.setdefault(key.codes.low, []).append(cr)
            else:
                ranges.append((key.codes, cr))
    return CompiledRuleset(
        ruleset, tuple(rules), general, {k: tuple(v) for k, v in by_prefix.items()}, tuple(ranges)
    )


def load_file(path: str | Path, cite_as: str | None = None) -> CompiledRuleset:
    """Load, check and compile one `.roo` file. `cite_as` is the name used in citations."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesetError(Problem(f"cannot read ruleset: {e}", str(path), "ORL100")) from None
    return compile_ruleset(load_text(text, cite_as or str(path)))


@functools.lru_cache(maxsize=1)
def shipped() -> dict[str, CompiledRuleset]:
    """Every shipped ruleset, by agreement code."""
    out = {}
    for path in sorted(resources.rulesets_dir().glob("*.roo")):
        crs = load_file(path, f"rulesets/{path.name}")
        out[crs.agreement.code] = crs
    return out


def find(name: str) -> CompiledRuleset:
    """The ruleset whose code or alias is `name`, case-insensitively."""
    wanted = name.strip().upper()
    for crs in shipped().values():
        ag = crs.agreement
        if wanted == ag.code.upper() or wanted in (a.upper() for a in ag.aliases):
            return crs
    known = ", ".join(
        f"{c.agreement.code}" + (f" ({', '.join(c.agreement.aliases)})" if c.agreement.aliases else "") for c in shipped().values()
    )
    raise UnknownAgreement(Problem(f"unknown agreement {name!r}; known: {known}", code="CLI001"))
