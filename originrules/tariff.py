"""What preference is worth: tariff schedules (rulesets/tariffs/*.roo), the duty in a given
year, and the comparison of every agreement on a route.

A schedule belongs to an agreement and an importing party. Each line, keyed by HS code like a
PSR and optionally conditioned on product attributes, carries the MFN base rate and either an
exclusion, a staging path, or a tariff-rate quota (docs/tariffs.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import attrs

from originrules import resources
from originrules.errors import OriginrulesError, Problem, RulesetError
from originrules.hs import normalise
from originrules.lang import ast
from originrules.numbers import LIMITS
from originrules.numbers import parse as parse_number

YEAR_MODES = ("anniversary", "calendar")
NUMERIC = ("cc", "cif", "wheels", "kw")
#: attributes assumed when not given: a new, completely built-up, four-wheeled vehicle
DEFAULTS = {"condition": "new", "form": "CBU", "wheels": "4"}


class DutyError(OriginrulesError):
    """A duty question that cannot be answered as asked (missing attribute, no schedule)."""


# ---------------------------------------------------------------- loading


def load_schedule_text(text: str, filename: str) -> ast.Schedule:
    from originrules.lang.parser import parse

    statements = parse(text, filename)
    problems = []
    heads = [s[1] for s in statements if s[0] == "schedule"]
    if len(heads) != 1:
        raise RulesetError(Problem("a schedule file holds exactly one schedule header", filename, "ORL300", 'schedule UAE IN "..." { ... }'))
    others = [s for s in statements if s[0] not in ("schedule", "tariff_line")]
    if others:
        raise RulesetError(Problem("a schedule file holds tariff lines, not rules", filename, "ORL301"))
    code, importers, name, items, span = heads[0]
    params = [i for i in items if isinstance(i, ast.Param)]
    instrument = next((i[1] for i in items if isinstance(i, tuple)), None)
    found = {p.keyword: p for p in params if p.keyword != "category"}
    years = found["years"].value[0] if "years" in found else "anniversary"
    where = f"{filename}:{span.line}:{span.column}"
    if years not in YEAR_MODES:
        problems.append(Problem(f"years is anniversary or calendar, not {years}", where, "ORL302"))
    categories = {p.value[0]: p.value[1] for p in params if p.keyword == "category"}
    lines = tuple(s[1] for s in statements if s[0] == "tariff_line")
    for line in lines:
        at = f"{filename}:{line.span.line}:{line.span.column}"
        if not line.keys:
            problems.append(Problem("a tariff line needs HS codes, not general", at, "ORL303"))
        if line.mfn is None:
            problems.append(Problem("a tariff line needs its MFN base rate", at, "ORL304", "add: mfn 10% as of 2026-01-01"))
        elif line.mfn_date is None:
            problems.append(Problem("an MFN base rate needs the day it is taken as", at, "ORL310", "write: mfn 10% as of 2026-01-01"))
        treatments = [line.excluded, line.preferential is not None, line.in_quota is not None]
        if sum(treatments) != 1:
            problems.append(Problem("a tariff line is excluded, or has a preferential path, or an in_quota path (one of them)", at, "ORL305"))
        if (line.in_quota is None) != (not line.quota):
            problems.append(Problem("in_quota and quota go together", at, "ORL306"))
        for path in (line.preferential, line.in_quota, line.out_quota):
            for seg in path.segments if path else ():
                if seg.kind == "category" and seg.category not in categories:
                    problems.append(Problem(f"unknown category {seg.category}", at, "ORL307", f"categories here: {', '.join(categories) or 'none'}"))
        for c in line.conditions:
            if c.op not in ("in", "is") and c.attribute not in NUMERIC:
                problems.append(Problem(f"{c.attribute} is not a number to compare", at, "ORL308", f"numeric attributes: {', '.join(NUMERIC)}"))
    if problems:
        raise RulesetError(problems)
    return ast.Schedule(
        code, tuple(importers), name or code, tuple(found["exporters"].value[0]) if "exporters" in found else (), years,
        categories, instrument, tuple(params), lines, filename, hashlib.sha256(text.encode("utf-8")).hexdigest(), span,
    )


@functools.lru_cache(maxsize=1)
def schedules() -> tuple[ast.Schedule, ...]:
    out = []
    for path in sorted((resources.rulesets_dir() / "tariffs").glob("*.roo")):
        out.append(load_schedule_text(path.read_text(encoding="utf-8"), f"rulesets/tariffs/{path.name}"))
    return tuple(out)


def find_schedule(agreement: str, importer: str, exporter: str | None = None) -> ast.Schedule | None:
    for s in schedules():
        if s.agreement == agreement and importer in s.importers and (exporter is None or not s.exporters or exporter in s.exporters):
            return s
    return None


# ---------------------------------------------------------------- years and paths


def agreement_year(in_force: dt.date, on: dt.date, mode: str) -> int:
    """1 in the first year; 0 before entry into force. Anniversary: year n starts n-1 years after
    entry into force; calendar: year 1 ends on 31 December of the year of entry into force."""
    if on < in_force:
        return 0
    if mode == "calendar":
        return on.year - in_force.year + 1
    years = on.year - in_force.year - ((on.month, on.day) < (in_force.month, in_force.day))
    return years + 1


def rate_in_year(path: ast.RatePath, base: Decimal, year: int, categories: dict[str, ast.RatePath]) -> Fraction | None:
    """The path's rate in an agreement year; None before its first step (no preference yet)."""
    rate: Fraction | None = None
    current = Fraction(base)
    for seg in path.segments:
        if seg.kind == "category":
            inner = rate_in_year(categories[seg.category], base, year, categories)  # type: ignore[index]
            if inner is None:
                break
            rate = current = inner
            continue
        if year < seg.start:
            break
        if seg.kind == "immediate":
            current = Fraction(0)
        elif seg.kind == "mfn":
            current = Fraction(base)
        elif seg.kind == "flat":
            current = Fraction(seg.rate)  # type: ignore[arg-type]
        else:  # linear, reduce: equal annual steps, the target reached in year `end`
            start_rate = Fraction(seg.from_rate) if seg.from_rate is not None else current
            target = Fraction(seg.rate) if seg.kind == "linear" else start_rate * (1 - Fraction(seg.by) / 100)  # type: ignore[arg-type,operator]
            steps = seg.end - seg.start + 1  # type: ignore[operator]
            done = min(year, seg.end) - seg.start + 1  # type: ignore[type-var,operator]
            current = start_rate + (target - start_rate) * done / steps
        rate = current
    return rate


