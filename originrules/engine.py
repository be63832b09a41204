"""Pick the rule for a product, evaluate it on a BOM, and build the Decision with its trace."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from originrules import __version__
from originrules.agreements import CompiledRule, CompiledRuleset, find
from originrules.bom import UNKNOWN_ORIGIN, Bom, Material
from originrules.compile import Context, Trace
from originrules.errors import BomError, Problem
from originrules.lang import ast
from originrules.lang.ast import process_name


@attrs.frozen
class RuleRef:
    """The rule a decision applied, and where it is written."""

    key: str
    text: str
    source: str  # "rulesets/india-uae-cepa.roo:88"
    legal_source: str | None
    description: str | None
    subdivision: str | None
    inferred: bool

    @classmethod
    def of(cls, ruleset: ast.Ruleset, rule: ast.Rule) -> RuleRef:
        legal = rule.provenance.source or ruleset.agreement.instrument
        return cls(
            rule.key_text,
            rule.text,
            f"{ruleset.path}:{rule.span.line}",
            legal,
            rule.description,
            rule.subdivision,
            rule.provenance.inferred,
        )

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class MaterialStatus:
    id: str
    description: str
    hs_code: str | None
    value: Decimal
    origin: str
    originating: bool
    why: str  # "declared originating", "no declaration: non-originating", ...

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["value"] = str(self.value)
        return d


@attrs.frozen
class Decision:
    """Does the product originate, under which rule, and why."""

    originating: bool | None  # None: undetermined
    agreement: ast.Agreement
    ruleset: ast.Ruleset
    bom: Bom
    rule: RuleRef | None
    trace: Trace | None
    materials: tuple[MaterialStatus, ...]
    warnings: tuple[str, ...]
    reasons: tuple[str, ...]  # why undetermined (no rule; missing data), or why refused outright
    choices: tuple[RuleRef, ...] = ()  # the subdivisions to choose from, when the BOM names none

    @property
    def exit_code(self) -> int:
        return {True: 0, False: 1, None: 3}[self.originating]

    @property
    def verdict(self) -> str:
        return {True: "originating", False: "not originating", None: "undetermined"}[self.originating]

    def to_dict(self) -> dict[str, Any]:
        non = [m for m in self.materials if not m.originating]
        return {
            "originrules": __version__,
            "originating": self.originating,
            "verdict": self.verdict,
            "agreement": {
                "code": self.agreement.code,
                "name": self.agreement.name,
                "ruleset": self.ruleset.path,
                "ruleset_sha256": self.ruleset.sha256,
            },
            "product": {
                "hs_code": self.bom.product.hs_code,
                "description": self.bom.product.description,
                "currency": self.bom.product.currency,
                "ex_works": _str(self.bom.product.ex_works),
                "fob": _str(self.bom.product.fob),
            },
            "rule": self.rule.to_dict() if self.rule else None,
            "choices": [c.to_dict() for c in self.choices],
            "trace": self.trace.to_dict() if self.trace else None,
            "materials": {
                "count": len(self.materials),
                "non_originating_count": len(non),
                "non_originating_value": str(sum((m.value for m in non), Decimal(0))),
                "items": [m.to_dict() for m in self.materials],
            },
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _statuses(bom: Bom, zone: frozenset[str], assume_origin: bool, warnings: list[str]) -> list[MaterialStatus]:
    """Which materials count as originating. Undeclared ones do not: that is the law's default."""
    problems = []
    out = []
    for i, m in enumerate(bom.materials):
        if m.originating:
            if m.origin not in zone:
                problems.append(
                    Problem(
                        f"materials[{i}].originating: is true, but origin {m.origin} is outside the cumulation zone "
                        f"({', '.join(sorted(zone))}); only materials originating in a party (or a cumulation partner) count",
                        bom.source,
                        "BOM010",
                    )
                )
                continue
            exporter = bom.product.exporting_country
            why = "declared originating" + (f" in {m.origin} (cumulation)" if exporter and m.origin != exporter else "")
            out.append(MaterialStatus(m.id, m.description, m.hs_code, m.value, m.origin, True, why))
        elif m.originating is None and assume_origin and m.origin in zone:
            warnings.append(f"material {m.id}: treated as originating because --assume-origin is set and {m.origin} is in the cumulation zone; hold a supplier declaration")
            out.append(MaterialStatus(m.id, m.description, m.hs_code, m.value, m.origin, True, "assumed originating (--assume-origin)"))
        else:
            if m.originating is False:
                why = "declared non-originating"
            elif m.origin == UNKNOWN_ORIGIN:
                why = "origin unknown: non-originating"
            else:
                why = "no origin declaration: non-originating"
            out.append(MaterialStatus(m.id, m.description, m.hs_code, m.value, m.origin, False, why))
    if problems:
        raise BomError(problems)
    return out


