"""An order of advanced-computing items under a regime: which step decides it, what it needs
(a licence or not, under which authorization), the TPP it counts and the cap it draws on. Every
number comes from the regime file; nothing here knows a threshold."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import attrs

from originrules.chips.regime import Chip, Regime, Step, load
from originrules.errors import BomError, OriginrulesError, Problem

END_USER_TYPES = ("commercial", "data_center_operator", "iaas_provider", "university_research", "government", "distributor", "military")
VEU = ("none", "UVEU", "NVEU")


@attrs.frozen
class Item:
    chip: Chip
    quantity: int


@attrs.frozen
class Order:
    exporter: dict[str, Any]
    destination: str
    date: dt.date
    end_user: dict[str, Any]
    prior_tpp_this_year: int | None
    country_tpp_used: int | None
    items: tuple[Item, ...]
    source: str
    text: str  # the order as canonical JSON (its hash is the record's input hash)


@attrs.frozen
class Trail:
    step: str
    held: bool | None
    reason: str
    cite: str | None


@attrs.frozen
class ChipDecision:
    regime: Regime
    order: Order
    on: dt.date
    licence_required: bool | None
    authorization: str | None
    step: Step | None
    tpp_total: int
    trail: tuple[Trail, ...]
    draws: dict[str, Any] | None  # {limit, per, allowance, used_before, this_order, remaining}
    missing: tuple[str, ...]
    caveats: tuple[str, ...]
    what_if: tuple[str, ...]

    @property
    def verdict(self) -> str:
        return {True: "licence required", False: "no licence required", None: "undetermined"}[self.licence_required]

    @property
    def exit_code(self) -> int:
        return {False: 0, True: 1, None: 3}[self.licence_required]

    @property
    def h100_equivalents(self) -> Decimal:
        unit = next(iter(self.regime.units.values())).value
        return (Decimal(self.tpp_total) / Decimal(unit)).quantize(Decimal("0.01"))

    @property
    def decision_id(self) -> str:
        from originrules import __version__

        seed = "|".join((__version__, self.regime.sha256, hashlib.sha256(self.order.text.encode()).hexdigest(), self.on.isoformat(), ";".join(self.what_if)))
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        unit_name = next(iter(self.regime.units))
        return {
            "regime": self.regime.code,
            "regime_name": self.regime.name,
            "ruleset": self.regime.path,
            "ruleset_sha256": self.regime.sha256,
            "decision_id": self.decision_id,
            "date": self.on.isoformat(),
            "hypothetical": list(self.what_if),
            "verdict": self.verdict,
            "licence_required": self.licence_required,
            "authorization": self.authorization,
            "step": self.step.name if self.step else None,
            "cite": (self.step.cite if self.step else None),
            "tpp_total": self.tpp_total,
            f"{unit_name.lower()}_equivalents": str(self.h100_equivalents),
            "items": [{"chip": i.chip.model, "eccn": i.chip.eccn, "quantity": i.quantity, "tpp_each": i.chip.tpp, "tpp": i.chip.tpp * i.quantity,
                       "tpp_source": i.chip.source, "inferred": i.chip.inferred} for i in self.order.items],
            "draws": self.draws,
            "trail": [attrs.asdict(t) for t in self.trail],
            "missing": list(self.missing),
            "caveats": list(self.caveats),
        }


# ---------------------------------------------------------------- reading an order


def whole_numbers(data: Any) -> Any:
    """An order as its file is read (exact decimals, bom.decode): an order counts in whole numbers
    (chips, TPP), so a whole decimal becomes an int; anything else is left for read_order to refuse
    by its path."""
    if isinstance(data, dict):
        return {k: whole_numbers(v) for k, v in data.items()}
    if isinstance(data, list):
        return [whole_numbers(v) for v in data]
    if isinstance(data, Decimal) and data.is_finite() and data == data.to_integral_value():
        return int(data)
    return data


def read_order(data: Any, regime: Regime, source: str = "<order>") -> Order:
    """An order from decoded JSON; BomError (exit 2) naming every bad field by its path."""
    problems: list[Problem] = []

    def bad(where: str, message: str) -> None:
        problems.append(Problem(message, f"{source}: {where}", "CHP010"))

    if not isinstance(data, dict):
        raise BomError(Problem("expected a JSON object", source, "CHP010"))
    known = {"exporter", "destination", "date", "end_user", "prior_tpp_this_year", "country_tpp_used", "items", "_comment"}
    for key in data:
        if key not in known:
            bad(key, f"unknown field (expected {', '.join(sorted(known - {'_comment'}))})")
    exporter = data.get("exporter") if isinstance(data.get("exporter"), dict) else {}
    if not isinstance(data.get("exporter"), dict):
        bad("exporter", "expected an object: {\"name\": ..., \"country\": ...}")
    destination = str(data.get("destination") or "")
    if not (len(destination) == 2 and destination.isascii() and destination.isalpha() and destination.isupper()):
        bad("destination", f"expected an ISO 3166 alpha-2 country code such as IN, got {str(data.get('destination'))[:20]!r}")
    try:
        date = dt.date.fromisoformat(str(data.get("date")))
    except ValueError:
        bad("date", f"expected a date YYYY-MM-DD, got {str(data.get('date'))[:20]!r}")
        date = dt.date.min
    end_user = data.get("end_user") if isinstance(data.get("end_user"), dict) else {}
    if not isinstance(data.get("end_user"), dict):
        bad("end_user", "expected an object: {\"name\": ..., \"type\": ..., \"hq_country\": ..., \"veu\": ...}")
    if end_user.get("type") is not None and end_user["type"] not in END_USER_TYPES:
        bad("end_user.type", f"expected one of {', '.join(END_USER_TYPES)}, got {str(end_user['type'])[:30]!r}")
    if end_user.get("veu") is not None and end_user["veu"] not in VEU:
        bad("end_user.veu", f"expected one of {', '.join(VEU)}, got {str(end_user['veu'])[:30]!r}")
    hq = end_user.get("hq_country")
    if hq is not None and not (isinstance(hq, str) and len(hq) == 2 and hq.isascii() and hq.isalpha() and hq.isupper()):
        bad("end_user.hq_country", f"expected an ISO 3166 alpha-2 country code, got {str(hq)[:20]!r}")
    counts = {}
    for key in ("prior_tpp_this_year", "country_tpp_used"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            bad(key, f"expected a whole number of TPP, 0 or more, got {str(value)[:20]!r}")
            value = None
        counts[key] = value
    items = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        bad("items", "expected a list of items: [{\"chip\": \"NVIDIA H100 SXM\", \"quantity\": 1000}]")
        raw_items = []
    for n, it in enumerate(raw_items):
        where = f"items[{n}]"
        if not isinstance(it, dict):
            bad(where, "expected an object with chip and quantity")
            continue
        chip = regime.chips.get(str(it.get("chip", "")).strip().upper())
        if chip is None:
            import difflib  # only for the message

            asked = str(it.get("chip"))[:40]
            close = difflib.get_close_matches(asked.upper(), list(regime.chips), n=1, cutoff=0.4)
            hint = f" (did you mean {regime.chips[close[0]].model!r}?)" if close else ""
            bad(f"{where}.chip", f"unknown chip {asked!r}{hint}: `originrules chips list` gives the chips the regime knows")
        quantity = it.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            bad(f"{where}.quantity", f"expected a whole number of chips, 1 or more, got {str(quantity)[:20]!r}")
            continue
        if chip is not None:
            items.append(Item(chip, quantity))
    if problems:
        raise BomError(problems)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Order(exporter, destination, date, end_user, counts["prior_tpp_this_year"], counts["country_tpp_used"], tuple(items), source, text)


# ---------------------------------------------------------------- deciding


def check(order: Any, regime: str | Regime = "us-ai-diffusion-2025", *, on: dt.date | str | None = None, what_if: list[str] | tuple[str, ...] = ()) -> ChipDecision:
    """Decide an order (an Order, or a mapping as `json.load` gives it) under a regime, as on a
    date (default: the order's). `what_if`: NAME=VALUE changes to the regime's limits (`lpp=7916000`,
    or in display units, `lpp_h100_equivalents=500`): the answer is marked hypothetical."""
    from originrules.bom import as_date

    reg = regime if isinstance(regime, Regime) else load(regime)
    if not isinstance(order, Order):
        order = read_order(order, reg)
    day = as_date(on) or order.date
    if what_if:
        reg = _changed(reg, what_if)
    caveats = list(reg.caveats)
    effective, rescinded = reg.dates.get("effective"), reg.dates.get("rescinded")
    if effective and day < effective.value:
        caveats.insert(0, f"{day.isoformat()} is before the regime took effect ({effective.value.isoformat()}): the answer is what it would have required")
    if rescinded and day >= rescinded.value:
        caveats.insert(0, f"on {day.isoformat()} the regime had been rescinded ({rescinded.value.isoformat()}): not in force")
    if what_if:
        caveats.insert(0, "HYPOTHETICAL: " + "; ".join(what_if) + " (a reported proposal or a what-if, not the regime as issued)")
    controlled = [i for i in order.items if i.chip.eccn in reg.controlled.value]
    tpp = sum(i.chip.tpp * i.quantity for i in controlled)
    fields = {
        "destination": order.destination,
        "hq": order.end_user.get("hq_country"),
        "tpp": tpp,
        "prior_tpp_this_year": order.prior_tpp_this_year,
        "country_tpp_used": order.country_tpp_used,
        "end_user_type": order.end_user.get("type"),
        "veu": order.end_user.get("veu", "none"),
    }
    trail: list[Trail] = []
    for step in reg.steps:
        held, missing = _holds(step.condition, fields, reg, bool(controlled))
        trail.append(Trail(step.name, held, _words(step.condition, fields, reg), step.cite))
        if held is None:
            return ChipDecision(reg, order, day, None, None, step, tpp, tuple(trail), None, tuple(missing), tuple(caveats), tuple(what_if))
        if held:
            draws = _draws(step, fields, reg, tpp) if step.draws else None
            return ChipDecision(reg, order, day, step.verdict == "licence", step.authorization, step, tpp, tuple(trail), draws, (), tuple(caveats), tuple(what_if))
    raise AssertionError("unreachable: the last step is `when otherwise`")  # pragma: no cover


_ORDER_FIELD = {"hq": "end_user.hq_country", "prior_tpp_this_year": "prior_tpp_this_year", "country_tpp_used": "country_tpp_used",
                "end_user_type": "end_user.type", "veu": "end_user.veu", "destination": "destination", "tpp": "items"}


def _holds(c: tuple[Any, ...], fields: dict[str, Any], reg: Regime, controlled: bool) -> tuple[bool | None, list[str]]:
    """Three-valued: None with the order's fields that would decide it."""
    head = c[0]
    if head == "otherwise":
        return True, []
    if head == "controlled":
        return controlled, []
    if head == "not":
        inner, missing = _holds(c[1], fields, reg, controlled)
        return (None if inner is None else not inner), missing
    if head in ("and", "or"):
        results = [_holds(p, fields, reg, controlled) for p in c[1:]]
        values = [r for r, _ in results]
        missing = [m for _, ms in results for m in ms]
        decisive = head == "or"  # a True decides an "or", a False an "and"
        if decisive in values:
            return decisive, []
        return (None, missing) if None in values else (not decisive, [])
    if head == "in":
        value = fields[c[1]]
        return (None, [_ORDER_FIELD[c[1]]]) if value is None else (value in reg.groups[c[2]].value, [])
    if head == "within":
        values = [fields[f] for f in c[1]]
        if None in values:
            return None, [_ORDER_FIELD[f] for f, v in zip(c[1], values) if v is None]
        total, limit = sum(values), reg.limits[c[3]].value
        return {"<=": total <= limit, "<": total < limit, ">=": total >= limit, ">": total > limit}[c[2]], []
    if head in ("=", "!="):
        value = fields[c[1]]
        if value is None:
            return None, [_ORDER_FIELD[c[1]]]
        return (value == c[2]) == (head == "="), []
    raise AssertionError(f"unknown condition {head}")  # pragma: no cover


def _words(c: tuple[Any, ...], fields: dict[str, Any], reg: Regime) -> str:
    """The condition with the order's values: 'tpp + prior_tpp_this_year = 15,832,000 + 0 = 15,832,000 <= lpp 26,900,000'."""
    head = c[0]
    if head == "otherwise":
        return "no earlier step applies"
    if head == "controlled":
        return f"an item of {', '.join(reg.controlled.value)}"
    if head == "not":
        return f"not ({_words(c[1], fields, reg)})"
    if head in ("and", "or"):
        return f" {head} ".join(f"({_words(p, fields, reg)})" for p in c[1:])
    if head == "in":
        return f"{c[1]} {fields[c[1]] or '?'} in {c[2]}"
    if head == "within":
        values = [fields[f] for f in c[1]]
        shown = " + ".join(f"{v:,}" if v is not None else "?" for v in values)
        total = f" = {sum(values):,}" if None not in values and len(values) > 1 else ""
        return f"{' + '.join(c[1])} = {shown}{total} {c[2]} {c[3]} {reg.limits[c[3]].value:,}"
    return f"{c[1]} {fields[c[1]] or '?'} {head} {c[2]}"


def _draws(step: Step, fields: dict[str, Any], reg: Regime, tpp: int) -> dict[str, Any]:
    """The cap the step draws on: its allowance, what the order says was used before, this order, what remains."""
    limit = reg.limits[step.draws]  # type: ignore[index]
    before = fields["prior_tpp_this_year"] if step.draws == "lpp" else fields["country_tpp_used"] if step.draws and step.draws.startswith("country_allocation") else None
    out = {"limit": step.draws, "per": list(reg.per.get(step.draws or "", ())), "allowance": limit.value, "used_before": before, "this_order": tpp,
           "remaining": None if before is None else limit.value - before - tpp, "source": limit.source, "inferred": limit.inferred}
    if before is None:
        out["note"] = "the order does not give what was used before (country_tpp_used): what remains is unknown"
    return out


def _changed(reg: Regime, changes: list[str] | tuple[str, ...]) -> Regime:
    """The regime with limits changed: `lpp=7916000` (TPP) or `lpp_h100_equivalents=500` (display units)."""
    limits = dict(reg.limits)
    unit_name, unit = next(iter(reg.units.items()))
    problems = []
    for change in changes:
        name, eq, value = change.partition("=")
        name = name.strip()
        per_unit = name.lower().endswith(f"_{unit_name.lower()}_equivalents")
        target = name[: -len(f"_{unit_name}_equivalents")] if per_unit else name
        if not eq or target not in limits or not value.strip().isdigit():
            known = ", ".join(f"{n}, {n}_{unit_name.lower()}_equivalents" for n in limits)
            problems.append(Problem(f"what-if {change!r}: expected LIMIT=WHOLE_NUMBER, a limit of {reg.code}: {known}", code="CHP011"))
            continue
        amount = int(value) * unit.value if per_unit else int(value)
        limits[target] = attrs.evolve(limits[target], value=amount, source=f"what-if {change}" + (f" ({int(value):,} x {unit.value:,} TPP)" if per_unit else ""),
                                      inferred="a hypothetical, not the regime as issued")
    if problems:
        raise OriginrulesError(problems)
    return attrs.evolve(reg, limits=limits)
