"""The bill of materials: attrs classes, exact decimals, loading and validation.

Every problem in a BOM is reported with its JSON path (`materials[3].value`), all of them
at once, and nothing is guessed: numbers are read as exact `Decimal`s, from JSON numbers or
numeric strings.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from itertools import compress, repeat
from operator import attrgetter, itemgetter
from operator import is_not as _is_not
from operator import not_ as _not
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import msgspec

from originrules.errors import BomError, Problem
from originrules.hs import normalise
from originrules.numbers import EXACT, MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, exact_sum, limit_message, within_limits

UNKNOWN_ORIGIN = "unknown"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
COST_FIELDS = ("direct_labour", "direct_overhead", "profit", "other_costs")


class Material(NamedTuple):
    """One material of a BOM. A named tuple, not an attrs class: a catalogue has millions, and
    a tuple is built several times faster; it is just as immutable (change one with _replace)."""

    id: str
    description: str
    hs_code: str | None  # normalised digits; None if the BOM does not give it
    value: Decimal
    origin: str  # ISO 3166 alpha-2, or "unknown"
    originating: bool | None  # None: not declared (counts as non-originating)
    wholly_obtained: bool = False
    role: str | None = None  # accessory, spare_part, ...: treated as the agreement's header says
    currency: str | None = None  # the currency `quoted_value` is in, if not the BOM's
    quoted_value: Decimal | None = None  # the value as given, before conversion
    materials: tuple[Material, ...] | None = None  # an intermediate made by the producer
    ex_works: Decimal | None = None  # an intermediate's own value bases
    fob: Decimal | None = None
    supplier: str | None = None  # with part_number: whose declaration (in the register) says its origin
    part_number: str | None = None
    declaration: str | None = None  # "bom": the BOM's own `originating` wins over the register
    net_weight_kg: Decimal | None = None  # for rules and tolerances by weight
    attributes: tuple[tuple[str, Decimal | bool], ...] | None = None  # qualifiers a rule may ask: (("milk_solids", 12), ("unwrought", True))


# columns of Material, for the C-level passes in Bom
_ID, _HS_CODE, _VALUE, _ORIGIN, _ORIGINATING, _ROLE, _SUBMATERIALS, _SUPPLIER = (
    itemgetter(Material._fields.index(f)) for f in ("id", "hs_code", "value", "origin", "originating", "role", "materials", "supplier")
)


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
    net_weight_kg: Decimal | None = None  # for rules and tolerances by weight
    transaction_value: Decimal | None = None  # the price paid, where an agreement takes it as a basis (UK-Canada)


@attrs.frozen
class Bom:
    product: Product
    materials: tuple[Material, ...]
    costs: dict[str, Decimal] = attrs.field(factory=dict)
    source: str = "<bom>"
    exchange_rates: dict[str, Decimal] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()  # what loading repaired, e.g. a lost leading zero
    digest: str | None = attrs.field(default=None, eq=False)  # SHA-256 of the JSON text it was read from
    what_if: tuple[str, ...] = ()  # the changes made to the BOM as declared: a hypothetical
    #: what the declarations register said of each material it was asked about, by material id:
    #: (a valid declaration was used, in words); set by store.declarations.resolve, shown in reports
    register: dict[str, tuple[bool, str]] = attrs.field(factory=dict, eq=False)
    #: the value of all materials, summed once at load: every check needs it (VOM = total - VNM)
    total: Decimal = attrs.field(init=False)
    #: whether any material is an intermediate with materials of its own
    nested: bool = attrs.field(init=False)
    #: the HS subheadings (first six digits) of the product and every material: checked against
    #: an agreement's nomenclature in one set operation
    codes: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    #: the fewest digits of any material's code (10 if none): a tariff shift finer than this fails it
    shortest: int = attrs.field(init=False, eq=False, repr=False)
    #: whether any material has a role (accessory, packing, ...) the agreement may treat apart
    roles: bool = attrs.field(init=False, eq=False, repr=False)
    #: the materials not declared originating, their value, and the origins of those that are:
    #: what every check starts from, worked out once when the BOM is read
    undeclared: tuple[Material, ...] = attrs.field(init=False, eq=False, repr=False)
    undeclared_value: Decimal = attrs.field(init=False, eq=False, repr=False)
    declared_origins: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    #: whether any material names a supplier (its status may come from the declaration register)
    suppliers: bool = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # column at a time, each pass a C loop (itemgetter, compress): this runs for every BOM read
        materials = self.materials
        put = object.__setattr__
        put(self, "total", exact_sum(map(_VALUE, materials)))
        put(self, "nested", any(map(_is_not, map(_SUBMATERIALS, materials), repeat(None))))
        written = set(map(_HS_CODE, materials))
        written.discard(None)
        codes = {c[:6] for c in written}
        if self.product.hs_code:
            codes.add(self.product.hs_code[:6])
        if self.nested:
            stack = [m.materials for m in materials if m.materials]
            while stack:
                for m in stack.pop():
                    if m.hs_code is not None:
                        codes.add(m.hs_code[:6])
                    if m.materials:
                        stack.append(m.materials)
        put(self, "codes", frozenset(codes))
        put(self, "shortest", min(map(len, written), default=10))
        put(self, "roles", any(map(_is_not, map(_ROLE, materials), repeat(None))))
        declared = list(map(_ORIGINATING, materials))
        undeclared = tuple(compress(materials, map(_not, declared)))
        put(self, "undeclared", undeclared)
        put(self, "undeclared_value", exact_sum(map(_VALUE, undeclared)))
        put(self, "declared_origins", frozenset(compress(map(_ORIGIN, materials), declared)))
        put(self, "suppliers", any(map(_SUPPLIER, materials)))

    def to_dict(self) -> dict[str, Any]:
        """The BOM in its file format (numbers as exact decimal strings)."""

        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (str(v) if isinstance(v, Decimal) else list(v) if isinstance(v, tuple) else v) for k, v in d.items() if v is not None}

        def material(m: Material) -> dict[str, Any]:
            d = clean({k: v for k, v in m._asdict().items() if k not in ("materials", "quoted_value", "wholly_obtained", "attributes")})
            if m.attributes is not None:
                d["attributes"] = {k: v if isinstance(v, bool) else str(v) for k, v in m.attributes}
            if m.wholly_obtained:
                d["wholly_obtained"] = True
            if m.currency:
                d["value"] = str(m.quoted_value)  # as given; the rate is in exchange_rates
            if m.materials is not None:
                d["materials"] = [material(x) for x in m.materials]
            return d

        out: dict[str, Any] = {"product": clean(attrs.asdict(self.product, recurse=False))}
        if self.costs:
            out["costs"] = clean(self.costs)
        if self.exchange_rates:
            out["exchange_rates"] = clean(self.exchange_rates)
        out["materials"] = [material(m) for m in self.materials]
        return out

    def sha256(self) -> str:
        """The SHA-256 of the JSON text the BOM was read from; for a BOM built otherwise (CSV,
        --what-if, Python), of its canonical JSON."""
        if self.digest is not None:
            return self.digest
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def canonical_json(self) -> str:
        """The BOM as JSON text in one canonical form (sorted keys, no spaces): read back, it is
        this BOM, and its digest is `sha256()` of a BOM built otherwise than from a file."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def scaled(self, factor: Decimal) -> Bom:
        """The same BOM with every money value multiplied by `factor` (a change of currency)."""
        p = self.product
        return attrs.evolve(
            self,
            product=attrs.evolve(
                p,
                ex_works=None if p.ex_works is None else EXACT.multiply(p.ex_works, factor),
                fob=None if p.fob is None else EXACT.multiply(p.fob, factor),
                transaction_value=None if p.transaction_value is None else EXACT.multiply(p.transaction_value, factor),
            ),
            materials=tuple(m._replace(value=EXACT.multiply(m.value, factor)) for m in self.materials),
            costs={k: EXACT.multiply(v, factor) for k, v in self.costs.items()},
        )


