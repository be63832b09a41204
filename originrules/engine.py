"""Pick the rule for a product, evaluate it on a BOM, and build the Decision with its trace."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

import attrs

from originrules import __version__
from originrules.bom import UNKNOWN_ORIGIN, Bom, Material, as_bom, as_date, collector_paused
from originrules.compile import CompiledRule, CompiledRuleset, Context, RuleRef, Trace
from originrules.errors import BomError, NotInForce, Problem
from originrules.hs import LEVEL_WORDS, known, nomenclature
from originrules.lang import ast
from originrules.lang.ast import process_name
from originrules.numbers import EXACT, exact_sum
from originrules.registry import find


class MaterialStatus(NamedTuple):
    """A material as a decision counts it (a named tuple: a BOM may have 200,000)."""

    id: str
    description: str
    hs_code: str | None
    value: Decimal
    origin: str
    originating: bool
    why: str  # "declared originating", "no declaration: non-originating", ...

    def to_dict(self) -> dict[str, Any]:
        d = self._asdict()
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
    assumed: frozenset[str]  # material ids taken as originating under --assume-origin
    warnings: tuple[str, ...]
    reasons: tuple[str, ...]  # why undetermined (no rule; missing data), or why refused outright
    choices: tuple[RuleRef, ...] = ()  # the subdivisions to choose from, when the BOM names none
    assume_origin: bool = False
    intermediates: tuple[tuple[str, Decision], ...] = ()  # (material id, its own decision)
    on: dt.date | None = None  # the decision's date, when one was given (dated rule arms)
    #: (the rule's alternative reading as written, the verdict under it): decided too when the ruleset records one
    alternative: tuple[str, bool | None] | None = None
    #: builds the explanation: called once, the first time anything asks for `trace`
    explanation: Callable[[], Trace] | None = attrs.field(default=None, eq=False, repr=False)

    @functools.cached_property
    def trace(self) -> Trace | None:
        """The explanation: every test with its figures. A check decides with the verdict closures
        only; this is built the first time a report, headroom() or to_dict() asks for it."""
        return None if self.explanation is None else self.explanation()

    @functools.cached_property
    def input_sha256(self) -> str:
        return self.bom.sha256()

    @functools.cached_property
    def decision_id(self) -> str:
        """Deterministic: the same originrules, rule text, BOM and options give the same id."""
        seed = "|".join((__version__, self.ruleset.sha256, self.input_sha256, self.agreement.code, str(self.assume_origin)))
        return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]

    def alternative_reading(self) -> dict[str, Any] | None:
        """The decision under the alternative reading the ruleset records for the rule, and
        whether the verdict would change under it."""
        if self.alternative is None:
            return None
        text, other = self.alternative
        word = {True: "originating", False: "not originating", None: "undetermined"}[other]
        return {"rule": text, "verdict": word, "changes": other != self.originating, "note": self.rule.inferred_note if self.rule else None}

    def headroom(self) -> list[dict[str, Any]]:
        """For every value test, how much non-originating value could be added (met) or must be
        re-sourced as originating (not met) before the result flips; for tariff-shift tests with
        tolerance, the tolerance used and left. Amounts are Decimals in the BOM's currency."""
        return [{k: (Decimal(v) if k in _AMOUNTS and v is not None else v) for k, v in h.items()} for h in self._headroom()]

    def _headroom(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        def walk(t: Trace, in_group: bool) -> None:
            room = t.detail.get("headroom")
            if t.test == "value" and room and not in_group:
                out.append({"test": t.text, "passed": t.passed, **room, "currency": self.bom.product.currency})
            dm = t.detail.get("de_minimis")
            if t.test == "shift" and dm and "limit" in dm:
                entry = {"test": t.text, "passed": t.passed, "kind": "tolerance", "used": dm.get("used", dm.get("value")), "left": dm.get("left"), "limit": dm["limit"], "currency": self.bom.product.currency}
                if t.passed is False and dm.get("value") is not None:
                    entry["failing"] = dm["value"]  # the value of the materials that fail the shift
                out.append(entry)
            for c in t.children:
                walk(c, in_group or (t.test == "value" and bool(t.children)))

        if self.trace:
            walk(self.trace, False)
        return out

    def failures(self) -> list[str]:
        """Why a product does not originate, in short: each failing test with its figures, as
        `rule KEY: TEST ...` (for catalogues and logs; the report says it at length)."""
        if self.originating is not False or self.trace is None or self.rule is None:
            return []
        out: list[str] = []
        key = self.rule.key

        def walk(t: Trace) -> None:
            if t.passed is not False:
                return
            if t.test == "shift":
                failing = [f["id"] for f in t.detail.get("failing_materials", ())]
                which = f"material{'s' if len(failing) > 1 else ''} {', '.join(failing[:5])}{', ...' if len(failing) > 5 else ''}" if failing else ""
                out.append(f"rule {key}: {t.text}: not met" + (f" ({which} do not)" if len(failing) > 1 else f" ({which} does not)" if failing else ""))
            elif t.test == "value" and not t.children:
                out.append(f"rule {key}: {t.text}")
            elif t.test in ("wholly_obtained", "process", "insufficient_operations"):
                reason = t.detail.get("reason")
                out.append(f"rule {key}: {t.text}: not met" + (f" ({reason})" if reason else ""))
            for c in t.children:
                walk(c)

        walk(self.trace)
        return out

    @functools.cached_property
    def materials(self) -> tuple[MaterialStatus, ...]:
        """Each material and why it counts as it does: made when a report first asks, once."""
        return material_statuses(self.bom, self.assumed)

    @property
    def exit_code(self) -> int:
        return {True: 0, False: 1, None: 3}[self.originating]

    @property
    def verdict(self) -> str:
        return {True: "originating", False: "not originating", None: "undetermined"}[self.originating]

    def to_dict(self) -> dict[str, Any]:
        materials = self.materials
        non = [m for m in materials if not m.originating]
        return {
            "originrules": __version__,
            "decision_id": self.decision_id,
            "input_sha256": self.input_sha256,
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
                "count": len(materials),
                "non_originating_count": len(non),
                "non_originating_value": str(exact_sum(m.value for m in non)),
                "items": [m.to_dict() for m in materials],
            },
            "headroom": self._headroom(),  # amounts as exact decimal strings
            "intermediates": [{"material": mid, **sub.to_dict()} for mid, sub in self.intermediates],
            "reasons": list(self.reasons),
            **({"alternative_reading": self.alternative_reading()} if self.alternative else {}),
            "warnings": list(self.warnings),
            **({"what_if": list(self.bom.what_if)} if self.bom.what_if else {}),  # a hypothetical, not the BOM as declared
        }