def quota_in_year(points: tuple[ast.QuotaPoint, ...], year: int) -> Fraction | None:
    """The quota volume in an agreement year; None before it opens. After the last listed year
    the last volume stays."""
    amount: Fraction | None = None
    previous: ast.QuotaPoint | None = None
    for p in points:
        if p.kind == "rising" and previous is not None and year < p.year:
            if year >= previous.year:
                share = Fraction(year - previous.year, p.year - previous.year)
                return Fraction(previous.amount) + (Fraction(p.amount) - Fraction(previous.amount)) * share
            return amount
        if year < p.year:
            return amount
        amount = Fraction(p.amount)
        previous = p
    return amount


# ---------------------------------------------------------------- the duty question


def _pct(value: Fraction | Decimal | None) -> str | None:
    if value is None:
        return None
    d = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
    return str(d.quantize(Decimal("0.01"), ROUND_HALF_UP))


@attrs.frozen
class Duty:
    agreement: str
    importer: str
    exporter: str
    on: dt.date
    agreement_year: int
    line: ast.TariffLine | None
    schedule: ast.Schedule | None
    mfn: Decimal | None
    preferential: Fraction | None  # the rate that applies under the agreement (None: no preference)
    in_quota: Fraction | None
    out_quota: Fraction | None
    quota: Fraction | None
    quota_used: Decimal | None
    applied: str  # preferential | in_quota | out_quota | mfn
    notes: tuple[str, ...]
    code: str = ""  # the HS code asked about

    @property
    def estimate(self) -> str | None:
        """Why the rates are not a fact of the schedule, or None: they rest on a line the schedule
        marks inferred, or on a chapter's line standing in for a heading the schedule has no line for."""
        line = self.line
        if line is None:
            return None
        why = []
        if line.provenance.inferred:
            why.append(f"the schedule line {', '.join(str(k.codes) for k in line.keys)} is marked inferred" + (f" ({line.provenance.note})" if line.provenance.note else ""))
        if len(self.code) > 2 and all(k.codes.digits == 2 for k in line.keys):  # a chapter's line for a heading or subheading
            why.append(f"the schedule has no line for heading {self.code[:4]}: the line for chapter {', '.join(str(k.codes) for k in line.keys)} is applied")
        return "; ".join(why) or None

    @property
    def margin(self) -> Fraction | None:
        if self.mfn is None or self.preferential is None:
            return None
        return Fraction(self.mfn) - self.preferential

    def to_dict(self) -> dict[str, Any]:
        line = self.line
        return {
            "agreement": self.agreement,
            "importer": self.importer,
            "exporter": self.exporter,
            "date": self.on.isoformat(),
            "agreement_year": self.agreement_year,
            "mfn": _pct(self.mfn),
            "mfn_as_of": None if line is None or line.mfn_date is None else line.mfn_date.isoformat(),
            "preferential": _pct(self.preferential),
            "applied": self.applied,
            "in_quota": _pct(self.in_quota),
            "out_quota": _pct(self.out_quota),
            "quota": None if self.quota is None else str(int(self.quota)),
            "quota_unit": line.quota_unit if line else None,
            "quota_used": None if self.quota_used is None else str(self.quota_used),
            "margin": _pct(self.margin),
            # the rates are an estimate, not a fact of the schedule: why (None: a line of the schedule for this code)
            "estimate": self.estimate,
            "line": None if line is None else {
                "key": ", ".join(str(k.codes) for k in line.keys),
                "description": line.description,
                "source": f"{self.schedule.path}:{line.span.line}" if self.schedule else None,
                "legal_source": line.provenance.source,
                "inferred": line.provenance.note if line.provenance.inferred else None,
            },
            "notes": list(self.notes),
        }