class _Reader:
    """Walks the decoded JSON, collecting problems with their paths."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def bad(self, path: str, message: str, code: str = "BOM001") -> None:
        self.problems.append(Problem(f"{path}: {message}", self.source, code))

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
        if number is None or number.is_nan() or number < 0:
            self.bad(where, f"expected a non-negative number, got {_show(value)}")
            return None
        number = within_limits(number)
        if number is None:
            self.bad(where, limit_message(value), "BOM005")
            return None
        if positive and number == 0:
            self.bad(where, "must be greater than zero (it is the denominator of every value test)")
            return None
        return number

    def attributes(self, data: dict[str, Any], path: str) -> tuple[tuple[str, Decimal | bool], ...] | None:
        """`attributes`: names (letters, digits, _) to numbers or true/false, as a rule's qualifier
        reads them (`where milk_solids > 10%`, `where worked_slate`)."""
        raw = data.get("attributes")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.bad(f"{path}.attributes", f"expected an object of names and numbers or true/false, got {_show(raw)}")
            return None
        out: list[tuple[str, Decimal | bool]] = []
        for name in raw:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", str(name)):
                self.bad(f"{path}.attributes", f"{_show(name)} is not a name (letters, digits and _)")
                continue
            if isinstance(raw[name], bool):
                out.append((str(name), raw[name]))
                continue
            if isinstance(raw[name], str) and raw[name].strip().lower() in ("yes", "no", "true", "false"):
                self.bad(f"{path}.attributes.{name}", f"expected a number or true/false (JSON true or false, not the text {raw[name]!r})")
                continue
            value = self.number(raw, name, f"{path}.attributes")
            if value is not None:
                out.append((str(name), value))
        return tuple(out)

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
        if isinstance(raw, Decimal) and raw == raw.to_integral_value() and raw > 0:
            self.warnings.append(f"{where}: HS code given as the number {raw}; write HS codes as text")
            raw = str(int(raw))  # a spreadsheet cell that became a number; a lost zero is repaired below
        if not isinstance(raw, str):
            self.bad(where, f'expected an HS code as a text such as "8711.20", got {_show(raw)}')
            return None
        code = normalise(raw)
        if code is not None and len(code) % 2 == 1 and 5 <= len(code) <= 9:
            # HS codes have an even number of digits: an odd count means a spreadsheet dropped
            # the leading zero of chapters 01-09 (30590 for 030590)
            self.warnings.append(f"{where}: HS code {raw} has {len(code)} digits; read as 0{code} (a leading zero lost in a spreadsheet?)")
            code = "0" + code
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


PRODUCT_FIELDS = {
    "hs_code": "HS code of the product, 6 to 10 digits (dots and spaces allowed)",
    "description": "what the product is",
    "ex_works": "ex-works price, > 0",
    "fob": "free-on-board value, > 0",
    "currency": "ISO 4217 code of every value in the BOM",
    "exporting_country": "ISO 3166 alpha-2",
    "importing_country": "ISO 3166 alpha-2",
    "wholly_obtained": "true if the product is wholly obtained",
    "processes": "operations the producer carried out",
    "subdivision": "which of several rules for one code applies",
    "net_weight_kg": "net weight in kilograms, > 0: for rules by weight (VNM(net_weight) <= 20%)",
    "transaction_value": "the price actually paid, > 0, where an agreement takes it as a value basis (UK-Canada)",
}
MATERIAL_FIELDS = {
    "id": "unique within its list",
    "description": "what the material is",
    "hs_code": "HS code, 2 to 10 digits",
    "value": "value for one unit of the product, in the BOM currency unless `currency` says otherwise",
    "currency": "ISO 4217 code of `value`, if not the BOM currency (needs exchange_rates)",
    "origin": 'ISO 3166 alpha-2, or "unknown"',
    "originating": "true only if known to originate (a declaration is held)",
    "wholly_obtained": "true if wholly obtained in a party",
    "role": "accessory, spare_part, tool, retail_packing, transport_packing or indirect",
    "ex_works": "for an intermediate: its ex-works value (default: value)",
    "fob": "for an intermediate: its FOB value",
    "materials": "for an intermediate made by the producer: its own materials",
    "supplier": "with part_number: the supplier whose declaration in the register gives its origin (docs/declarations.md)",
    "part_number": "the supplier's part number, as on its declaration",
    "declaration": '"bom": take `originating` from this BOM even when the register has a declaration',
    "net_weight_kg": "net weight in kilograms used in one unit of the product: for rules by weight",
    "attributes": 'numbers a rule may qualify a material by, e.g. {"milk_solids": "12"} (percent by dry weight)',
}
ROLES = ("accessory", "spare_part", "tool", "retail_packing", "transport_packing", "indirect")
MAX_DEPTH = 10  # levels of intermediate materials


class _Loader:
    """The whole-BOM reading: product, costs, exchange rates, materials at every level."""

    def __init__(self, r: _Reader, rates: dict[str, Decimal], currency: str | None):
        self.r, self.rates, self.currency = r, rates, currency

    def materials(self, raw: Any, path: str, depth: int) -> tuple[Material, ...]:
        r = self.r
        if depth > MAX_DEPTH:
            r.bad(path, f"intermediate materials nested more than {MAX_DEPTH} levels deep")
            return ()
        if raw is None:
            r.bad(path, "is required (a list, possibly empty)")
            return ()
        if not isinstance(raw, list):
            r.bad(path, f"expected a list, got {_show(raw)}")
            return ()
        out = []
        seen: dict[str, int] = {}
        for i, m in enumerate(raw):
            fast = _plain_material(m)
            if fast is not None and fast.id not in seen:
                seen[fast.id] = i
                out.append(fast)
                continue
            where = f"{path}[{i}]"
            if not isinstance(m, dict):
                r.bad(where, f"expected an object, got {_show(m)}")
                continue
            for key in m:
                if key not in MATERIAL_FIELDS and not key.startswith("_"):
                    r.bad(f"{where}.{key}", f"unknown field (expected one of {', '.join(MATERIAL_FIELDS)})")
            mid = r.text(m, "id", where, required=True)
            if mid is not None:
                if mid in seen:
                    r.bad(f"{where}.id", f"{mid!r} is used twice (also {path}[{seen[mid]}])")
                seen[mid] = i
            origin = r.country(m, "origin", where, allow_unknown=True, required=True)
            quoted = r.number(m, "value", where, required=True)
            currency = r.text(m, "currency", where)
            value = self.convert(quoted, currency, where)
            role = r.text(m, "role", where)
            if role is not None and role not in ROLES:
                r.bad(f"{where}.role", f"expected one of {', '.join(ROLES)}, got {_show(role)}")
            sub = self.materials(m["materials"], f"{where}.materials", depth + 1) if "materials" in m else None
            material = Material(
                id=mid or f"#{i}",
                description=r.text(m, "description", where) or "",
                hs_code=r.hs(m, "hs_code", where, required=sub is not None, product=sub is not None),
                value=value if value is not None else Decimal(0),
                origin=origin or UNKNOWN_ORIGIN,
                originating=r.boolean(m, "originating", where),
                wholly_obtained=bool(r.boolean(m, "wholly_obtained", where)),
                role=role,
                currency=currency,
                quoted_value=quoted if currency else None,
                materials=sub,
                ex_works=r.number(m, "ex_works", where, positive=True),
                fob=r.number(m, "fob", where, positive=True),
                supplier=r.text(m, "supplier", where),
                part_number=r.text(m, "part_number", where),
                declaration=r.text(m, "declaration", where),
                net_weight_kg=r.number(m, "net_weight_kg", where),
                attributes=r.attributes(m, where),
            )
            if material.declaration not in (None, "bom"):
                r.bad(f"{where}.declaration", f'expected "bom" (take originating from this BOM), got {_show(material.declaration)}')
            if (material.supplier is None) != (material.part_number is None):
                r.bad(where, "supplier and part_number go together: the register finds a declaration by both")
            if material.originating and origin == UNKNOWN_ORIGIN:
                r.bad(f"{where}.originating", 'is true but origin is "unknown": a material of unknown origin is non-originating')
            if sub is not None and material.originating is not None:
                r.bad(f"{where}.originating", "an intermediate's origin is decided from its own materials; leave originating out")
            out.append(material)
        return tuple(out)

    def convert(self, value: Decimal | None, currency: str | None, where: str) -> Decimal | None:
        """A value quoted in another currency, at the BOM's own rate: never a guessed rate."""
        if value is None or currency is None or currency == self.currency:
            return value
        rate = self.rates.get(currency)
        if rate is None:
            self.r.bad(f"{where}.currency", f"{currency} has no rate in exchange_rates (the BOM is in {self.currency or 'an unnamed currency'}); give one, e.g. \"exchange_rates\": {{\"{currency}\": \"90.50\"}}")
            return None
        return EXACT.multiply(value, rate)