_AMOUNTS = frozenset({"amount", "used", "left", "limit", "failing"})


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _split(
    bom: Bom, zone: frozenset[str], assume_origin: bool, treatments: dict[str, str] | None = None
) -> tuple[list[Material], Decimal, frozenset[str], list[Material] | None, Decimal]:
    """(non-originating materials, VNM, ids assumed originating, materials a tariff shift tests
    (None: the same list), value of materials the agreement ignores).

    A material counts as originating only if declared so; undeclared ones do not, as the law
    presumes, unless --assume-origin and its origin is in the cumulation zone. Materials with a
    role count as the agreement's header says. One pass, as this runs for every BOM.
    """
    non_originating: list[Material] = []
    vnm = Decimal(0)
    assumed: list[str] = []
    problems = []
    shift: list[Material] | None = None
    ignored = Decimal(0)
    add = EXACT.add  # money sums never round
    if not assume_origin and not (treatments and bom.roles):  # the common case: worked out when the BOM was read
        if not bom.declared_origins <= zone:
            raise BomError([_outside_zone(bom, m, zone) for m in bom.materials if m.originating and m.origin not in zone])
        return list(bom.undeclared), bom.undeclared_value, frozenset(), None, ignored
    for m in bom.materials:
        treatment = treatments.get(m.role, "normal") if (treatments and m.role) else "normal"
        if treatment == "ignored":
            ignored = add(ignored, m.value)
            continue
        declared = m.originating
        if declared:
            if m.origin not in zone:
                problems.append(_outside_zone(bom, m, zone))
            continue
        if treatment == "originating" or (declared is None and assume_origin and m.origin in zone):
            if treatment != "originating":
                assumed.append(m.id)
            continue
        non_originating.append(m)
        vnm = add(vnm, m.value)
        if treatment == "value_only":
            shift = shift if shift is not None else list(non_originating[:-1])
        elif shift is not None:
            shift.append(m)
    if problems:
        raise BomError(problems)
    return non_originating, vnm, frozenset(assumed), shift, ignored


