"""The bill of materials: attrs classes, exact decimals, loading and validation.

Every problem in a BOM is reported with its JSON path (`materials[3].value`), all of them
at once, and nothing is guessed: numbers are read as exact `Decimal`s, from JSON numbers or
numeric strings.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from originrules.errors import BomError, Problem
from originrules.hs import normalise

UNKNOWN_ORIGIN = "unknown"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
COST_FIELDS = ("direct_labour", "direct_overhead", "profit", "other_costs")


@attrs.frozen
class Material:
    id: str
    description: str
    hs_code: str | None  # normalised digits; None if the BOM does not give it
    value: Decimal
    origin: str  # ISO 3166 alpha-2, or "unknown"
    originating: bool | None  # None: not declared (counts as non-originating)
    wholly_obtained: bool = False


@attrs.frozen
class Product:
    hs_code: str
    description: str = ""
    ex_works: Decimal | None = None
    fob: Decimal | None = None
    currency: str | None = None
    exporting_country: str | None = None
    importing_country: str | None = None
    wholly_obtained: bool | None = None
    processes: tuple[str, ...] | None = None
    subdivision: str | None = None


@attrs.frozen
class Bom:
    product: Product
    materials: tuple[Material, ...]
    costs: dict[str, Decimal] = attrs.field(factory=dict)
    source: str = "<bom>"
    #: the value of all materials, summed once at load: every check needs it (VOM = total - VNM)
    total: Decimal = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "total", sum((m.value for m in self.materials), Decimal(0)))

    def to_dict(self) -> dict[str, Any]:
        """The BOM in its file format (numbers as exact decimal strings)."""

        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (str(v) if isinstance(v, Decimal) else list(v) if isinstance(v, tuple) else v) for k, v in d.items() if v is not None}

        out: dict[str, Any] = {"product": clean(attrs.asdict(self.product, recurse=False))}
        if self.costs:
            out["costs"] = clean(self.costs)
        out["materials"] = [clean(attrs.asdict(m, recurse=False)) for m in self.materials]
        return out

    def sha256(self) -> str:
        """A digest of the BOM's content (not its layout): the same BOM, the same digest."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def scaled(self, factor: Decimal) -> Bom:
        """The same BOM with every money value multiplied by `factor` (a change of currency)."""
        p = self.product
        return attrs.evolve(
            self,
            product=attrs.evolve(
                p,
                ex_works=None if p.ex_works is None else p.ex_works * factor,
                fob=None if p.fob is None else p.fob * factor,
            ),
            materials=tuple(attrs.evolve(m, value=m.value * factor) for m in self.materials),
            costs={k: v * factor for k, v in self.costs.items()},
        )