_PLAIN_KEYS = frozenset({"id", "description", "hs_code", "value", "origin", "originating"})


_CODE_LENGTHS = frozenset((2, 4, 6, 8, 10))


def _plain_material(m: Any) -> Material | None:
    """The common material, read fast: canonical fields only, each well-formed and within the
    limits. Anything else (None) goes through the full reading, which names each problem and
    repairs what it may (dots in codes, lower-case countries, lost leading zeros)."""
    if type(m) is not dict or not _PLAIN_KEYS.issuperset(m):
        return None
    try:
        mid, hs, origin, value = m["id"], m["hs_code"], m["origin"], m["value"]
    except KeyError:
        return None
    originating = m.get("originating")
    description = m.get("description", "")
    if (
        type(mid) is not str
        or type(hs) is not str
        or type(origin) is not str
        or type(description) is not str
        or not (originating is None or originating is True or originating is False)
        or len(hs) not in _CODE_LENGTHS
        or not (hs.isdigit() and hs.isascii())
        or len(origin) != 2
        or not (origin.isupper() and origin.isalpha() and origin.isascii())
    ):
        return None
    if type(value) is str:
        # plain decimal text within the limits (numbers.py), told by its shape alone: ASCII
        # digits and at most one point, <= 15 digits before it and <= 12 after
        point = value.find(".")
        if point < 0:
            if not (0 < len(value) <= MAX_INTEGER_DIGITS and value.isdigit() and value.isascii()):
                return None
        elif not (point <= MAX_INTEGER_DIGITS and len(value) - point <= MAX_FRACTION_DIGITS + 1 and value.isascii() and value.replace(".", "", 1).isdigit()):
            return None
        value = Decimal(value)
    elif type(value) is not Decimal or within_limits(value) is not value or value < 0:
        return None
    return Material(mid, description, hs, value, origin, originating)


