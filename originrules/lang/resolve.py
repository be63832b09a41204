"""Raw statements -> a checked `Ruleset`: names resolved against the header, keys checked.

Every problem found is collected, so a rule writer sees all of them at once.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

from originrules.errors import Problem, RulesetError
from originrules.hs import DEFAULT_EDITION, EDITIONS, LEVELS, CodeSet
from originrules.lang import ast
from originrules.lang.ast import (  # bases a VNM test may name beyond the agreement's
    MATERIALS,
    MATERIALS_WEIGHT,
    NET_WEIGHT,
    TEXTILE_WEIGHT,
    process_name,
)
from originrules.lang.parser import excerpt, parse, parse_date
from originrules.numbers import limit_message
from originrules.numbers import parse as parse_number

#: the quantities a method formula may use (LANGUAGE.md, "Properties")
QUANTITIES = ("basis", "ex_works", "fob", "transaction_value", "VNM", "VOM", "direct_labour", "direct_overhead", "profit", "other_costs")
BASES = ("ex_works", "fob", "transaction_value")
CUMULATION_KINDS = ("bilateral", "diagonal", "regional", "full")
MAXNOM = "VNM"  # the name of the MaxNOM test: VNM <= 50%
MANUFACTURE = "manufacture"  # `manufacture from yarn`: which materials may be non-originating
ROLES = ("accessory", "spare_part", "tool", "retail_packing", "transport_packing", "indirect")  # as bom.ROLES
# how a material of a role counts: not at all; in value only (no tariff shift); as originating; as any other
TREATMENTS = ("ignored", "value_only", "originating", "normal")
MAX_CALL_DEPTH = 50  # sub-rules using sub-rules; documented in docs/language.md
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class _Resolver:
    def __init__(self, text: str, filename: str):
        self.text, self.filename = text, filename
        self.problems: list[Problem] = []

    def number(self, tok: Any, span: ast.Span) -> Decimal:
        """A header percentage, within the limits every input number keeps (numbers.py)."""
        number = parse_number(str(tok))
        if number is None:
            self.problem(span, limit_message(tok), "ORL106", "write a percentage of ordinary size")
            return Decimal(0)
        return number

    def problem(self, span: ast.Span | None, message: str, code: str, hint: str = "") -> None:
        if span is None:
            self.problems.append(Problem(message, self.filename, code, hint))
            return
        self.problems.append(
            Problem(message, f"{self.filename}:{span.line}:{span.column}", code, hint, excerpt(self.text, span.line, span.column))
        )

    def did_you_mean(self, name: str, known: list[str]) -> str:
        import difflib  # only here: a did-you-mean or a diff, never on a normal run

        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) or difflib.get_close_matches(
            name.lower(), [k.lower() for k in known], n=1, cutoff=0.6
        )
        if close:
            match = next((k for k in known if k.lower() == close[0].lower()), close[0])
            return f"did you mean {match}?"
        return "known here: " + ", ".join(sorted(known))

    # ------------------------------------------------------------ header

    def agreement(self, raw: tuple[str, str | None, list[Any], ast.Span]) -> ast.Agreement:
        code, name, items, span = raw
        found: dict[str, list[ast.Param]] = {}
        instrument = None
        for item in items:
            if isinstance(item, tuple):
                instrument = item[1]
            else:
                found.setdefault(item.keyword, []).append(item)
        for kw, params in found.items():
            if kw not in ("method", "de_minimis", "treat") and len(params) > 1:
                self.problem(params[1].span, f"{kw} is given twice", "ORL210", "keep one line")
        for kw in ("parties", "value_name", "basis"):
            if kw not in found:
                self.problem(span, f"the agreement header has no {kw}", "ORL211")

        def one(kw: str) -> tuple[Any, ...] | None:
            return found[kw][0].value if kw in found else None

        parties = tuple((one("parties") or ((),))[0])
        for c in parties:
            if not _COUNTRY.match(c):
                self.problem(found["parties"][0].span, f"party {c} is not an ISO 3166 alpha-2 code", "ORL212", "e.g. IN, AE, GB")
        cumulation, cumulation_with = "bilateral", ()
        if one("cumulation"):
            kind, *others = one("cumulation")  # type: ignore[misc]
            cumulation = str(kind)
            cumulation_with = tuple(others[0]) if others else ()
            if cumulation not in CUMULATION_KINDS:
                self.problem(found["cumulation"][0].span, f"unknown cumulation {cumulation}", "ORL213", self.did_you_mean(cumulation, list(CUMULATION_KINDS)))
        bases = tuple((one("basis") or ((),))[0])
        for b in bases:
            if b not in BASES:
                self.problem(found["basis"][0].span, f"unknown basis {b}", "ORL214", self.did_you_mean(b, list(BASES)))
        in_force = expires = None
        if one("in_force"):
            try:
                in_force = parse_date(str(one("in_force")[0]))  # type: ignore[index]
                if len(one("in_force")) > 1:  # type: ignore[arg-type]
                    expires = parse_date(str(one("in_force")[1]))  # type: ignore[index]
            except ValueError:
                self.problem(found["in_force"][0].span, f"{one('in_force')[0]} is not a date", "ORL215")  # type: ignore[index]
        methods = []
        for p in found.get("method", []):
            mname, formula = p.value
            unknown = formula.names() - set(QUANTITIES)
            for q in sorted(unknown):
                self.problem(p.span, f"unknown quantity {q} in method {mname}", "ORL216", self.did_you_mean(q, list(QUANTITIES)))
            methods.append(ast.Method(str(mname), formula, p.provenance, p.span))
        de_minimis = []
        for p in found.get("de_minimis", []):
            below = p.value[0] == ("below", True)
            pct_tok, of, *opts = p.value[1:] if below else p.value
            pct = self.number(pct_tok, p.span)
            if str(of) not in ("basis", *BASES, NET_WEIGHT, TEXTILE_WEIGHT):
                self.problem(p.span, f"de_minimis is a share of basis, fob, ex_works, transaction_value, net_weight or textile_weight, not {of}", "ORL217")
            if not Decimal(0) <= pct <= Decimal(100):
                self.problem(p.span, f"de_minimis of {pct}% is outside 0-100%", "ORL218")
            o = dict(opts)
            if o.get("within", MAXNOM) != MAXNOM:
                self.problem(p.span, f"de_minimis can be kept within {MAXNOM}, not {o['within']}", "ORL219", f"write: within {MAXNOM}")
            if o.get("covering", "WO") != "WO":
                self.problem(p.span, f"de_minimis can cover WO (the materials a rule requires wholly obtained), not {o['covering']}", "ORL219", "write: covering WO")
            de_minimis.append(
                ast.DeMinimis(
                    pct, str(of), o.get("for", CodeSet()), o.get("except", CodeSet()), "within" in o, p.provenance, p.span, below=below,
                    covers_wo="covering" in o,
                )
            )
        value_names = tuple((one("value_name") or ((),))[0])
        wo_de_minimis = None
        if one("wo_de_minimis"):
            pct_text, of = one("wo_de_minimis")  # type: ignore[misc]
            wo_pct = self.number(pct_text, found["wo_de_minimis"][0].span)
            if str(of) not in ("basis", *BASES) or not Decimal(0) <= wo_pct <= Decimal(100):
                self.problem(found["wo_de_minimis"][0].span, "wo_de_minimis is a percentage (0-100%) of basis, fob or ex_works", "ORL217")
            wo_de_minimis = (wo_pct, str(of))
        treatments: dict[str, str] = {}
        for p in found.get("treat", []):
            roles, treatment = p.value
            if str(treatment) not in TREATMENTS:
                self.problem(p.span, f"unknown treatment {treatment}", "ORL231", self.did_you_mean(str(treatment), list(TREATMENTS)))
            for role in roles:
                if role not in ROLES:
                    self.problem(p.span, f"unknown material role {role}", "ORL232", self.did_you_mean(role, list(ROLES)))
                elif role in treatments:
                    self.problem(p.span, f"role {role} is treated twice", "ORL233")
                treatments[role] = str(treatment)
        hs_edition = str(one("hs_edition")[0]) if one("hs_edition") else DEFAULT_EDITION  # type: ignore[index]
        if hs_edition not in EDITIONS:
            self.problem(found["hs_edition"][0].span, f"HS edition {hs_edition} is not one originrules ships", "ORL222", f"write one of {', '.join(EDITIONS)}")
            hs_edition = DEFAULT_EDITION
        return ast.Agreement(
            code=code,
            name=name or code,
            aliases=tuple((one("aliases") or ((),))[0]),
            parties=parties,
            in_force=in_force,
            expires=expires,
            cumulation=cumulation,
            cumulation_with=cumulation_with,
            value_names=value_names,
            bases=bases,
            methods=tuple(methods),
            de_minimis=tuple(de_minimis),
            wo_de_minimis=wo_de_minimis,
            insufficient_operations=tuple(process_name(o) for o in (one("insufficient_operations") or ((),))[0]),
            proofs=tuple((one("proof") or ((),))[0]),
            treatments=treatments,
            instrument=instrument,
            params=tuple(p for ps in found.values() for p in ps),
            span=span,
            hs_edition=hs_edition,
        )

    # ------------------------------------------------------------ rule bodies

    def expr(self, node: Any, agreement: ast.Agreement, lets: dict[str, ast.LetDef], params: tuple[str, ...]) -> ast.Expr:
        if isinstance(node, ast.And):
            return ast.And(tuple(self.expr(i, agreement, lets, params) for i in node.items), node.span)
        if isinstance(node, ast.Or):
            return ast.Or(tuple(self.expr(i, agreement, lets, params) for i in node.items), node.span)
        if isinstance(node, ast.Dated):
            return ast.Dated(self.expr(node.expr, agreement, lets, params), node.until, node.span)
        if isinstance(node, ast.Untranslated):
            return node
        resolved = self.term(node, agreement, lets, params)
        if node.until is not None:
            return ast.Dated(resolved, node.until, node.span)
        return resolved

    def term(self, t: ast.Term, ag: ast.Agreement, lets: dict[str, ast.LetDef], params: tuple[str, ...]) -> ast.Expr:
        name = t.name
        value_names = (*ag.value_names, MAXNOM)
        if t.comparison is not None:
            for _, part in t.comparison[1].terms:
                if isinstance(part, str) and part not in params:
                    hint = f"parameters here: {', '.join(params)}" if params else "write a percentage such as 40%"
                    self.problem(t.span, f"unknown threshold parameter {part}", "ORL220", hint)
                elif isinstance(part, Decimal) and not Decimal(0) <= part <= Decimal(100):
                    self.problem(t.span, f"threshold {part}% is outside 0-100%", "ORL221")
        self._only(t, ("args", "scope", "comparison", "exception", "tolerance", "allowance"), name, value_names, lets)
        # a qualified set is read by value or membership; a weight test sums weights by code alone
        by_weight = name == "VNM" and any(a in ast.WEIGHT_BASES for a in (t.args or ()))
        for part, codes in (("from", t.scope if name not in (MANUFACTURE, "WO", "VNM") or by_weight else None), ("without tolerance for", t.tolerance if isinstance(t.tolerance, CodeSet) else None)):
            if codes is not None and codes.qualifier is not None:
                self.problem(t.span, f"the qualified code set {codes} cannot follow '{part}' here", "ORL108", "a set with `where` may follow `except` or `allowing`, or `manufacture from`, `WO from` or `VNM from` (by value)")
        if isinstance(t.allowance, Decimal) and not Decimal(0) <= t.allowance <= Decimal(100):
            self.problem(t.span, f"allowance {t.allowance}% is outside 0-100%", "ORL221")
        if name in LEVELS:
            return ast.Shift(name, t.exception or CodeSet(), t.tolerance if t.tolerance is not False else False, t.span, t.allowance)
        if name == MANUFACTURE:
            return ast.Manufacture(t.scope, t.exception or CodeSet(), t.tolerance if t.tolerance is not False else False, t.span, t.allowance)
        if name == "WO":
            return ast.WhollyObtained(t.span, t.scope)
        if name == "process":
            if not t.args or len(t.args) != 1 or not isinstance(t.args[0], (str, ast.Quoted)):
                self.problem(t.span, "process takes one process name", "ORL222", "e.g. process(chemical_reaction)")
                return ast.Process("", t.span)
            arg = t.args[0]
            return ast.Process(process_name(arg.text if isinstance(arg, ast.Quoted) else arg), t.span)
        if name in value_names:
            return self.value_test(t, ag)
        if name in lets:
            let = lets[name]
            args = t.args or ()
            if len(args) != len(let.params):
                self.problem(t.span, f"{name} takes {len(let.params)} argument(s), got {len(args)}", "ORL223", f"{name}({', '.join(let.params)})" if let.params else name)
            bound = []
            for a in args:
                if isinstance(a, str) and a in params:
                    a = ast.Threshold(((1, a),))
                if isinstance(a, ast.Threshold):
                    for _, part in a.terms:
                        if isinstance(part, str) and part not in params:
                            self.problem(t.span, f"unknown threshold parameter {part}", "ORL220")
                    bound.append(a)
                else:
                    self.problem(t.span, f"arguments of {name} are percentages, got {a}", "ORL224")
            return ast.Call(name, tuple(bound), t.span)
        known = [*LEVELS, MANUFACTURE, "WO", "process", *value_names, *lets]
        self.problem(t.span, f"unknown test {name}", "ORL201", self.did_you_mean(name, known))
        return t

    def _only(self, t: ast.Term, parts: tuple[str, ...], name: str, value_names: tuple[str, ...], lets: dict[str, Any]) -> None:
        """Report parts a test does not take, e.g. `CTH >= 40%` or `WO except 01`."""
        allowed = {
            "args": name in value_names or name in lets or name == "process",
            "comparison": name in value_names,
            "scope": name in (MAXNOM, MANUFACTURE, "WO"),
            "exception": name in LEVELS or name == MANUFACTURE,
            "tolerance": name in LEVELS or name == MANUFACTURE,
            "allowance": name in LEVELS or name == MANUFACTURE,
        }
        known = name in LEVELS or name in ("WO", "process", MANUFACTURE) or name in value_names or name in lets
        if not known:
            return
        if t.comparison is None and name in value_names:
            self.problem(t.span, f"{name} needs a comparison", "ORL225", f"e.g. {name} >= 40%")
        for part in parts:
            value = getattr(t, part)
            if value is not None and value is not False and not allowed[part]:
                what = {"args": "arguments", "comparison": "a comparison", "scope": "'from' codes", "exception": "'except' codes", "tolerance": "'without tolerance'", "allowance": "'allowing'"}[part]
                self.problem(t.span, f"{name} does not take {what}", "ORL226")

    def value_test(self, t: ast.Term, ag: ast.Agreement) -> ast.ValueTest:
        method = basis = None
        methods = [m.name for m in ag.methods]
        for a in t.args or ():
            if isinstance(a, str) and (a in ag.bases or (a in (MATERIALS, NET_WEIGHT, MATERIALS_WEIGHT) and t.name == MAXNOM)) and basis is None:
                basis = a
            elif isinstance(a, str) and a in methods and method is None and t.name != MAXNOM:
                method = a
            else:
                text = a if isinstance(a, str) else str(a)
                if isinstance(a, str) and a in BASES:
                    self.problem(t.span, f"basis {a} is not permitted by {ag.code}", "ORL227", f"permitted: {', '.join(ag.bases)}")
                elif t.name == MAXNOM:
                    self.problem(t.span, f"{MAXNOM} takes only a basis, got {text}", "ORL228", f"e.g. {MAXNOM}(fob) <= 50%")
                else:
                    self.problem(t.span, f"unknown method or basis {text}", "ORL229", self.did_you_mean(text, [*methods, *ag.bases]))
        if t.name != MAXNOM and not methods:
            self.problem(t.span, f"{t.name} needs a method, and the agreement defines none", "ORL230", "add: method build_down = (basis - VNM) / basis")
        if t.comparison is None:  # reported (ORL225); a stand-in lets the rest of the file be checked
            op, threshold = ">=", ast.Threshold(((1, Decimal(0)),))
        else:
            op, threshold = t.comparison
        return ast.ValueTest(t.name, method, basis, op, threshold, t.scope, t.span)


def _check_keys(r: _Resolver, rules: list[ast.Rule]) -> None:
    """Two rules for the same code at the same level are a load-time error, unless the
    annex tells them apart by description (both carry a `subdivision`)."""
    general = [rule for rule in rules if rule.is_general]
    for extra in general[1:]:
        r.problem(extra.span, "a second general rule", "ORL240", f"the first is at line {general[0].span.line}")
    keyed = [(k, rule) for rule in rules for k in rule.keys]
    keyed.sort(key=lambda kr: (kr[0].codes.digits, kr[0].codes.low))
    for i, (k1, r1) in enumerate(keyed):
        for k2, r2 in keyed[i + 1 :]:
            if k2.codes.digits != k1.codes.digits or k2.codes.low > k1.codes.high:
                break
            if r1 is r2 or not k1.codes.overlaps(k2.codes):
                continue
            if r1.subdivision and r2.subdivision and r1.subdivision != r2.subdivision:
                continue
            r.problem(
                r2.span,
                f"rule key {k2.codes} overlaps {k1.codes} (line {r1.span.line}) at the same level",
                "ORL241",
                "give each a distinct subdivision \"...\" if the annex tells them apart by description",
            )


def _check_let_cycles(r: _Resolver, lets: dict[str, ast.LetDef]) -> None:
    def calls(e: Any) -> set[str]:
        if isinstance(e, (ast.And, ast.Or)):
            return set().union(*(calls(i) for i in e.items))
        if isinstance(e, ast.Dated):
            return calls(e.expr)
        return {e.name} if isinstance(e, ast.Call) else set()

    graph = {n: calls(d.body) for n, d in lets.items()}

    def depth(name: str, seen: frozenset[str]) -> int:
        if name in seen or name not in graph:
            return 0
        return 1 + max((depth(c, seen | {name}) for c in graph[name]), default=0)

    for name in graph:
        if depth(name, frozenset()) > MAX_CALL_DEPTH:
            r.problem(lets[name].span, f"sub-rule {name} calls sub-rules more than {MAX_CALL_DEPTH} deep", "ORL244", "flatten the chain of sub-rules")
            break
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            n = stack.pop()
            if n == start:
                r.problem(lets[start].span, f"sub-rule {start} uses itself", "ORL242")
                break
            if n not in seen and n in graph:
                seen.add(n)
                stack.extend(graph[n])


def resolve(statements: list[tuple[str, Any]], text: str, filename: str) -> tuple[ast.Ruleset | None, list[Problem]]:
    """Resolve parsed statements; return the ruleset (None if there were errors) and every problem."""
    r = _Resolver(text, filename)
    if any(s[0] in ("schedule", "tariff_line") for s in statements):
        return None, [Problem("this is a tariff schedule file; rules and schedules are kept in separate files", filename, "ORL301", "schedules live in rulesets/tariffs/ (docs/tariffs.md)")]
    agreements = [s[1] for s in statements if s[0] == "agreement"]
    if not agreements:
        return None, [Problem("no agreement header", filename, "ORL200", 'start with: agreement CODE "Name" { ... }')]
    if len(agreements) > 1:
        r.problem(agreements[1][3], "a second agreement header; one file holds one agreement", "ORL200")
    ag = r.agreement(agreements[0])
    raw_lets = [s[1] for s in statements if s[0] == "let"]
    names: dict[str, ast.LetDef] = {}
    for let in raw_lets:
        if let.name in names:
            r.problem(let.span, f"sub-rule {let.name} is defined twice", "ORL243")
        names[let.name] = let
    lets = {
        let.name: ast.LetDef(let.name, let.params, r.expr(let.body, ag, names, let.params), let.text, let.provenance, let.span)
        for let in raw_lets
    }
    rules = [
        ast.Rule(rule.keys, rule.description, rule.subdivision, r.expr(rule.body, ag, names, ()), rule.text, rule.provenance, rule.span,
                 alternative=None if rule.alternative is None else r.expr(rule.alternative, ag, names, ()), alternative_text=rule.alternative_text)
        for _, rule in (s for s in statements if s[0] == "rule")
    ]
    _check_keys(r, rules)
    _check_let_cycles(r, lets)
    if r.problems:
        return None, r.problems
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    code_sets = tuple(s[1] for s in statements if s[0] == "codes")
    return ast.Ruleset(filename, ag, tuple(lets.values()), tuple(rules), sha, code_sets), []


def load_text(text: str, filename: str = "<string>") -> ast.Ruleset:
    """Parse and resolve ruleset text; raise RulesetError listing every problem."""
    ruleset, problems = resolve(parse(text, filename), text, filename)
    if ruleset is None:
        raise RulesetError(problems)
    return ruleset