def _tolerance(agreement: ast.Agreement, code: str) -> ast.DeMinimis | None:
    """The de minimis that applies to a product of this code: a chapter-specific line beats a
    general one; a product in an `except` list gets none."""
    specific = [d for d in agreement.de_minimis if d.for_codes and d.for_codes.contains(code)]
    general = [d for d in agreement.de_minimis if not d.for_codes]
    for d in specific or general:
        if d.except_codes and d.except_codes.contains(code):
            return None
        return d
    return None


def select_rule(crs: CompiledRuleset, bom: Bom) -> tuple[CompiledRule | None, list[CompiledRule], str | None]:
    """(rule, choices, reason): the applicable rule, or the subdivisions to choose from, or why none."""
    code = bom.product.hs_code
    _, found = crs.candidates(code)
    if not found:
        return None, [], f"{crs.agreement.code} has no rule for HS {code} and no general rule"
    if len(found) == 1:
        return found[0], [], None
    wanted = bom.product.subdivision
    if wanted:
        match = [cr for cr in found if cr.rule.subdivision and process_name(cr.rule.subdivision) == process_name(wanted)]
        if match:
            return match[0], [], None
        names = ", ".join(repr(cr.rule.subdivision) for cr in found)
        return None, found, f"product.subdivision {wanted!r} is not one of the choices for HS {code}: {names}"
    names = ", ".join(repr(cr.rule.subdivision) for cr in found)
    return None, found, f"HS {code} has {len(found)} rules told apart by description; set product.subdivision to one of {names}"


def check(bom: Bom, agreement: str | CompiledRuleset = "UAE", *, assume_origin: bool = False) -> Decision:
    """Decide whether the product of `bom` originates under `agreement` (a code, alias or ruleset)."""
    crs = agreement if isinstance(agreement, CompiledRuleset) else find(agreement)
    ag = crs.agreement
    warnings: list[str] = []
    statuses = _statuses(bom, ag.zone, assume_origin, warnings)
    by_id = {m.id: m for m in bom.materials}
    non_originating = [by_id[s.id] for s in statuses if not s.originating]
    base = dict(agreement=ag, ruleset=crs.ruleset, bom=bom, materials=tuple(statuses))

    chosen, choices, reason = select_rule(crs, bom)
    if chosen is None:
        refs = tuple(RuleRef.of(crs.ruleset, cr.rule) for cr in choices)
        return Decision(originating=None, rule=None, trace=None, warnings=tuple(warnings), reasons=(reason or "",), choices=refs, **base)
    rule = chosen.rule
    if rule.key_text.startswith("ex "):
        warnings.append(f"rule {rule.key_text} covers only part of its code ({rule.description}); check that the product is of that description")
    ctx = Context(bom, non_originating, _tolerance(ag, bom.product.hs_code), ag.bases, warnings)
    trace = chosen.test(ctx)
    passed = trace.passed
    reasons: list[str] = []
    insufficient = _insufficient(ag, bom)
    if insufficient is not None:
        trace = Trace("and", False if insufficient.passed is False else passed, "all of", [insufficient, trace])
        passed = trace.passed
    if passed is None:
        missing = trace.missing()
        reasons.append("the rule cannot be decided from this BOM; it lacks: " + (", ".join(missing) or "data"))
    return Decision(
        originating=passed,
        rule=RuleRef.of(crs.ruleset, rule),
        trace=trace,
        warnings=tuple(dict.fromkeys(ctx.warnings)),
        reasons=tuple(reasons),
        **base,
    )


def _insufficient(ag: ast.Agreement, bom: Bom) -> Trace | None:
    """If every process the producer declares is an insufficient operation, the good does not
    originate, whatever the PSR says. Nothing declared: nothing to test."""
    declared = bom.product.processes
    if not declared or not ag.insufficient_operations:
        return None
    names = [process_name(p) for p in declared]
    minimal = set(ag.insufficient_operations)
    only_minimal = all(n in minimal for n in names)
    text = "insufficient operations: the producer did more than " + ", ".join(ag.insufficient_operations[:4]) + ", ..."
    detail = {"processes": names, "insufficient": [n for n in names if n in minimal]}
    return Trace("insufficient_operations", not only_minimal, text, detail=detail)