def _outside_zone(bom: Bom, m: Material, zone: frozenset[str]) -> Problem:
    return Problem(
        f"materials[{bom.materials.index(m)}].originating: is true, but origin {m.origin} is outside the cumulation zone "
        f"({', '.join(sorted(zone))}); only materials originating in a party (or a cumulation partner) count",
        bom.source,
        "BOM010",
    )


def _why(originating: bool | None, origin: str, exporter: str | None, intermediate: bool = False,
         registered: tuple[Any, ...] | None = None, assumed: bool = False) -> str:
    """Why a material counts as it does, in the report's words."""
    if intermediate:
        return "intermediate: " + ("originates under its own rule" if originating else "does not originate under its own rule")
    if registered is not None:  # the declarations register decided it: what it said, in its words
        return registered[1]
    if originating:
        return "declared originating" + (f" in {origin} (cumulation)" if exporter and origin != exporter else "")
    if assumed:
        return "assumed originating (origin in the cumulation zone, origin assumed on request)"
    if originating is False:
        return "declared non-originating"
    if origin == UNKNOWN_ORIGIN:
        return "origin unknown: non-originating"
    return "no origin declaration: non-originating"


_STATUS_COLUMNS = tuple(attrgetter(f) for f in ("id", "description", "hs_code", "value", "origin"))


def material_statuses(bom: Bom, assumed: frozenset[str], materials: tuple[Material, ...] | list[Material] | None = None) -> tuple[MaterialStatus, ...]:
    """Each material (of `materials`, by default all the BOM's), whether it counts as
    originating, and why (for reports)."""
    with collector_paused(len(bom.materials if materials is None else materials)):  # one row per material
        return _material_statuses(bom, assumed, bom.materials if materials is None else materials)


def _material_statuses(bom: Bom, assumed: frozenset[str], materials: tuple[Material, ...] | list[Material]) -> tuple[MaterialStatus, ...]:
    exporter = bom.product.exporting_country
    if bom.register or assumed or bom.nested:
        return tuple(
            MaterialStatus(m.id, m.description, m.hs_code, m.value, m.origin, bool(m.originating) or m.id in assumed,
                           _why(m.originating, m.origin, exporter, m.materials is not None, bom.register.get(m.id), m.id in assumed))
            for m in materials
        )
    # the common case: the reason depends only on the declaration and the origin, so it is worked
    # out once per distinct pair and the rows are built a column at a time (C loops: a catalogue's
    # BOM can hold 200,000 materials)
    keys = list(zip(map(attrgetter("originating"), materials), map(attrgetter("origin"), materials)))
    reasons = {k: _why(*k, exporter) for k in set(keys)}
    columns = [list(map(get, materials)) for get in _STATUS_COLUMNS]
    counts = map(bool, map(itemgetter(0), keys))
    rows = zip(*columns, counts, map(reasons.__getitem__, keys))
    return tuple(map(tuple.__new__, repeat(MaterialStatus), rows))  # type: ignore[arg-type]  # no Python-level constructor per row


