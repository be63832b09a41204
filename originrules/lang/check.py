"""Lint: every problem in a ruleset, without evaluating anything.

Errors are what `check` would refuse (syntax, unknown names, overlapping keys, thresholds out
of range, a basis the agreement does not permit). Warnings are what is legal but probably wrong
(an unused sub-rule, an `or` arm that can never matter, a value without its legal source, a
code missing from the HS nomenclature). Notes list what is marked inferred.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from originrules.errors import Problem, RulesetError
from originrules.hs import DEFAULT_EDITION, EDITIONS
from originrules.hs import nomenclature as hs_nomenclature
from originrules.lang import ast
from originrules.lang.format import raw_text
from originrules.lang.parser import excerpt, parse
from originrules.lang.resolve import resolve


class _Lint:
    def __init__(self, text: str, filename: str):
        self.text, self.filename = text, filename
        self.problems: list[Problem] = []

    def add(self, span: ast.Span | None, severity: str, code: str, message: str, hint: str = "") -> None:
        where = f"{self.filename}:{span.line}:{span.column}" if span else self.filename
        snippet = excerpt(self.text, span.line, span.column) if span and severity != "note" else ""
        self.problems.append(Problem(message, where, code, hint, snippet, severity))


def lint_text(
    text: str, filename: str = "<string>", nomenclature: set[str] | None = None, schedule: Callable[[str, str], object] | None = None
) -> list[Problem]:
    """Every problem in `text`, errors first by position, then warnings and notes. A tariff
    schedule is checked by loading it with `schedule` (tariff.load_schedule_text, passed in by
    the command line: the language does not reach up to the tariff layer)."""
    try:
        statements = parse(text, filename)
    except RulesetError as e:
        return e.problems
    if any(s[0] in ("schedule", "tariff_line") for s in statements):
        if schedule is not None:
            try:
                schedule(text, filename)
            except RulesetError as e:
                return e.problems
        return []
    _, problems = resolve(statements, text, filename)
    lint = _Lint(text, filename)
    lint.problems.extend(problems)
    lets = [s[1] for s in statements if s[0] == "let"]
    rules = [s[1] for s in statements if s[0] == "rule"]
    agreements = [s[1] for s in statements if s[0] == "agreement"]
    _unused_lets(lint, lets, rules)
    for item in [*lets, *rules]:
        _redundant_arms(lint, item.body)
        _untranslated(lint, item.body)
    if agreements:
        _header_sources(lint, agreements[0])
    for item in [*lets, *rules]:
        _provenance(lint, item.provenance, item.span, f"rule {item.key_text}" if isinstance(item, ast.Rule) else f"sub-rule {item.name}")
    if nomenclature is None and agreements:
        # a ruleset's codes are checked against its own HS edition (hs_edition, shipped lists)
        edition = next((str(p.value[0]) for p in agreements[0][2] if isinstance(p, ast.Param) and p.keyword == "hs_edition"), DEFAULT_EDITION)
        nomenclature = set(hs_nomenclature(edition if edition in EDITIONS else DEFAULT_EDITION))
    if nomenclature is not None:
        _nomenclature(lint, rules, nomenclature)
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(lint.problems, key=lambda p: (order[p.severity], _position(p.where)))


def _position(where: str) -> tuple[int, int]:
    parts = where.rsplit(":", 2)
    try:
        return int(parts[-2]), int(parts[-1])
    except (ValueError, IndexError):
        return 0, 0


def _calls(e: Any) -> set[str]:
    if isinstance(e, (ast.And, ast.Or)):
        return set().union(*(_calls(i) for i in e.items))
    if isinstance(e, ast.Dated):
        return _calls(e.expr)
    return {e.name} if isinstance(e, ast.Term) else set()


def _untranslated(lint: _Lint, e: Any) -> None:
    """An `untranslated` entry is accepted, with a warning: check answers undetermined there."""
    if isinstance(e, (ast.And, ast.Or)):
        for i in e.items:
            _untranslated(lint, i)
    elif isinstance(e, ast.Dated):
        _untranslated(lint, e.expr)
    elif isinstance(e, ast.Untranslated):
        lint.add(e.span, "warning", "ORL280", f"untranslated annex text: {e.prose[:80]}{'...' if len(e.prose) > 80 else ''}", "check answers undetermined (exit 3) for products under this rule until it is written in the language")


def _unused_lets(lint: _Lint, lets: list[ast.LetDef], rules: list[ast.Rule]) -> None:
    used = set().union(*(_calls(r.body) for r in rules), *(_calls(let.body) for let in lets)) if (rules or lets) else set()
    for let in lets:
        if let.name not in used:
            lint.add(let.span, "warning", "ORL250", f"sub-rule {let.name} is never used", "use it in a rule, or remove it")


def _redundant_arms(lint: _Lint, e: Any) -> None:
    """`X or X` and `X or (X and Y)`: the second arm can never change the result."""
    if isinstance(e, (ast.And, ast.Or)):
        for i in e.items:
            _redundant_arms(lint, i)
    if not isinstance(e, ast.Or):
        return
    # one pass with an index of the arms' texts: a rule of 50,000 alternatives lints in linear time
    texts = [raw_text(i) for i in e.items]
    first: dict[str, int] = {}
    second: dict[str, int] = {}  # the second arm with a text, for an And whose own text is the first
    for k, t in enumerate(texts):
        if t not in first:
            first[t] = k
        elif t not in second:
            second[t] = k
    said = 0
    for j, arm in enumerate(e.items):
        candidates = []
        if first[texts[j]] < j:
            candidates.append((first[texts[j]], "same"))
        if isinstance(arm, ast.And):
            for x in arm.items:
                t = raw_text(x)
                k = first.get(t)
                if k == j:
                    k = second.get(t)
                if k is not None:
                    candidates.append((k, "absorbed"))
        if candidates:
            said += 1
            if said > MAX_SAID:
                continue
            k, kind = min(candidates)
            why = "repeats an earlier arm" if kind == "same" else f"is met only when {_short(texts[k])} is, which already meets the rule"
            lint.add(arm.span, "warning", "ORL251", f"the 'or' arm {_short(texts[j])} can never matter: it {why}", "remove the arm, or fix the rule")
    if said > MAX_SAID:
        lint.add(e.span, "warning", "ORL251", f"and {said - MAX_SAID:,} more arms of this 'or' can never matter", "remove them, or fix the rule")


MAX_SAID = 20  # redundant arms of one 'or' named one by one; the rest are counted


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."


def _header_sources(lint: _Lint, agreement: tuple[str, Any, list[Any], ast.Span]) -> None:
    _, _, items, _ = agreement
    for item in items:
        if isinstance(item, ast.Param) and item.keyword != "aliases":
            _provenance(lint, item.provenance, item.span, item.keyword)


def _provenance(lint: _Lint, prov: ast.Provenance, span: ast.Span, what: str) -> None:
    if not prov.source:
        lint.add(span, "warning", "ORL252", f"{what} has no legal source", 'add: source "article, rule or notification"')
    if prov.inferred and not prov.note:
        lint.add(span, "warning", "ORL254", f"{what} is marked inferred without saying why", 'write: inferred "what could not be confirmed"')
    elif prov.inferred:
        lint.add(span, "note", "ORL253", f"{what} is inferred: {prov.note}")


def _nomenclature(lint: _Lint, rules: list[ast.Rule], codes: set[str]) -> None:
    by_length: dict[int, list[str]] = {}
    for c in codes:
        by_length.setdefault(len(c), []).append(c)
    for rule in rules:
        for key in rule.keys:
            low, high = key.codes.low, key.codes.high
            if len(low) > 6:
                continue
            if low == high:
                if low not in codes:
                    lint.add(rule.span, "warning", "ORL260", f"{low} is not a code of the HS edition given", "check the code against the nomenclature")
            elif not any(low <= c <= high for c in by_length.get(len(low), ())):
                # a range's ends need not be codes (the UK tariff's 040210-040219), but it must hold one
                lint.add(rule.span, "warning", "ORL260", f"the range {low}-{high} holds no code of the HS edition given", "check the range against the nomenclature")


def load_nomenclature(path: str | Path) -> set[str]:
    """The codes of an HS nomenclature CSV with an `hscode` column (shared/data/hs/)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or "hscode" not in reader.fieldnames:
                raise RulesetError(Problem("expected a CSV with an 'hscode' column", str(path), "ORL100"))
            return {row["hscode"].strip() for row in reader if row.get("hscode")}
    except (OSError, UnicodeDecodeError) as e:
        raise RulesetError(Problem(f"cannot read: {e}", str(path), "ORL100")) from None
