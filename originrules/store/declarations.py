"""The register of supplier declarations: import a file (all rows or none), list, expiring,
revoke; and the status of a BOM's materials on a decision date."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from originrules.bom import UNKNOWN_ORIGIN, Bom, Material
from originrules.errors import Problem, UnknownAgreement
from originrules.hs import normalise
from originrules.store.db import StoreError
from originrules.store.schema import declaration_history, declarations

COLUMNS = ("supplier", "part_number", "hs_code", "origin", "originating", "agreement", "valid_from", "valid_to", "reference")
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


class Declaration(NamedTuple):
    """A supplier's declaration of origin (a named tuple: a register holds hundreds of thousands)."""

    reference: str
    supplier: str
    part_number: str
    hs_code: str
    origin: str
    originating: bool
    agreement: str
    valid_from: dt.date
    valid_to: dt.date
    revoked_on: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self._asdict()
        for k in ("valid_from", "valid_to", "revoked_on"):
            d[k] = d[k].isoformat() if d[k] else None
        return d

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to and (self.revoked_on is None or day < self.revoked_on)


_COLUMNS = [declarations.c[f] for f in Declaration._fields]  # a Declaration's fields, in its order


# built once: an expanding parameter, so a list of 200 parts is not coerced anew on every call
_BY_PART = sa.select(*_COLUMNS).where(declarations.c.part_number.in_(sa.bindparam("parts", expanding=True)))
# PostgreSQL: the parts as one array parameter, so the statement's text is the same for every
# BOM and psycopg prepares it once (an IN list of 200 is compiled and parsed anew each time)
_BY_PART_ARRAY = sa.select(*_COLUMNS).where(declarations.c.part_number == sa.any_(sa.bindparam("parts", type_=ARRAY(sa.String))))


def _row(r: Any) -> Declaration:
    """A row of SELECT _COLUMNS as a Declaration (by position: a Row's attribute lookup is slow)."""
    return tuple.__new__(Declaration, r)  # type: ignore[return-value]


# ---------------------------------------------------------------- reading a file


def read_file(path: str | Path) -> list[Declaration]:
    """Every row of a declarations file (CSV or XLSX), or every problem, by row and column."""
    from originrules.registry import find

    source = str(path)
    rows = _table(path)
    problems: list[Problem] = []
    out: list[Declaration] = []
    seen: dict[str, int] = {}

    def bad(n: int, column: str, message: str) -> None:
        problems.append(Problem(f"row {n}, column {column}: {message}", source, "DEC001"))

    for n, cells in rows:
        before = len(problems)
        for c in COLUMNS:
            if not cells.get(c):
                bad(n, c, "is empty")
        if len(problems) > before:
            continue
        hs = normalise(cells["hs_code"])
        if hs is None or len(hs) not in (2, 4, 6, 8, 10):
            bad(n, "hs_code", f"{cells['hs_code']!r} is not an HS code (2 to 10 digits)")
        origin = cells["origin"].strip().upper()
        if len(origin) != 2 or not origin.isalpha() or not origin.isascii():
            bad(n, "origin", f"{cells['origin']!r} is not an ISO 3166 alpha-2 country code")
        originating = _BOOL.get(cells["originating"].strip().lower())
        if originating is None:
            bad(n, "originating", f"{cells['originating']!r}: expected true or false")
        try:
            agreement = find(cells["agreement"]).agreement.code
        except UnknownAgreement:
            agreement = ""
            bad(n, "agreement", f"{cells['agreement']!r} is not a shipped agreement")
        dates = {}
        for c in ("valid_from", "valid_to"):
            try:
                dates[c] = dt.date.fromisoformat(cells[c].strip())
            except ValueError:
                bad(n, c, f"{cells[c]!r} is not a date (YYYY-MM-DD)")
        if len(dates) == 2 and dates["valid_from"] > dates["valid_to"]:
            bad(n, "valid_to", f"{dates['valid_to']} is before valid_from {dates['valid_from']}")
        ref = cells["reference"].strip()
        if ref in seen:
            bad(n, "reference", f"{ref!r} is given twice in this file (also row {seen[ref]})")
        seen[ref] = n
        if len(problems) == before:
            out.append(Declaration(ref, cells["supplier"], cells["part_number"], hs or "", origin, bool(originating), agreement, dates["valid_from"], dates["valid_to"]))
    if problems:
        raise StoreError(problems)
    return out