def select_rule(crs: CompiledRuleset, bom: Bom) -> tuple[CompiledRule | None, list[CompiledRule], str | None]:
    """(rule, choices, reason): the applicable rule, or the subdivisions to choose from, or why none."""
    code = bom.product.hs_code
    found = crs.candidates(code)
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


def unknown_codes(bom: Bom, edition: str) -> list[Problem]:
    """Codes of the product and its materials that are not in the agreement's HS edition. A code
    that does not exist (999999, 0000) would pass any tariff-shift test unnoticed."""
    if bom.codes <= nomenclature(edition):
        return []
    problems = []
    if bom.product.hs_code and not known(bom.product.hs_code, edition):
        problems.append(Problem(f"product.hs_code: {bom.product.hs_code} is not a code of HS {edition}", bom.source, "BOM007", "check the code; a national line is checked on its first six digits"))

    def walk(materials: tuple[Material, ...], path: str) -> None:
        for i, m in enumerate(materials):
            if m.hs_code is not None and not known(m.hs_code, edition):
                problems.append(Problem(f"{path}[{i}].hs_code: {m.hs_code} (material {m.id}) is not a code of HS {edition}", bom.source, "BOM007"))
            if m.materials:
                walk(m.materials, f"{path}[{i}].materials")

    walk(bom.materials, "materials")
    return problems


def check(
    bom: Bom | Mapping[str, Any],
    agreement: str | CompiledRuleset,
    *,
    assume_origin: bool = False,
    explain: bool | None = None,
    on: dt.date | None = None,
) -> Decision:
    """Decide whether the product of `bom` originates under `agreement` (a code, alias or ruleset).

    The verdict is decided at once; the explanation (the trace a report shows) is built the first
    time something asks for it. explain=True builds it now; explain=False never (no trace and no
    missing-data reasons: the verdict alone). With `on`, an agreement not in force on that date
    is refused (NotInForce). `bom` may be a Bom or a plain mapping in the file's format, read
    exactly as a file is (BomError with the JSON path of every problem).
    """
    bom = as_bom(bom)
    on = as_date(on)
    crs = agreement if isinstance(agreement, CompiledRuleset) else find(agreement)
    ag = crs.agreement
    unknown = unknown_codes(bom, ag.hs_edition)
    if unknown:
        raise BomError(unknown)
    if on is not None and ag.in_force is not None and on < ag.in_force:
        raise NotInForce(
            Problem(f"{ag.code} ({ag.name}) is not in force on {on.isoformat()}: it entered into force on {ag.in_force.isoformat()}", code="CLI002")
        )
    if on is not None and ag.expires is not None and on > ag.expires:
        raise NotInForce(Problem(f"{ag.code} ({ag.name}) no longer applies on {on.isoformat()}: it applied until {ag.expires.isoformat()}", code="CLI002"))
    intermediates: tuple[tuple[str, Decision], ...] = ()
    if bom.nested:
        bom, intermediates = _roll_up(bom, crs, assume_origin, explain, on)
    non_originating, vnm, assumed, shift, ignored = _split(bom, ag.zone, assume_origin, ag.treatments)
    warnings = list(bom.warnings)
    if assumed:
        warnings.extend(
            f"material {mid}: treated as originating because origin was to be assumed and its origin is in the "
            "cumulation zone; hold a supplier declaration"
            for mid in sorted(assumed)
        )
    for mid, sub in intermediates:
        if sub.originating is None:
            warnings.append(f"intermediate material {mid}: undetermined ({'; '.join(sub.reasons)}); counted as non-originating")
    base = dict(agreement=ag, ruleset=crs.ruleset, bom=bom, assumed=assumed, assume_origin=assume_origin, intermediates=intermediates, on=on)

    chosen, choices, reason = select_rule(crs, bom)
    if chosen is None:
        refs = tuple(cr.ref for cr in choices)
        return Decision(originating=None, rule=None, warnings=tuple(warnings), reasons=(reason or "",), choices=refs, **base)
    rule = chosen.rule
    if chosen.partial:
        warnings.append(f"rule {chosen.ref.key} covers only part of its code ({rule.description}); check that the product is of that description")
    ctx = make_context(bom, crs, chosen, non_originating, vnm, shift, ignored, on)
    if chosen.shift_digits > bom.shortest:
        word = LEVEL_WORDS[chosen.shift_digits]
        warnings.extend(
            f"material {m.id}: HS code {m.hs_code} is too short to tell its {word}; it fails a tariff-shift test at that level"
            for m in ctx.shift_materials
            if m.hs_code is not None and len(m.hs_code) < chosen.shift_digits
        )
    insufficient = _insufficient(ag, bom)
    passed = chosen.verdict(ctx)
    if insufficient is not None and insufficient.passed is False:
        passed = False  # only insufficient operations, whatever the rule says
    alternative = None
    if chosen.alternative is not None:  # the ruleset notes the annex may mean another reading: decided too
        other = False if insufficient is not None and insufficient.passed is False else chosen.alternative(ctx)
        alternative = (rule.alternative_text or "", other)
    test = chosen.test

    def explanation() -> Trace:
        trace = test(ctx)
        if insufficient is not None:
            trace = Trace("and", False if insufficient.passed is False else trace.passed, "all of", [insufficient, trace])
        return trace

    reasons: tuple[str, ...] = ()
    later: Callable[[], Trace] | None = None if explain is False else explanation
    if explain or (passed is None and explain is not False):
        # built now: asked for eagerly, or an undetermined verdict, which says what is missing
        trace = explanation()
        later = lambda: trace  # noqa: E731 - the decision keeps the trace already built
        if passed is None:
            reasons = ("the rule cannot be decided from this BOM; it lacks: " + (", ".join(trace.missing()) or "data"),)
    return Decision(
        originating=passed,
        rule=chosen.ref,
        warnings=tuple(dict.fromkeys(warnings)) if warnings else (),
        reasons=reasons,
        explanation=later,
        alternative=alternative,
        **base,
    )