class _Reader:
    """Walks the decoded JSON, collecting problems with their paths."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def bad(self, path: str, message: str) -> None:
        self.problems.append(Problem(f"{path}: {message}", self.source, "BOM001"))

    def obj(self, data: dict[str, Any], key: str, path: str, required: bool) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.bad(_join(path, key), "is required (an object)")
            return None
        if not isinstance(value, dict):
            self.bad(_join(path, key), f"expected an object, got {_show(value)}")
            return None
        return value

    def text(self, data: dict[str, Any], key: str, path: str, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.bad(_join(path, key), "is required (a text)")
            return None
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and key == "id":
            return str(value)  # material ids are often line numbers
        if not isinstance(value, str):
            self.bad(_join(path, key), f"expected a text, got {_show(value)}")
            return None
        return value

    def number(self, data: dict[str, Any], key: str, path: str, required: bool = False, positive: bool = False) -> Decimal | None:
        value = data.get(key)
        where = _join(path, key)
        if value is None:
            if required:
                self.bad(where, "is required (a non-negative number)")
            return None
        number: Decimal | None = None
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, str) and _NUMBER.match(value.strip()):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
                number = None
        if number is None or not number.is_finite() or number < 0:
            self.bad(where, f"expected a non-negative number, got {_show(value)}")
            return None
        if positive and number == 0:
            self.bad(where, "must be greater than zero (it is the denominator of every value test)")
            return None
        return number

    def boolean(self, data: dict[str, Any], key: str, path: str) -> bool | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.bad(_join(path, key), f"expected true or false, got {_show(value)}")
            return None
        return value

    def hs(self, data: dict[str, Any], key: str, path: str, required: bool, product: bool) -> str | None:
        raw = data.get(key)
        where = _join(path, key)
        if raw is None:
            if required:
                self.bad(where, "is required (an HS code of 6 to 10 digits)")
            return None
        if not isinstance(raw, str):
            self.bad(where, f'expected an HS code as a text such as "8711.20", got {_show(raw)}')
            return None
        code = normalise(raw)
        low = 6 if product else 2
        if code is None or not low <= len(code) <= 10:
            what = "6 to 10 digits" if product else "2 to 10 digits"
            self.bad(where, f"expected an HS code of {what} (dots and spaces allowed), got {_show(raw)}")
            return None
        return code

    def country(self, data: dict[str, Any], key: str, path: str, allow_unknown: bool = False, required: bool = False) -> str | None:
        raw = data.get(key)
        if raw is None:
            if required:
                self.bad(_join(path, key), "is required (an ISO 3166 alpha-2 code such as IN" + (', or "unknown")' if allow_unknown else ")"))
            return None
        if isinstance(raw, str):
            if allow_unknown and raw.strip().lower() == UNKNOWN_ORIGIN:
                return UNKNOWN_ORIGIN
            if _COUNTRY.match(raw.strip().upper()):
                return raw.strip().upper()
        extra = ' or "unknown"' if allow_unknown else ""
        self.bad(_join(path, key), f"expected an ISO 3166 alpha-2 country code such as IN{extra}, got {_show(raw)}")
        return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    return json.dumps(value)


def from_dict(data: Any, source: str = "<bom>") -> Bom:
    """Build a BOM from decoded JSON (numbers as Decimal); raise BomError naming every bad path."""
    r = _Reader(source)
    if not isinstance(data, dict):
        raise BomError(Problem(f"expected a JSON object at the top, got {_show(data)}", source, "BOM001"))
    known_top = {"product", "materials", "costs"}
    for key in data:
        if key not in known_top and not key.startswith("_"):
            r.bad(key, f"unknown field (expected {', '.join(sorted(known_top))})")
    p = r.obj(data, "product", "", required=True) or {}
    processes = p.get("processes")
    if processes is not None and not (isinstance(processes, list) and all(isinstance(x, str) for x in processes)):
        r.bad("product.processes", f"expected a list of process names, got {_show(processes)}")
        processes = None
    product = Product(
        hs_code=r.hs(p, "hs_code", "product", required=bool(p) or "product" in data, product=True) or "",
        description=r.text(p, "description", "product") or "",
        ex_works=r.number(p, "ex_works", "product", positive=True),
        fob=r.number(p, "fob", "product", positive=True),
        currency=r.text(p, "currency", "product"),
        exporting_country=r.country(p, "exporting_country", "product"),
        importing_country=r.country(p, "importing_country", "product"),
        wholly_obtained=r.boolean(p, "wholly_obtained", "product"),
        processes=tuple(processes) if processes is not None else None,
        subdivision=r.text(p, "subdivision", "product"),
    )
    if p and product.ex_works is None and product.fob is None and "ex_works" not in p and "fob" not in p:
        r.bad("product", "needs ex_works or fob (the value every percentage is taken of)")
    costs: dict[str, Decimal] = {}
    c = r.obj(data, "costs", "", required=False)
    if c is not None:
        for key in c:
            if key not in COST_FIELDS:
                r.bad(f"costs.{key}", f"unknown cost (expected one of {', '.join(COST_FIELDS)})")
        for key in COST_FIELDS:
            value = r.number(c, key, "costs")
            if value is not None:
                costs[key] = value
    materials = []
    raw_materials = data.get("materials")
    if raw_materials is None:
        r.bad("materials", "is required (a list, possibly empty)")
        raw_materials = []
    elif not isinstance(raw_materials, list):
        r.bad("materials", f"expected a list, got {_show(raw_materials)}")
        raw_materials = []
    seen: dict[str, int] = {}
    for i, m in enumerate(raw_materials):
        path = f"materials[{i}]"
        if not isinstance(m, dict):
            r.bad(path, f"expected an object, got {_show(m)}")
            continue
        mid = r.text(m, "id", path, required=True)
        if mid is not None:
            if mid in seen:
                r.bad(f"{path}.id", f"{mid!r} is used twice (also materials[{seen[mid]}])")
            seen[mid] = i
        origin = r.country(m, "origin", path, allow_unknown=True, required=True)
        material = Material(
            id=mid or f"#{i}",
            description=r.text(m, "description", path) or "",
            hs_code=r.hs(m, "hs_code", path, required=False, product=False),
            value=r.number(m, "value", path, required=True) or Decimal(0),
            origin=origin or UNKNOWN_ORIGIN,
            originating=r.boolean(m, "originating", path),
            wholly_obtained=bool(r.boolean(m, "wholly_obtained", path)),
        )
        if material.originating and origin == UNKNOWN_ORIGIN:
            r.bad(f"{path}.originating", 'is true but origin is "unknown": a material of unknown origin is non-originating')
        materials.append(material)
    if r.problems:
        raise BomError(r.problems)
    return Bom(product, tuple(materials), costs, source)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def loads(text: str, source: str = "<bom>") -> Bom:
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise BomError(Problem(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", source, "BOM000")) from None
    except ValueError as e:
        raise BomError(Problem(f"not valid JSON: {e}", source, "BOM000")) from None
    return from_dict(data, source)


def load_bom(path: str | Path) -> Bom:
    """Read a BOM file (JSON). Raise BomError with every problem and its JSON path."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BomError(Problem("no such file", str(path), "BOM000")) from None
    except (OSError, UnicodeDecodeError) as e:
        raise BomError(Problem(f"cannot read: {e}", str(path), "BOM000")) from None
    return loads(text, str(path))