def _table(path: str | Path) -> list[tuple[int, dict[str, str]]]:
    source = str(path)
    try:
        if str(path).lower().endswith((".xlsx", ".xlsm")):
            import openpyxl

            sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).active
            raw = [["" if v is None else (v.isoformat()[:10] if isinstance(v, (dt.date, dt.datetime)) else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
        else:
            with open(path, encoding="utf-8-sig", newline="") as f:
                raw = list(csv.reader(f))
    except FileNotFoundError:
        raise StoreError(Problem("no such file", source, "DEC001")) from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as e:
        raise StoreError(Problem(f"cannot read: {e}", source, "DEC001")) from None
    except ImportError:
        raise StoreError(Problem("reading Excel files needs openpyxl: pip install 'originrules[excel]'", source, "DEC001")) from None
    if not raw:
        raise StoreError(Problem("the file is empty; expected a header row", source, "DEC001"))
    names = [h.strip().lower() for h in raw[0]]
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [c for c in COLUMNS if c not in names]
    if unknown or missing:
        what = "; ".join(x for x in (f"unknown column(s) {', '.join(unknown)}" if unknown else "", f"missing column(s) {', '.join(missing)}" if missing else "") if x)
        raise StoreError(Problem(f"header: {what}", source, "DEC001", f"columns: {', '.join(COLUMNS)}"))
    out = []
    for n, row in enumerate(raw[1:], start=2):
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names) if name}
        if any(cells.values()):
            out.append((n, cells))
    return out


# ---------------------------------------------------------------- the register


def import_rows(conn: sa.Connection, rows: list[Declaration], source: str, now: dt.datetime) -> dict[str, int]:
    """Insert new references, update changed ones (their history kept); in the caller's transaction."""
    counts = {"imported": 0, "updated": 0, "unchanged": 0}
    existing = {r.reference: _row(r) for r in conn.execute(sa.select(*_COLUMNS).where(declarations.c.reference.in_([d.reference for d in rows])))} if rows else {}
    for d in rows:
        values = {**d._asdict(), "updated_at": now, "source": source}
        old = existing.get(d.reference)
        if old is None:
            conn.execute(declarations.insert().values(**values))
            change = "imported"
        elif old == d:
            counts["unchanged"] += 1
            continue
        else:
            conn.execute(declarations.update().where(declarations.c.reference == d.reference).values(**values))
            change = "updated"
        counts[change] += 1
        conn.execute(declaration_history.insert().values(reference=d.reference, change=change, at=now, data=json.dumps(d.to_dict(), sort_keys=True)))
    return counts


def listing(conn: sa.Connection) -> list[Declaration]:
    return [_row(r) for r in conn.execute(sa.select(*_COLUMNS).order_by(declarations.c.supplier, declarations.c.part_number, declarations.c.reference))]


def expiring(conn: sa.Connection, day: dt.date, within: int) -> list[Declaration]:
    """Declarations in force on `day` that end within `within` days of it."""
    end = day + dt.timedelta(days=within)
    q = sa.select(*_COLUMNS).where(
        declarations.c.valid_to >= day, declarations.c.valid_to <= end, declarations.c.valid_from <= day, declarations.c.revoked_on.is_(None)
    ).order_by(declarations.c.valid_to, declarations.c.reference)
    return [_row(r) for r in conn.execute(q)]


def revoke(conn: sa.Connection, reference: str, day: dt.date, now: dt.datetime) -> Declaration:
    found = conn.execute(sa.select(*_COLUMNS).where(declarations.c.reference == reference)).first()
    if found is None:
        raise StoreError(Problem(f"no declaration with reference {reference!r}", code="DEC002"))
    conn.execute(declarations.update().where(declarations.c.reference == reference).values(revoked_on=day, updated_at=now))
    d = _row(found)._replace(revoked_on=day)
    conn.execute(declaration_history.insert().values(reference=reference, change="revoked", at=now, data=json.dumps(d.to_dict(), sort_keys=True)))
    return d


# ---------------------------------------------------------------- a BOM's materials on a date


@attrs.frozen
class Resolved:
    bom: Bom  # materials' originating (and origin) as the register says on the date
    notes: tuple[str, ...]  # per material: the declaration used, or why none applies
    used: tuple[str, ...]  # the references of the declarations used


def needs_register(bom: Bom) -> bool:
    return bom.suppliers and any(m.supplier and m.part_number and m.declaration != "bom" for m in bom.materials)


def resolve(conn: sa.Connection | None, bom: Bom, agreement: str, day: dt.date) -> Resolved:
    """Each material that names a supplier and part number takes its status from the declaration
    valid on `day` for this agreement: valid -> as declared; expired, revoked, not yet valid,
    for another agreement, or missing -> non-originating, with the reason."""
    wanted = [m for m in bom.materials if m.supplier and m.part_number and m.declaration != "bom"]
    asked = {m.id for m in wanted}
    if not wanted:
        return Resolved(bom, (), ())
    found: dict[tuple[str, str], list[Declaration]] = {}
    if conn is not None:
        keys = {(m.supplier, m.part_number) for m in wanted}
        # one probe of the part-number index per part (a pair of IN lists, or a list of row
        # values, makes SQLite try every supplier with every part); other suppliers' rows for
        # the same part numbers are dropped here
        by_part = _BY_PART_ARRAY if conn.dialect.name == "postgresql" else _BY_PART
        for r in conn.execute(by_part, {"parts": sorted({p for _, p in keys})}).all():  # all at once: a row at a time costs 2 µs more each
            d = _row(r)
            if (d.supplier, d.part_number) in keys:
                found.setdefault((d.supplier, d.part_number), []).append(d)
    notes: list[str] = []
    used: list[str] = []
    materials: list[Material] = []
    new = tuple.__new__
    for m in bom.materials:
        if m.id not in asked:
            materials.append(m)
            continue
        options = found.get((m.supplier, m.part_number), ())  # type: ignore[arg-type]
        d = None  # of those valid that day, the one that runs longest
        for o in options:
            if o.agreement == agreement and o.valid_on(day) and (d is None or (o.valid_to, o.reference) > (d.valid_to, d.reference)):
                d = o
        if d is not None:
            used.append(d.reference)
            origin = d.origin if d.originating or m.origin == UNKNOWN_ORIGIN else m.origin
            materials.append(new(Material, m[:4] + (origin, d.originating) + m[6:]))  # type: ignore[arg-type]  # m with origin and originating set
            notes.append(
                f"material {m.id}: declaration {d.reference} ({d.supplier}, part {d.part_number}), valid {_iso(d.valid_from)} to {_iso(d.valid_to)}: "
                + (f"originating in {d.origin}" if d.originating else f"non-originating in {d.origin}")
            )
            continue
        materials.append(new(Material, m[:5] + (False,) + m[6:]))  # type: ignore[arg-type]
        notes.append(f"material {m.id}: non-originating: {_why_none(m, options, agreement, day, conn is None)}")
    changed = attrs.evolve(bom, materials=tuple(materials), warnings=bom.warnings + tuple(notes), digest=None)
    return Resolved(changed, tuple(notes), tuple(used))


@functools.lru_cache(maxsize=4096)
def _iso(day: dt.date) -> str:
    """A date as text: a register has few distinct dates, and a BOM's notes repeat them."""
    return day.isoformat()


def _why_none(m: Material, options: Iterable[Declaration], agreement: str, day: dt.date, no_register: bool) -> str:
    if no_register:
        return f"no declaration register (supplier {m.supplier}, part {m.part_number}); import declarations with `originrules declarations import FILE`"
    mine = [d for d in options if d.agreement == agreement]
    if not mine:
        others = sorted({d.agreement for d in options})
        if others:
            return f"the declarations of {m.supplier}, part {m.part_number} are for {', '.join(others)}, not {agreement}"
        return f"no declaration of {m.supplier}, part {m.part_number} is in the register"
    d = max(mine, key=lambda d: d.valid_to)
    if d.revoked_on is not None and d.revoked_on <= day:
        return f"{d.reference} was revoked on {d.revoked_on}"
    if day > d.valid_to:
        return f"{d.reference} expired on {d.valid_to}"
    return f"{d.reference} is valid only from {d.valid_from}"
