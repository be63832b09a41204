"""Check that originrules selects, for every rule set of the UK–India CETA annex, a rule with the
same tests, thresholds, methods and bases, at both ends of the rule set's code range.

    python tools/compare_uk_annex.py ../shared/corpus/uk-roo      # exit 0: no differences

The annex prose is read here independently of tools/uk_annex_to_roo.py: each rule becomes a set
of alternatives, each alternative a set of atomic tests (a tariff shift with its exceptions, one
value test with one method and one basis, a process, WO), and both sides are compared in that
form. So `CTH and (a or b or c)` and `(CTH and a) or (CTH and b) or (CTH and c)` are equal, and
`QVC >= 35%` equals the four method-and-basis combinations the agreement permits.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from uk_annex import clean, load_rule_sets

import originrules
from originrules.lang import ast
from originrules.lang.ast import process_name

Atom = tuple[Any, ...]
DNF = frozenset[frozenset[Atom]]  # alternatives, each a conjunction of atoms

METHODS = ("build_down", "build_up")
BASES = ("ex_works", "fob")
_LEVEL = {"CC": 2, "CTH": 4, "CTSH": 6}
_WORD_DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}


def one(atom: Atom) -> DNF:
    return frozenset({frozenset({atom})})


def any_of(*dnfs: DNF) -> DNF:
    return frozenset().union(*dnfs)


def all_of(*dnfs: DNF) -> DNF:
    out: set[frozenset[Atom]] = {frozenset()}
    for d in dnfs:
        out = {a | b for a in out for b in d}
    return frozenset(out)


def value(method: str, basis: str, percent: Decimal) -> DNF:
    return one(("value", method, basis, ">=", percent))


def any_qvc(percent: Decimal) -> DNF:
    return any_of(*(value(m, b, percent) for m, b in product(METHODS, BASES)))


def process(name: str) -> DNF:
    # the annex sometimes adds a qualifier ("... from unalloyed aluminium"); four words name it
    return one(("process", "_".join(process_name(name).split("_")[:4])))


# ---------------------------------------------------------------- the annex prose


def _codes(text: str) -> frozenset[str]:
    found = set()
    for word, number in re.findall(r"(chapter|heading|subheading)\s+(\d+)", text):
        found.add(number.zfill(_WORD_DIGITS[word]))
    return frozenset(found)


_ABC = re.compile(
    r"(\d+(?:\.\d+)?)% of (the ex-works price|the free[- ]on-board value|either the ex-works price or free-on-board value) "
    r"under the (build-down|build-up) method"
)


def _abc(text: str) -> DNF:
    alternatives = []
    for pct, basis_text, method_text in _ABC.findall(text):
        method = method_text.replace("-", "_")
        bases = BASES if basis_text.startswith("either") else (("ex_works",) if "ex-works" in basis_text else ("fob",))
        alternatives.extend(value(method, b, Decimal(pct)) for b in bases)
    if not alternatives:
        raise ValueError(f"no a/b/c value tests in: {text}")
    return any_of(*alternatives)


STANDARD_QVC = any_of(value("build_down", "ex_works", Decimal(40)), value("build_down", "fob", Decimal(45)), *(value("build_up", b, Decimal(35)) for b in BASES))


def read_entry(text: str) -> DNF:
    shift = re.match(r"(CC|CTH|CTSH):", text)
    if shift:
        rest = text[shift.end():]
        main, _, tail = rest.partition("(tariff heading)") if "(tariff heading)" in rest else rest.partition(")")
        excepted = _codes(tail.split("in which")[0]) if "excluding non-originating materials from" in tail else frozenset()
        withheld: Any = None
        conj: list[DNF] = []
        m = re.search(r"in which the non-originating materials of (.*?) do not exceed (\d+) percent", tail)
        if m:
            conj.append(one(("vnm", _codes(m.group(1)), "<=", Decimal(m.group(2)))))
        m = re.search(r"Tolerance\) does not apply to non-originating materials of (.*?)\.", tail)
        if m:
            withheld = _codes(m.group(1))
        shift_dnf = one(("shift", _LEVEL[shift.group(1)], excepted, withheld))
        if "and Standard QVC" in tail:
            conj.append(STANDARD_QVC)
        elif re.search(r"and a QVC of not less than:", tail):
            conj.append(_abc(tail))
        elif m2 := re.search(r"and a QVC of not less than (\d+(?:\.\d+)?)%", tail):
            conj.append(any_qvc(Decimal(m2.group(1))))
        alternatives = [all_of(shift_dnf, *conj)]
        if m3 := re.search(r"\bor QVC (\d+(?:\.\d+)?)%", tail):
            alternatives.append(any_qvc(Decimal(m3.group(1))))
        return any_of(*alternatives)
    if text.startswith("Standard QVC"):
        return STANDARD_QVC
    if re.search(r"\bQVC of not less than:", text):
        return _abc(text)
    if m := re.match(r"A QVC of not less than (\d+(?:\.\d+)?)%", text):
        return any_qvc(Decimal(m.group(1)))
    if text.startswith("All goods must be wholly obtained"):
        return one(("WO",))
    return process(text.rstrip("."))


def read_annex_rule(rule_set: dict[str, Any]) -> DNF:
    entries: list[str] = []
    for r in rule_set["rules"]:
        text = clean(r["rule"])
        if re.match(r"- [bc]\)", text) and entries:
            entries[-1] += " " + text  # a continuation of the a) b) c) list above it
        else:
            entries.append(text)
    return any_of(*(read_entry(e) for e in entries))


# ---------------------------------------------------------------- originrules' rule


def _expand(codes: Any) -> frozenset[str] | None:
    if codes is None or codes is False:
        return None
    if codes is True:
        return frozenset({"*"})
    out = set()
    for r in codes.ranges:
        width = len(r.low)
        out.update(str(n).zfill(width) for n in range(int(r.low), int(r.high) + 1))
    return frozenset(out)


def read_rule(expr: ast.Expr, crs: Any, env: dict[str, ast.Threshold]) -> DNF:
    ag = crs.agreement
    if isinstance(expr, ast.And):
        return all_of(*(read_rule(i, crs, env) for i in expr.items))
    if isinstance(expr, ast.Or):
        return any_of(*(read_rule(i, crs, env) for i in expr.items))
    if isinstance(expr, ast.Call):
        let = next(x for x in crs.ruleset.lets if x.name == expr.name)
        return read_rule(let.body, crs, {p: a.bind(env) for p, a in zip(let.params, expr.args)})
    if isinstance(expr, ast.Shift):
        return one(("shift", _LEVEL[expr.test], _expand(expr.exception) or frozenset(), _expand(expr.tolerance_withheld)))
    if isinstance(expr, ast.ValueTest):
        pct = expr.threshold.bind(env).value()
        if expr.name == "VNM":
            return one(("vnm", _expand(expr.scope), expr.operator, pct))
        methods = [expr.method] if expr.method else [m.name for m in ag.methods]
        bases = [expr.basis] if expr.basis else list(ag.bases)
        return any_of(*(one(("value", m, b, expr.operator, pct)) for m in methods for b in bases))
    if isinstance(expr, ast.Process):
        return process(expr.name)
    if isinstance(expr, ast.WhollyObtained):
        return one(("WO",))
    raise TypeError(expr)


# ---------------------------------------------------------------- comparison


def _specific(rule_sets: list[dict[str, Any]], code: str, this: dict[str, Any]) -> bool:
    """Is `this` the annex's own most specific rule set for `code`?"""
    covering = [rs for rs in rule_sets if rs["min"] <= code <= rs["max"]]
    narrowest = min(int(rs["max"]) - int(rs["min"]) for rs in covering)
    return int(this["max"]) - int(this["min"]) == narrowest