def make_context(
    bom: Bom,
    crs: CompiledRuleset,
    chosen: CompiledRule,
    non_originating: list[Material],
    vnm: Decimal,
    shift: list[Material] | None,
    ignored: Decimal,
    on: dt.date | None = None,
) -> Context:
    """What the compiled tests read, for one BOM under one rule (check, the advisor, coverage)."""
    ag = crs.agreement
    return Context(
        bom, non_originating, vnm, bom.total - ignored, crs.tolerances(bom.product.hs_code), ag.bases,
        chosen.maxnom, shift, ag.wo_de_minimis, on,
    )


def _roll_up(bom: Bom, crs: CompiledRuleset, assume_origin: bool, explain: bool | None, on: dt.date | None = None) -> tuple[Bom, tuple[tuple[str, Decision], ...]]:
    """Decide each intermediate material under its own PSR; one that originates counts in full
    as originating in its parent, one that does not (or is undetermined) in full as not."""
    p = bom.product
    decided = []
    materials = []
    for m in bom.materials:
        if m.materials is None:
            materials.append(m)
            continue
        sub_bom = Bom(
            attrs.evolve(
                p, hs_code=m.hs_code or "", description=m.description, ex_works=m.ex_works or m.value, fob=m.fob,
                wholly_obtained=None, processes=None, subdivision=None,
            ),
            m.materials,
            {},
            f"{bom.source} > material {m.id}",
            bom.exchange_rates,
        )
        sub = check(sub_bom, crs, assume_origin=assume_origin, explain=explain, on=on)
        decided.append((m.id, sub))
        materials.append(m._replace(originating=sub.originating is True, origin=p.exporting_country or m.origin))
    return attrs.evolve(bom, materials=tuple(materials)), tuple(decided)


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