def parse_attributes(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise DutyError(Problem(f"--attr {pair!r}: expected NAME=VALUE, e.g. cc=1200, propulsion=petrol, cif=30000GBP", code="CLI004"))
        out[name.strip().lower()] = value.strip()
    return out


def _holds(c: ast.Condition, attributes: dict[str, str]) -> bool | None:
    value = attributes.get(c.attribute)
    if value is None:
        return None
    if c.op == "in":
        return value.lower() in {v.lower() for v in c.values}
    if c.op == "is":
        return value.lower() == c.values[0].lower()
    number, unit = _number(value, c.attribute)
    if c.unit and unit and unit.upper() != c.unit.upper():
        raise DutyError(Problem(f"{c.attribute} is given in {unit}; this schedule line compares it in {c.unit}", code="CLI004"))
    limit = parse_number(c.values[0])
    if limit is None:
        raise DutyError(Problem(f"schedule condition {c.attribute} {c.op} {c.values[0]}: not a number within the limits ({LIMITS})", code="CLI004"))
    return {">": number > limit, ">=": number >= limit, "<": number < limit, "<=": number <= limit}[c.op]


def _number(text: str, attribute: str) -> tuple[Decimal, str | None]:
    digits = text.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ")
    unit = text[len(digits):].strip() or None
    number = parse_number(digits)
    if number is None:
        raise DutyError(Problem(f"--attr {attribute}={text}: expected a number, with a currency where it is money (cif=30000GBP)", code="CLI004")) from None
    return number, unit


def select_line(schedule: ast.Schedule, hs: str, attributes: dict[str, str]) -> ast.TariffLine | None:
    """The most specific line for the code whose conditions hold; a missing attribute that a
    candidate line needs is an error naming it."""
    for digits in (10, 8, 6, 4, 2):
        if len(hs) < digits:
            continue
        candidates = [line for line in schedule.lines if any(k.codes.contains(hs) and k.codes.digits == digits for k in line.keys)]
        if not candidates:
            continue
        conditioned, plain = [], []
        for line in candidates:
            results = [_holds(c, attributes) for c in line.conditions]
            if None in results and False not in results:
                missing = sorted({c.attribute for c, r in zip(line.conditions, results) if r is None})
                raise DutyError(Problem(f"HS {hs} depends on {', '.join(missing)}: give --attr {missing[0]}=...", code="CLI004"))
            if all(results):
                (conditioned if line.conditions else plain).append(line)
        chosen = conditioned or plain
        exclusions = [x for x in chosen if x.excluded]
        if exclusions:  # an exclusion takes the good out of the commitments, whatever else applies
            return exclusions[0]
        if len(chosen) > 1:
            lines = ", ".join(f"{schedule.path}:{x.span.line}" for x in chosen)
            raise DutyError(Problem(f"HS {hs}: several schedule lines apply ({lines}); give the attribute that tells them apart", code="CLI004"))
        if chosen:
            return chosen[0]
    return None


def duty(
    agreement: str,
    hs_code: str,
    *,
    exporter: str,
    importer: str,
    year: int | None = None,
    on: dt.date | str | None = None,
    attributes: dict[str, str] | None = None,
    quota_used: Decimal | None = None,
) -> Duty:
    """The MFN rate, the preferential rate in that year (in or out of quota) and the margin."""
    from originrules.bom import as_date
    from originrules.registry import find

    on = as_date(on)  # a date or ISO text
    crs = find(agreement)
    ag = crs.agreement
    exporter, importer = exporter.upper(), importer.upper()
    if exporter not in ag.parties or importer not in ag.parties:
        raise DutyError(Problem(f"{ag.code} covers {', '.join(ag.parties)}; {exporter} to {importer} is not one of its routes", code="CLI004"))
    hs = normalise(hs_code)
    if hs is None or not 2 <= len(hs) <= 10:
        raise DutyError(Problem(f"{hs_code!r} is not an HS code", code="CLI004"))
    day = on or (dt.date(year, 1, 1) if year else dt.date.today())
    schedule = find_schedule(ag.code, importer, exporter)
    if schedule is None:
        raise DutyError(Problem(f"no tariff schedule of {importer} under {ag.code} is encoded", code="CLI005"))
    attrs_given = {**DEFAULTS, "exporter": exporter, **(attributes or {})}
    n = agreement_year(ag.in_force or day, day, schedule.years)
    notes = []
    if year and not on:
        notes.append(f"rates for 1 January {year} (agreement year {n}, counted by {schedule.years}); --date gives another day")
    line = select_line(schedule, hs, attrs_given)
    base = dict(agreement=ag.code, importer=importer, exporter=exporter, on=day, agreement_year=n, schedule=schedule, quota_used=quota_used, code=hs)
    if line is None:
        return Duty(line=None, mfn=None, preferential=None, in_quota=None, out_quota=None, quota=None, applied="mfn",
                    notes=(*notes, f"no line of {schedule.path} covers HS {hs}"), **base)
    mfn = line.mfn
    if n == 0:
        return Duty(line=line, mfn=mfn, preferential=None, in_quota=None, out_quota=None, quota=None, applied="mfn",
                    notes=(*notes, f"{ag.code} is not yet in force on {day.isoformat()}: no preference"), **base)
    if line.excluded:
        return Duty(line=line, mfn=mfn, preferential=None, in_quota=None, out_quota=None, quota=None, applied="mfn",
                    notes=(*notes, "excluded from tariff commitments: MFN applies"), **base)
    cats = schedule.categories
    if line.preferential is not None:
        rate = rate_in_year(line.preferential, mfn, n, cats)  # type: ignore[arg-type]
        if rate is None:
            notes.append("the reduction has not started in this year: MFN applies")
        return Duty(line=line, mfn=mfn, preferential=rate, in_quota=None, out_quota=None, quota=None,
                    applied="preferential" if rate is not None else "mfn", notes=tuple(notes), **base)
    quota = quota_in_year(line.quota, n)
    inside = rate_in_year(line.in_quota, mfn, n, cats) if quota else None  # type: ignore[arg-type]
    outside = rate_in_year(line.out_quota, mfn, n, cats) if line.out_quota else None  # type: ignore[arg-type]
    if quota is None or inside is None:
        notes.append("the quota is not open in this year")
    if quota_used is not None and quota is not None and inside is not None and Fraction(quota_used) >= quota:
        notes.append(f"the quota of {int(quota)} {line.quota_unit} is used up: the out-of-quota rate applies")
        applied, rate = ("out_quota", outside) if outside is not None else ("mfn", None)
    elif inside is not None:
        applied, rate = "in_quota", inside
        if quota_used is None:
            notes.append(f"in quota while the year's {int(quota)} {line.quota_unit} last (give --quota-used); out of quota: "  # type: ignore[arg-type]
                         + (f"{_pct(outside)}%" if outside is not None else "MFN"))
    else:
        applied, rate = ("out_quota", outside) if outside is not None else ("mfn", None)
    return Duty(line=line, mfn=mfn, preferential=rate, in_quota=inside, out_quota=outside, quota=quota, applied=applied, notes=tuple(notes), **base)


# ---------------------------------------------------------------- compare


def compare(bom: Any, *, importer: str, year: int | None = None, on: dt.date | None = None, attributes: dict[str, str] | None = None,
            customs_value: Decimal | None = None, assume_origin: bool = False, resolve: Any = None) -> list[dict[str, Any]]:
    """Every agreement covering the BOM's route: origin verdict, rule, duty and saving, best first.
    `resolve(bom, agreement code)`, if given, gives the BOM as the declaration register has it
    for that agreement (store.Store.resolve)."""
    from originrules.bom import as_bom, as_date
    from originrules.engine import check
    from originrules.registry import on_route

    bom, on = as_bom(bom), as_date(on)  # a plain mapping as json.load gives it; a date or ISO text
    exporter = (bom.product.exporting_country or "").upper()
    if not exporter:
        raise DutyError(Problem("the BOM names no product.exporting_country: the route is unknown", code="CLI004"))
    value = customs_value if customs_value is not None else bom.product.fob
    rows = []
    day = on or dt.date.today()
    for crs in on_route(exporter, importer.upper()):
        ag = crs.agreement
        if exporter not in ag.parties or importer.upper() not in ag.parties or (ag.expires is not None and day > ag.expires):
            continue  # off the route, or a scheme no longer applied (the GSP, replaced by the DCTS)
        row: dict[str, Any] = {"agreement": ag.code, "name": ag.name}
        try:
            decision = check(resolve(bom, ag.code) if resolve else bom, crs, assume_origin=assume_origin, on=on)  # on: dated rule arms
            row.update({"verdict": decision.verdict, "rule": decision.rule.key if decision.rule else None})
        except OriginrulesError as e:
            row.update({"verdict": "error", "rule": None, "error": e.render()})
            decision = None
        try:
            d = duty(ag.code, bom.product.hs_code, exporter=exporter, importer=importer, year=year, on=on, attributes=attributes)
            row["duty"] = d.to_dict()
            row["estimate"] = d.estimate  # the rate and saving rest on an inferred or broader line: said wherever shown
            pref = d.preferential if (decision is not None and decision.originating) else None
            row["rate"] = _pct(pref if pref is not None else d.mfn)
            row["saving_percent"] = _pct(d.margin) if pref is not None else "0.00"
            if value is not None and d.margin is not None and pref is not None:
                row["saving"] = str((Decimal(d.margin.numerator) / Decimal(d.margin.denominator) * value / 100).quantize(Decimal("0.01")))
            else:
                row["saving"] = "0.00"
        except OriginrulesError as e:
            row.update({"duty": None, "rate": None, "saving_percent": None, "saving": None, "duty_error": e.render()})
        rows.append(row)
    return sorted(rows, key=lambda r: (-(Decimal(r["saving"]) if r.get("saving") else Decimal(-1)), r["agreement"]))


def schedule_dump(s: ast.Schedule) -> str:
    """A stable JSON dump of a schedule's meaning, for snapshot tests."""
    import json

    def path(p: ast.RatePath | None) -> Any:
        return None if p is None else [{f: v for f in seg.__struct_fields__ if (v := getattr(seg, f)) is not None} for seg in p.segments]

    data = {
        "agreement": s.agreement, "importers": list(s.importers), "name": s.name, "exporters": list(s.exporters), "years": s.years,
        "categories": {k: path(v) for k, v in s.categories.items()},
        "lines": [
            {
                "keys": [("ex " if k.ex else "") + str(k.codes) for k in line.keys],
                "when": [f"{c.attribute} {c.op} {', '.join(c.values)}" + (f" {c.unit}" if c.unit else "") for c in line.conditions],
                "description": line.description, "mfn": str(line.mfn), "mfn_as_of": str(line.mfn_date), "excluded": line.excluded,
                "preferential": path(line.preferential), "in_quota": path(line.in_quota), "out_quota": path(line.out_quota),
                "quota": [f"{q.kind} {q.amount} year {q.year}" for q in line.quota], "quota_unit": line.quota_unit,
                "line": line.span.line, "source": line.provenance.source,
                "inferred": (line.provenance.note or True) if line.provenance.inferred else None,
            }
            for line in s.lines
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"