def compare(path: str, crs: Any = None) -> dict[str, Any]:
    """Compare the annex at `path` with the shipped UK ruleset (or `crs`, a compiled ruleset)."""
    rule_sets = load_rule_sets(path)
    crs = crs or originrules.find_agreement("UK")
    differences = []
    checked = 0
    for rs in rule_sets:
        expected = read_annex_rule(rs)
        for code in sorted({rs["min"], rs["max"]}):
            if not _specific(rule_sets, code, rs):
                continue  # a narrower annex row governs this end; it is checked there
            checked += 1
            found = crs.candidates(code)
            if len(found) > 1:
                found = [cr for cr in found if cr.rule.subdivision == rs["subdivision"]]
            where = f"{rs['heading']} ({rs['subdivision'][:50]}) at {code}"
            if len(found) != 1:
                differences.append({"rule_set": where, "problem": f"originrules selects {len(found)} rules"})
                continue
            got = read_rule(found[0].rule.body, crs, {})
            if got != expected:
                differences.append(
                    {
                        "rule_set": where,
                        "rule": found[0].ref.source,
                        "annex_only": sorted(map(str, expected - got)),
                        "originrules_only": sorted(map(str, got - expected)),
                    }
                )
    return {"rule_sets": len(rule_sets), "ends_checked": checked, "differences": differences}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="shared/corpus/uk-roo, or the india.json file itself")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    report = compare(args.path)
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        for d in report["differences"]:
            print(f"DIFFERENT {d['rule_set']}: {json.dumps({k: v for k, v in d.items() if k != 'rule_set'})}")
        print(f"{report['rule_sets']} rule sets, {report['ends_checked']} range ends checked, {len(report['differences'])} differences")
    return 1 if report["differences"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
