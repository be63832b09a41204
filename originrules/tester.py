"""`originrules test`: test cases written next to the rules, and which rules they reach.

A case file is YAML (rulesets/tests/<agreement>/*.yaml):

    agreement: UAE                  # default for the cases below
    cases:
      - name: a motorcycle with Japanese fuel injection originates
        bom: ../../../examples/motorcycle-uae.json     # a path (relative to this file) or inline
        expect: originating                           # originating | not originating | undetermined
        rule: "87"                                    # optional: the rule key that must apply
        failing_materials: []                         # optional: ids failing a tariff-shift test
        percent: "86.70"                              # optional: a percentage some value test shows
        what_if: ["6.origin=IN"]                      # optional, as --what-if

Numbers in inline BOMs are read exactly (YAML floats become decimals, never binary floats).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml

from originrules.advice import what_if
from originrules.bom import from_dict, load_bom
from originrules.compile import CompiledRuleset, Compiler, Context, Trace
from originrules.engine import Decision, _split, check, make_context, select_rule
from originrules.errors import OriginrulesError, Problem
from originrules.lang import ast
from originrules.registry import find

VERDICTS = ("originating", "not originating", "undetermined")


class _ExactLoader(yaml.SafeLoader):
    """YAML with decimals: 1050.10 stays 1050.10."""


_ExactLoader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: Decimal(loader.construct_scalar(node)))
_ExactLoader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: Decimal(loader.construct_scalar(node).replace("_", "")))


@attrs.frozen
class CaseResult:
    file: str
    name: str
    passed: bool
    expected: str
    got: str
    details: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def discover(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(x for x in p.rglob("*.y*ml") if x.suffix in (".yaml", ".yml")))
        elif p.exists():
            found.append(p)
        else:
            raise OriginrulesError(Problem("no such file or directory", str(p), "TST001"))
    return found


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ExactLoader)  # noqa: S506 - a safe loader with decimals
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise OriginrulesError(Problem(f"cannot read test cases: {e}", str(path), "TST002")) from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise OriginrulesError(Problem("expected a mapping with a list 'cases'", str(path), "TST002"))
    return data


def _trace_values(t: Trace | None) -> tuple[set[str], set[str]]:
    failing: set[str] = set()
    percents: set[str] = set()

    def walk(n: Trace) -> None:
        failing.update(f["id"] for f in n.detail.get("failing_materials", ()))
        if n.detail.get("percent"):
            percents.add(n.detail["percent"])
        for c in n.children:
            walk(c)

    if t:
        walk(t)
    return failing, percents


def run_case(path: Path, default_agreement: str | None, case: dict[str, Any], coverage: Coverage | None) -> CaseResult:
    name = str(case.get("name", "unnamed case"))
    expected = str(case.get("expect", ""))
    where = f"{path}::{name}"
    if expected not in VERDICTS:
        raise OriginrulesError(Problem(f"{name}: expect must be one of {', '.join(VERDICTS)}", str(path), "TST003"))
    agreement = case.get("agreement", default_agreement)
    if not agreement:
        raise OriginrulesError(Problem(f"{name}: no agreement for this case", str(path), "TST003"))
    raw = case.get("bom")
    if isinstance(raw, str):
        bom = load_bom(path.parent / raw)
    elif isinstance(raw, dict):
        bom = from_dict(raw, where)
    else:
        raise OriginrulesError(Problem(f"{name}: bom must be a path or an inline BOM", str(path), "TST003"))
    if case.get("what_if"):
        bom = what_if(bom, [str(x) for x in case["what_if"]])
    crs = find(str(agreement))
    decision = check(bom, crs, assume_origin=bool(case.get("assume_origin", False)))
    if coverage is not None:
        coverage.record(crs, decision)
    details = []
    ok = decision.verdict == expected
    failing, percents = _trace_values(decision.trace)
    if "rule" in case and (decision.rule is None or decision.rule.key != str(case["rule"])):
        ok = False
        details.append(f"rule: expected {case['rule']}, got {decision.rule.key if decision.rule else 'none'}")
    if "failing_materials" in case and failing != {str(x) for x in case["failing_materials"]}:
        ok = False
        details.append(f"failing materials: expected {sorted(str(x) for x in case['failing_materials'])}, got {sorted(failing)}")
    if "percent" in case and str(case["percent"]) not in percents:
        ok = False
        details.append(f"percent: expected {case['percent']}%, the value tests show {', '.join(sorted(percents)) or 'none'}")
    if not ok:
        details.extend(_why(decision))
    return CaseResult(str(path), name, ok, expected, decision.verdict, tuple(details))


def _why(decision: Decision) -> list[str]:
    out = [f"rule {decision.rule.key}: {decision.rule.text} ({decision.rule.source})"] if decision.rule else []
    out.extend(decision.reasons)

    def walk(t: Trace, depth: int) -> None:
        if t.test in ("value", "shift", "wholly_obtained", "process", "insufficient_operations") and not (t.test == "value" and t.children):
            out.append(f"{'met' if t.passed else 'NOT MET' if t.passed is False else 'unknown'}: {t.text}")
        for c in t.children:
            walk(c, depth + 1)

    if decision.trace:
        walk(decision.trace, 0)
    return out


def run(paths: list[Path], coverage: Coverage | None = None) -> list[CaseResult]:
    results = []
    for path in discover(paths):
        data = _load(path)
        for case in data["cases"]:
            if not isinstance(case, dict):
                raise OriginrulesError(Problem("each case is a mapping", str(path), "TST003"))
            results.append(run_case(path, data.get("agreement"), case, coverage))
    return results


# ---------------------------------------------------------------- coverage


class Coverage:
    """Which rules some case selected, and which `or` arms some case met."""

    def __init__(self) -> None:
        self.rules: dict[str, set[int]] = {}  # ruleset path -> lines of rules reached
        self.arms: dict[str, set[tuple[int, int]]] = {}  # ruleset path -> (line, col) of arms met
        self._compilers: dict[str, Compiler] = {}
        self._rulesets: dict[str, CompiledRuleset] = {}

    def record(self, crs: CompiledRuleset, decision: Decision) -> None:
        path = crs.ruleset.path
        self._rulesets[path] = crs
        self.rules.setdefault(path, set())
        self.arms.setdefault(path, set())
        chosen, _, _ = select_rule(crs, decision.bom)
        if chosen is None:
            return
        self.rules[path].add(chosen.rule.span.line)
        ag = crs.agreement
        non, vnm, _, shift, ignored = _split(decision.bom, ag.zone, decision.assume_origin, ag.treatments)
        ctx = make_context(decision.bom, crs, chosen, non, vnm, shift, ignored, decision.on)
        compiler = self._compilers.setdefault(path, Compiler(crs.ruleset))
        self._arms(compiler, crs.ruleset, chosen.rule.body, {}, ctx, self.arms[path])

    def _arms(self, compiler: Compiler, rs: ast.Ruleset, e: Any, env: dict[str, ast.Threshold], ctx: Context, met: set[tuple[int, int]]) -> None:
        if isinstance(e, ast.Or):
            for arm in e.items:
                if compiler.verdict(arm, env)(ctx) is True:
                    met.add((arm.span.line, arm.span.column))
        if isinstance(e, (ast.And, ast.Or)):
            for i in e.items:
                self._arms(compiler, rs, i, env, ctx, met)
        elif isinstance(e, ast.Call):
            let = next(x for x in rs.lets if x.name == e.name)
            self._arms(compiler, rs, let.body, {p: a.bind(env) for p, a in zip(let.params, e.args)}, ctx, met)

    def report(self) -> list[dict[str, Any]]:
        out = []
        for path, crs in sorted(self._rulesets.items()):
            rs = crs.ruleset
            missed_rules = [f"{r.key_text} (line {r.span.line})" for r in rs.rules if r.span.line not in self.rules[path]]
            arms: list[tuple[int, int, str]] = []

            def collect(e: Any, into: list[tuple[int, int, str]] = arms) -> None:
                if isinstance(e, (ast.And, ast.Or)):
                    if isinstance(e, ast.Or):
                        into.extend((a.span.line, a.span.column, _arm_text(a)) for a in e.items)
                    for i in e.items:
                        collect(i, into)

            reached_lets = self._reached_lets(rs, path)
            for r in rs.rules:
                if r.span.line in self.rules[path]:
                    collect(r.body)
            for let in rs.lets:
                if let.name in reached_lets:
                    collect(let.body)
            missed_arms = sorted({f"{text} (line {line}:{col})" for line, col, text in arms if (line, col) not in self.arms[path]})
            out.append(
                {
                    "ruleset": path,
                    "rules": len(rs.rules),
                    "rules_reached": len(self.rules[path]),
                    "rules_not_reached": missed_rules,
                    "or_arms_never_met": missed_arms,
                }
            )
        return out

    def _reached_lets(self, rs: ast.Ruleset, path: str) -> set[str]:
        names: set[str] = set()

        def calls(e: Any) -> None:
            if isinstance(e, (ast.And, ast.Or)):
                for i in e.items:
                    calls(i)
            elif isinstance(e, ast.Call) and e.name not in names:
                names.add(e.name)
                calls(next(x for x in rs.lets if x.name == e.name).body)

        for r in rs.rules:
            if r.span.line in self.rules[path]:
                calls(r.body)
        return names


def _arm_text(e: Any) -> str:
    from originrules.lang.format import expr_text

    return expr_text(e)