def exact(data: Any) -> Any:
    """What `json.load` gives, with its numbers as a BOM file's are read: an int exactly, a float
    from its shortest repr ("18000.5", never the binary fraction behind it); NaN and infinity are
    left as they are, for the reader to refuse with their path."""
    if isinstance(data, dict):
        return {k: exact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [exact(v) for v in data]
    if isinstance(data, bool):
        return data
    if isinstance(data, int):
        return Decimal(data)
    if isinstance(data, float) and data == data and abs(data) != float("inf"):  # float-ok: json.load's float, never computed with; read through its repr
        return Decimal(repr(data))
    return data


def as_bom(bom: Any, source: str = "<mapping>") -> Bom:
    """A Bom, or a plain mapping in the file's format (as `json.load` gives it) read as the file is."""
    return bom if isinstance(bom, Bom) else from_dict(exact(bom), source)


def as_date(on: Any, name: str = "on") -> dt.date | None:
    """A date given as a `date` (a datetime's day) or as ISO text ("2026-12-05"); BomError otherwise."""
    if on is None or (isinstance(on, dt.date) and not isinstance(on, dt.datetime)):
        return on
    if isinstance(on, dt.datetime):
        return on.date()
    if isinstance(on, str):
        try:
            return dt.date.fromisoformat(on.strip())
        except ValueError:
            pass
    raise BomError(Problem(f"expected a date (a datetime.date or text such as 2026-12-05), got {_show(on)}", name, "BOM001"))


def from_dict(data: Any, source: str = "<bom>", warnings: tuple[str, ...] = (), digest: str | None = None) -> Bom:
    """Build a BOM from decoded JSON (numbers as Decimal); raise BomError naming every bad path."""
    r = _Reader(source)
    if not isinstance(data, dict):
        raise BomError(Problem(f"expected a JSON object at the top, got {_show(data)}", source, "BOM001"))
    known_top = {"product", "materials", "costs", "exchange_rates"}
    for key in data:
        if key not in known_top and not key.startswith("_"):
            r.bad(key, f"unknown field (expected {', '.join(sorted(known_top))})")
    p = r.obj(data, "product", "", required=True) or {}
    for key in p:
        if key not in PRODUCT_FIELDS and not key.startswith("_"):
            r.bad(f"product.{key}", f"unknown field (expected one of {', '.join(PRODUCT_FIELDS)})")
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
        net_weight_kg=r.number(p, "net_weight_kg", "product", positive=True),
        transaction_value=r.number(p, "transaction_value", "product", positive=True),
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
    rates: dict[str, Decimal] = {}
    raw_rates = r.obj(data, "exchange_rates", "", required=False)
    if raw_rates is not None:
        for key in raw_rates:
            rate = r.number(raw_rates, key, "exchange_rates", positive=True)
            if rate is not None:
                rates[key] = rate
    materials = _Loader(r, rates, product.currency).materials(data.get("materials"), "materials", 0)
    warnings = warnings + tuple(r.warnings)
    if r.problems:
        raise BomError(r.problems)
    return Bom(product, materials, costs, source, rates, warnings, digest)


# ---------------------------------------------------------------- reading JSON text

MAX_JSON_DEPTH = 64  # arrays and objects inside each other; a BOM needs about 24 at 10 levels of intermediates
MAX_TEXT = 512 * 1024 * 1024  # characters in one BOM file (a 200,000-material BOM is about 25 MB)


class _Duplicate(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Each JSON object as it is decoded: a repeated key is an error."""
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Duplicate
    return d


def decode(text: str, source: str = "<bom>") -> Any:
    """JSON text -> data, numbers as exact Decimals. Refused (BomError, with the JSON path):
    duplicate keys (which one would win is not the user's choice to leave to a parser), a
    document too deep to decode (named where it passes MAX_JSON_DEPTH), NaN and Infinity, text
    over MAX_TEXT. The BOM format's own depth is checked by from_dict (MAX_DEPTH)."""
    if len(text) > MAX_TEXT:
        raise BomError(Problem(f"{len(text):,} characters: more than a BOM may hold ({MAX_TEXT:,})", source, "BOM006"))
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as e:
        raise BomError(Problem(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", source, "BOM000")) from None
    except (_Duplicate, RecursionError):
        problem = _structure_problem(text)  # the slow reading, only to say where
        raise BomError(Problem(problem or "nested too deeply", source, "BOM006")) from None
    except ValueError as e:
        raise BomError(Problem(f"not valid JSON: {e}", source, "BOM000")) from None


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def _structure_problem(text: str) -> str | None:
    """Where the text first nests deeper than MAX_JSON_DEPTH or repeats a key, as a JSON path."""
    # a stack of frames: [is_object, key or index, keys seen]
    stack: list[list[Any]] = []
    expect_key = False
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            if len(stack) >= MAX_JSON_DEPTH:
                return f"{_path(stack)}: nested more than {MAX_JSON_DEPTH} levels deep"
            stack.append([tok == "{", None if tok == "{" else 0, set()])
            expect_key = tok == "{"
        elif tok in "]}":
            if stack:
                stack.pop()
            expect_key = False
        elif tok == ",":
            if stack and stack[-1][0]:
                expect_key = True
            elif stack:
                stack[-1][1] += 1
        elif tok == ":":
            expect_key = False
        elif expect_key and stack:
            key = json.loads(tok)
            frame = stack[-1]
            if key in frame[2]:
                frame[1] = key
                return f"{_path(stack)}: key {key!r} given twice in one object (which value counts would be a guess)"
            frame[2].add(key)
            frame[1] = key
    return None


def _path(stack: list[list[Any]]) -> str:
    parts = [f"[{f[1]}]" if not f[0] else f".{f[1]}" if f[1] is not None else "" for f in stack]
    if len(parts) > 12:
        parts = [*parts[:6], f"…({len(parts) - 12} more levels)…", *parts[-6:]]
    return "".join(parts).lstrip(".") or "(top)"


PAUSE_FROM = 8_000  # materials: fewer build too few tuples for holding the collector off to pay


@contextmanager
def collector_paused(materials: int | None = None) -> Iterator[None]:
    """Python's cycle collector held off while a BOM's hundreds of thousands of tuples are built
    (for `materials` rows, if PAUSE_FROM or more; always if not said).

    Each collection re-scans every object still alive, and a 200,000-material BOM keeps them all:
    reading it and listing its materials took twice as long with the collector running. Nothing
    built here can form a cycle (tuples of texts, numbers and other such tuples); the collector
    runs again as soon as the block ends."""
    if not gc.isenabled() or (materials is not None and materials < PAUSE_FROM):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def loads(text: str | bytes, source: str = "<bom>") -> Bom:
    """A BOM from JSON text (or its UTF-8 bytes): decoded and validated in one pass in C where
    the text is in the canonical form (most are), else read in full, naming every problem with
    its JSON path."""
    with collector_paused(len(text) // _TEXT_PER_MATERIAL):
        return _loads(text, source)


_TEXT_PER_MATERIAL = 125  # characters a material takes in a BOM file, about: the count before reading it


def _loads(text: str | bytes, source: str) -> Bom:
    data = text.encode("utf-8") if isinstance(text, str) else text
    # surrounding whitespace is not content: a BOM file and the same BOM as a JSON line agree
    digest = hashlib.sha256(data.strip()).hexdigest()
    fast = _canonical(data, source, digest)
    if fast is not None:
        return fast
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BomError(Problem(f"cannot read: not UTF-8 ({e.reason} at byte {e.start})", source, "BOM000")) from None
    return from_dict(decode(text, source), source, digest=digest)


def load_bom(path: str | Path) -> Bom:
    """Read a BOM file (JSON). Raise BomError with every problem and its JSON path."""
    p = Path(path)
    try:
        text = p.read_bytes()  # decoded by msgspec directly; the full reading checks UTF-8
    except FileNotFoundError:
        raise BomError(Problem("no such file", str(path), "BOM000")) from None
    except (OSError, UnicodeDecodeError) as e:
        raise BomError(Problem(f"cannot read: {e}", str(path), "BOM000")) from None
    return loads(text, str(path))


# ---------------------------------------------------------------- the canonical form, read in C
# msgspec decodes the common BOM in one pass at about the speed of json.loads; the fields are
# then checked a column at a time (one regular expression over all values, all codes, all
# origins), so the Python work per material is one tuple. Canonical means: codes as digits,
# countries as two capitals, numbers as plain decimal text within the limits (numbers.py), no
# comments, no intermediates or roles. Anything else, and anything msgspec refuses, goes to the
# full reading above, which gives the same BOM or every problem by path (tests/test_bom.py
# checks that both readings agree).

_UNSET: Any = msgspec.UNSET
# every pair of capitals, and "unknown": the origins and countries a BOM may name (checked once
# per distinct value after decoding; a msgspec Literal of 677 values costs 8 ms at every start)
_COUNTRIES = frozenset(a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# each origin read as one shared string object rather than 200,000 copies of "CN"; None if not one
_SHARED_ORIGIN = {o: o for o in (*_COUNTRIES, UNKNOWN_ORIGIN)}.get


class _CMaterial(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    # the defaults are the Material's own; a field written with its default ("description": "")
    # makes the key count below disagree, and the full reading takes the BOM. Amounts are kept
    # as their raw JSON (a text "18000.50" or a number 18000.50), read exactly from that text
    id: str
    value: msgspec.Raw
    origin: str
    hs_code: str | None = None
    description: str = ""
    originating: bool | None = None


class _CProduct(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    hs_code: str
    description: str = _UNSET
    ex_works: msgspec.Raw = _UNSET
    fob: msgspec.Raw = _UNSET
    currency: str = _UNSET
    exporting_country: str = _UNSET
    importing_country: str = _UNSET
    wholly_obtained: bool = _UNSET
    processes: list[str] = _UNSET
    subdivision: str = _UNSET


class _CCosts(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    direct_labour: msgspec.Raw = _UNSET
    direct_overhead: msgspec.Raw = _UNSET
    profit: msgspec.Raw = _UNSET
    other_costs: msgspec.Raw = _UNSET


class _CBom(msgspec.Struct, forbid_unknown_fields=True, rename={"comment": "_comment"}):
    product: _CProduct
    materials: list[_CMaterial]
    costs: _CCosts = _UNSET
    exchange_rates: dict[str, str] = _UNSET
    comment: str = _UNSET  # "_comment": a note for people, not read


_DECODE = msgspec.json.Decoder(_CBom).decode
_C_COLUMNS = tuple(attrgetter(f) for f in ("value", "hs_code", "origin", "description", "originating", "id"))
# the fields a plain material leaves at their defaults: wholly_obtained False, the rest None
_MATERIAL_DEFAULTS = (repeat(False), *(repeat(None) for _ in Material._fields[7:]))
_SPACED_COLON = ('" :', '"\t:', '"\n:', '"\r:')
# each a column joined by new lines, matched whole. The repetition is possessive (`*+`): a value
# ends at its new line, so there is nothing to go back to, and the engine keeps no place to go
# back to per value (at 200,000 values the plain `*` took 100 MB and five times as long)
_NUMBERS = re.compile(rf"(?:[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?\n)*+")
# amounts as their raw JSON: a plain decimal as a text or as a JSON number (no sign, no exponent)
_N = rf"[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?"
_RAW_NUMBERS = re.compile(rf'(?:(?:"{_N}"|(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)\n)*+'.encode())
_CODES = re.compile(r"(?:(?:[0-9][0-9]){1,5}\n)*+")


def _column(pattern: re.Pattern[str], values: Any) -> bool:
    return not values or pattern.fullmatch("\n".join(values) + "\n") is not None


def _amounts(raws: list[Any]) -> tuple[list[Decimal], int] | None:
    """Raw JSON amounts as exact decimals, and how many were texts (in quotes); None if any is
    not a plain decimal within the limits (the full reading then names it). The column is joined
    once and every step is a C loop over it: this runs for every material."""
    if not raws:
        return [], 0
    joined = b"\n".join(raws)
    if _RAW_NUMBERS.fullmatch(joined + b"\n") is None:
        return None
    texts = joined.count(b'"') // 2
    plain = joined.replace(b'"', b"").decode("ascii")
    if texts != len(raws) and not _NUMBERS.fullmatch(plain + "\n"):  # a JSON number beyond the limits
        return None
    return list(map(Decimal, plain.split("\n"))), texts


def _digits(code: str, low: int) -> str | None:
    """A code as digits, "8714.10" as people write it read as 871410; None if it is not `low` to
    10 digits, an even count, once its dots and spaces are gone (an odd count is the full
    reading's: it repairs a lost leading zero, with a warning)."""
    digits = code if code.isdigit() else normalise(code)
    return digits if digits is not None and not len(digits) % 2 and low <= len(digits) <= 10 else None


def _codes(codes: list[str | None]) -> list[str | None] | None:
    """The materials' codes as digits (`_digits`), each distinct code read once; None if any is not."""
    distinct = set(codes) - {None}
    if not distinct or _column(_CODES, distinct):
        return codes
    read: dict[str | None, str | None] = {None: None}
    for code in distinct:
        digits = _digits(code, 2)  # type: ignore[arg-type]
        if digits is None:
            return None
        read[code] = digits
    return list(map(read.__getitem__, codes))


def _set(struct: Any) -> dict[str, Any]:
    return {f: v for f in struct.__struct_fields__ if (v := getattr(struct, f)) is not _UNSET}


def _canonical(text: bytes, source: str, digest: str) -> Bom | None:
    """The BOM, if the text is in the canonical form; None sends it to the full reading."""
    # msgspec keeps the last of a repeated key. A repeat is caught by counting quotes: with no
    # escaped quote in the text, every `"` opens or closes a key or a text value, so the text
    # has twice as many as the keys and texts decoded only if no key was given twice.
    if len(text) > MAX_TEXT or (b"\\" in text and b'\\"' in text):
        return None
    try:
        raw = _DECODE(text)
    except (msgspec.MsgspecError, RecursionError):
        return None
    p = _set(raw.product)
    if not {p.get("exporting_country"), p.get("importing_country")} - {None} <= _COUNTRIES:
        return None
    raw_costs, raw_rates, comment = raw.costs, raw.exchange_rates, raw.comment
    costs = _set(raw_costs) if raw_costs is not _UNSET else {}
    rates = raw_rates if raw_rates is not _UNSET else {}
    # the columns, then the decoded structures go before anything is built from them: at 200,000
    # materials they hold 65 MB, and the copies of each repeated text go with them
    found = raw.materials
    values, written_codes, origins, descriptions, declared, ids = [list(map(get, found)) for get in _C_COLUMNS]
    del found, raw
    origins = list(map(_SHARED_ORIGIN, origins))
    if None in origins:
        return None  # not a country code: the full reading names it
    shared: dict[Any, Any] = {}  # one string object for each repeated description or code
    one = shared.setdefault
    descriptions = list(map(one, descriptions, descriptions))
    codes = _codes(written_codes)
    product_code = _digits(p["hs_code"], 6)
    del written_codes
    if codes is None or product_code is None:
        return None
    amounts = _amounts(values)  # msgspec.Raw joins as the bytes it holds
    del values
    bases = _amounts([bytes(p[k]) for k in ("ex_works", "fob") if k in p] + [bytes(v) for v in costs.values()])
    if amounts is None or bases is None:
        return None
    numbers, quoted = amounts
    if not _column(_NUMBERS, list(rates.values())):
        return None
    base_values, base_quoted = bases
    base_values.reverse()  # taken off the end below, in the order they were listed
    product_base = {k: base_values.pop() for k in ("ex_works", "fob") if k in p}
    cost_values = {k: base_values.pop() for k in costs}
    # keys and text values: the top-level keys, product fields (all texts but wholly_obtained,
    # and processes, a list of texts), costs (texts), exchange rates (a text key and value);
    # per material id, value and origin (keys and values), description and code where given
    # (key and value), originating where given (its key)
    n = len(ids)
    strings = 2 + (raw_costs is not _UNSET) + (raw_rates is not _UNSET) + 2 * (comment is not _UNSET)
    strings += 2 * len(p) - ("wholly_obtained" in p) + (len(p["processes"]) - 1 if "processes" in p else 0)
    strings += 2 * len(costs) + 2 * len(rates)
    strings -= len(product_base) + len(costs) - base_quoted  # an amount given as a JSON number has no quotes
    strings += 5 * n + quoted + 2 * (n - descriptions.count("")) + 2 * (n - codes.count(None)) + (n - declared.count(None))
    # a 200,000-line BOM repeats a few hundred codes. Every step a C loop: this runs per material
    codes = list(map(one, codes, codes))
    rows = zip(ids, descriptions, codes, numbers, origins, declared, *_MATERIAL_DEFAULTS)
    materials = list(map(tuple.__new__, repeat(Material), rows))  # no Python-level constructor
    if 2 * strings != text.count(b'"') or len(set(map(_ID, materials))) != len(materials):
        return None  # a repeated key, or a repeated id: the full reading names it
    if UNKNOWN_ORIGIN in compress(origins, declared):
        return None  # an error: the full reading says it
    product = Product(
        hs_code=product_code,
        description=p.get("description", ""),
        ex_works=product_base.get("ex_works"),
        fob=product_base.get("fob"),
        currency=p.get("currency"),
        exporting_country=p.get("exporting_country"),
        importing_country=p.get("importing_country"),
        wholly_obtained=p.get("wholly_obtained"),
        processes=tuple(p["processes"]) if "processes" in p else None,
        subdivision=p.get("subdivision"),
    )
    exchange = {k: Decimal(v) for k, v in rates.items()}
    if (product.ex_works is None and product.fob is None) or 0 in (product.ex_works, product.fob) or 0 in exchange.values():
        return None  # a value basis is needed, and none may be zero: the full reading says so
    return Bom(product, tuple(materials), cost_values, source, exchange, (), digest)
