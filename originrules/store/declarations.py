"""The register of supplier declarations: import a file (all rows or none), list, expiring,
revoke; and the status of a BOM's materials on a decision date."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from originrules.bom import UNKNOWN_ORIGIN, Bom, Material
from originrules.errors import Problem, UnknownAgreement
from originrules.hs import normalise
from originrules.safetext import unsafe_character
from originrules.store.db import StoreError, insert_many
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

    def status_on(self, day: dt.date) -> str:
        """'valid', 'expired', 'revoked' or 'not yet valid' on that day: what a listing marks."""
        if self.revoked_on is not None and self.revoked_on <= day:
            return "revoked"
        if day > self.valid_to:
            return "expired"
        return "not yet valid" if day < self.valid_from else "valid"


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

CHUNK = 900  # rows written per statement (and references per IN list: within SQLite's 999 variables)
MAX_PROBLEMS = 200  # problems listed; the rest are counted


def import_file(conn: sa.Connection, path: str | Path, now: dt.datetime) -> dict[str, int]:
    """Read a declarations file (CSV or XLSX) row by row and write it in the caller's
    transaction: every row is checked; if any is bad, or two declarations for one supplier and
    part disagree on a day both are valid, StoreError names them all and the caller's rollback
    leaves the register as it was. Memory stays flat: rows are read, checked and written a chunk
    at a time (a register of 1,000,000 declarations: benchmarks/bench_store.py)."""
    from originrules.registry import find

    source = str(path)
    problems: list[Problem] = []
    seen: dict[str, int] = {}  # reference -> row: a reference given twice in one file
    agreements: dict[str, str] = {}
    counts = {"imported": 0, "updated": 0, "unchanged": 0}
    more = 0

    def bad(n: int, column: str, message: str) -> None:
        nonlocal more
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(f"row {n}, column {column}: {message}", source, "DEC001"))
        else:
            more += 1

    if conn.dialect.name == "sqlite":
        # a larger page cache for this connection's import: the indexes of a big register are
        # written in no particular order, and SQLite's default 2 MB cache re-reads their pages
        conn.exec_driver_sql("PRAGMA cache_size = -40000")
    fresh = conn.execute(sa.select(declarations.c.reference).limit(1)).first() is None  # nothing to update: no lookups
    chunk: list[Declaration] = []
    for n, cells in _table(path):
        d = _declaration(n, cells, bad, seen, agreements, find)
        if d is not None and not (problems or more):  # once a row is bad, nothing more is written: the rest is only checked
            chunk.append(d)
            if len(chunk) >= CHUNK:
                _write_chunk(conn, chunk, source, now, counts, fresh)
                chunk = []
    if chunk and not (problems or more):
        _write_chunk(conn, chunk, source, now, counts, fresh)
    if not (problems or more):
        problems.extend(_conflicts(conn, now, source))
    if more:
        problems.append(Problem(f"and {more} more problems", source, "DEC001"))
    if problems:
        raise StoreError(problems)
    return counts


def _declaration(n: int, cells: dict[str, str], bad: Any, seen: dict[str, int], agreements: dict[str, str], find: Any) -> Declaration | None:
    """One row as a Declaration, or None with its problems said through `bad`."""
    missing = [c for c in COLUMNS if not cells.get(c)]
    for c in missing:
        bad(n, c, "is empty")
    if missing:
        return None
    ok = True
    if unsafe_character("".join(cells.values())):  # a supplier's name is shown on terminals and pages: no controls in it
        for c in COLUMNS:
            u = unsafe_character(cells[c])
            if u:
                bad(n, c, f"contains {u}: control and invisible formatting characters are refused")
                ok = False
    hs = normalise(cells["hs_code"])
    if hs is None or len(hs) not in (2, 4, 6, 8, 10):
        bad(n, "hs_code", f"{cells['hs_code']!r} is not an HS code (2 to 10 digits)")
        ok = False
    origin = cells["origin"].strip().upper()
    if len(origin) != 2 or not origin.isalpha() or not origin.isascii():
        bad(n, "origin", f"{cells['origin']!r} is not an ISO 3166 alpha-2 country code")
        ok = False
    originating = _BOOL.get(cells["originating"].strip().lower())
    if originating is None:
        bad(n, "originating", f"{cells['originating']!r}: expected true or false")
        ok = False
    name = cells["agreement"]
    agreement = agreements.get(name)
    if agreement is None:
        try:
            agreement = agreements[name] = find(name).agreement.code
        except UnknownAgreement:
            bad(n, "agreement", f"{name!r} is not a shipped agreement")
            ok = False
    dates = {}
    for c in ("valid_from", "valid_to"):
        try:
            dates[c] = dt.date.fromisoformat(cells[c].strip())
        except ValueError:
            bad(n, c, f"{cells[c]!r} is not a date (YYYY-MM-DD)")
            ok = False
    if len(dates) == 2 and dates["valid_from"] > dates["valid_to"]:
        bad(n, "valid_to", f"{dates['valid_to']} is before valid_from {dates['valid_from']}")
        ok = False
    ref = cells["reference"].strip()
    if ref in seen:
        bad(n, "reference", f"{ref!r} is given twice in this file (also row {seen[ref]})")
        ok = False
    seen[ref] = n
    if not ok:
        return None
    return Declaration(ref, cells["supplier"], cells["part_number"], hs or "", origin, bool(originating), agreement or "", dates["valid_from"], dates["valid_to"])


def _table(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV or XLSX file, one at a time, as {column: text}, with their row numbers."""
    source = str(path)
    try:
        if source.lower().endswith((".xlsx", ".xlsm")):
            yield from _cells(_xlsx_rows(path), source)
        else:
            with open(path, encoding="utf-8-sig", newline="") as f:
                yield from _cells(csv.reader(f), source)
    except FileNotFoundError:
        raise StoreError(Problem("no such file", source, "DEC001")) from None
    except IsADirectoryError:
        raise StoreError(Problem("is a folder, not a file", source, "DEC001")) from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise StoreError(Problem(f"cannot read: {_reason(e, source)}", source, "DEC001", "a declarations file is CSV (UTF-8) or Excel (.xlsx)")) from None
    except ImportError:
        raise StoreError(Problem("reading Excel files needs openpyxl: pip install 'originrules[excel]'", source, "DEC001")) from None


def _cells(raw: Iterable[list[str]], source: str) -> Iterator[tuple[int, dict[str, str]]]:
    names = None
    for n, row in enumerate(raw, start=1):
        if names is None:
            names = _header(row, source)
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names) if name}
        if any(cells.values()):
            yield n, cells
    if names is None:
        raise StoreError(Problem("the file is empty; expected a header row", source, "DEC001"))


def _reason(e: BaseException, source: str) -> str:
    """Why a file cannot be read, without the library's own wording of paths (an upload's
    temporary path is the server's business, not the user's)."""
    if isinstance(e, zipfile.BadZipFile):
        return "not an Excel workbook (.xlsx is a zip archive; this file is not one)"
    if isinstance(e, UnicodeDecodeError):
        return f"not UTF-8 text (byte {e.start})"
    return str(e).replace(source, "the file")[:200]


def _xlsx_rows(path: str | Path) -> Iterator[list[str]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for row in book.active.iter_rows(values_only=True):
            yield ["" if v is None else (v.isoformat()[:10] if isinstance(v, (dt.date, dt.datetime)) else str(v)) for v in row]
    finally:
        book.close()


def _header(row: list[str], source: str) -> list[str]:
    names = [h.strip().lower() for h in row]
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [c for c in COLUMNS if c not in names]
    if unknown or missing:
        what = "; ".join(x for x in (f"unknown column(s) {', '.join(unknown)}" if unknown else "", f"missing column(s) {', '.join(missing)}" if missing else "") if x)
        raise StoreError(Problem(f"header: {what}", source, "DEC001", f"columns: {', '.join(COLUMNS)}"))
    return names


# ---------------------------------------------------------------- the register


_ROW_COLUMNS = (*Declaration._fields, "updated_at", "source")
_HISTORY_COLUMNS = ("reference", "change", "at", "data")


def _write_chunk(conn: sa.Connection, rows: list[Declaration], source: str, now: dt.datetime, counts: dict[str, int], fresh: bool) -> None:
    """Insert new references, update changed ones (their history kept): one chunk of a file.
    In a register that was empty, every reference is new (the file's own repeats are refused)."""
    existing = {} if fresh else {r.reference: _row(r) for r in conn.execute(sa.select(*_COLUMNS).where(declarations.c.reference.in_([d.reference for d in rows])))}
    new, history = [], []
    for d in rows:
        old = existing.get(d.reference)
        if old == d:
            counts["unchanged"] += 1
            continue
        if old is None:
            new.append((*d, now, source))
            change = "imported"
        else:
            conn.execute(declarations.update().where(declarations.c.reference == d.reference).values(**d._asdict(), updated_at=now, source=source))
            change = "updated"
        counts[change] += 1
        history.append((d.reference, change, now, _json(d)))
    insert_many(conn, declarations, _ROW_COLUMNS, new)
    insert_many(conn, declaration_history, _HISTORY_COLUMNS, history)


_text = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _json(d: Declaration) -> str:
    """json.dumps(d.to_dict(), sort_keys=True), written out: a million of them in an import."""
    revoked = "null" if d.revoked_on is None else f'"{d.revoked_on.isoformat()}"'
    return (
        f'{{"agreement": {_text(d.agreement)}, "hs_code": {_text(d.hs_code)}, "origin": {_text(d.origin)}, '
        f'"originating": {"true" if d.originating else "false"}, "part_number": {_text(d.part_number)}, "reference": {_text(d.reference)}, '
        f'"revoked_on": {revoked}, "supplier": {_text(d.supplier)}, "valid_from": "{d.valid_from.isoformat()}", "valid_to": "{d.valid_to.isoformat()}"}}'
    )


def _conflicts(conn: sa.Connection, now: dt.datetime, source: str) -> list[Problem]:
    """Declarations of this import that disagree with another for the same supplier, part and
    agreement on a day both are valid (one originating, one not): refused, both named. Text
    order of their references never settles which one counts."""
    a, b = declarations.alias("a"), declarations.alias("b")
    q = sa.select(a.c.reference, a.c.originating, b.c.reference.label("other"), a.c.supplier, a.c.part_number, a.c.agreement,
                  sa.func.max(a.c.valid_from, b.c.valid_from) if conn.dialect.name == "sqlite" else sa.func.greatest(a.c.valid_from, b.c.valid_from),
                  sa.func.min(a.c.valid_to, b.c.valid_to) if conn.dialect.name == "sqlite" else sa.func.least(a.c.valid_to, b.c.valid_to)).join(
        b, sa.and_(b.c.part_number == a.c.part_number, b.c.supplier == a.c.supplier, b.c.agreement == a.c.agreement, b.c.reference != a.c.reference,
                   b.c.originating != a.c.originating, a.c.valid_from <= b.c.valid_to, b.c.valid_from <= a.c.valid_to,
                   sa.or_(b.c.revoked_on.is_(None), b.c.revoked_on > a.c.valid_from), sa.or_(a.c.revoked_on.is_(None), a.c.revoked_on > b.c.valid_from)),
    ).where(a.c.updated_at == now, sa.or_(b.c.updated_at != now, a.c.reference < b.c.reference)).order_by(a.c.reference, b.c.reference).limit(MAX_PROBLEMS)
    out = []
    for r in conn.execute(q):
        yes, no = (r.reference, r.other) if r.originating else (r.other, r.reference)
        out.append(Problem(
            f"declarations {yes} (originating) and {no} (non-originating) of {r.supplier}, part {r.part_number} under {r.agreement} "
            f"disagree from {_day(r[6])} to {_day(r[7])}", source, "DEC003",
            "correct or revoke one of them (originrules declarations revoke REF --date D): the register keeps one answer for each day",
        ))
    return out


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def listing(conn: sa.Connection) -> list[Declaration]:
    return [_row(r) for r in conn.execute(sa.select(*_COLUMNS).order_by(declarations.c.supplier, declarations.c.part_number, declarations.c.reference))]


def expiring(conn: sa.Connection, day: dt.date, within: int) -> list[Declaration]:
    """Declarations in force on `day` that end within `within` days of it."""
    end = day + dt.timedelta(days=min(within, (dt.date.max - day).days))  # 9999-12-31 plus a day is no date
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
    conn.execute(declaration_history.insert().values(reference=reference, change="revoked", at=now, data=_json(d)))
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
    register: dict[str, tuple[bool, str]] = {}
    materials: list[Material] = []
    new = tuple.__new__
    for m in bom.materials:
        if m.id not in asked:
            materials.append(m)
            continue
        options = found.get((m.supplier, m.part_number), ())  # type: ignore[arg-type]
        valid = [o for o in options if o.agreement == agreement and o.valid_on(day)]
        d = None  # of those valid that day, the one that runs longest (they agree: see below)
        for o in valid:
            if d is None or (o.valid_to, o.valid_from) > (d.valid_to, d.valid_from):
                d = o
        if d is not None and len({o.originating for o in valid}) > 1:
            # two valid declarations disagree (a register filled before imports refused that):
            # the material is taken as non-originating, the preference's burden of proof
            d = min((o for o in valid if not o.originating), key=lambda o: o.reference)
            notes.append(f"material {m.id}: declarations {', '.join(sorted(o.reference for o in valid))} disagree on {_iso(day)}: the non-originating one ({d.reference}) is taken")
        if d is not None:
            used.append(d.reference)
            origin = d.origin if d.originating or m.origin == UNKNOWN_ORIGIN else m.origin
            materials.append(new(Material, m[:4] + (origin, d.originating) + m[6:]))  # type: ignore[arg-type]  # m with origin and originating set
            said = f"declaration {d.reference} ({d.supplier}, part {d.part_number}), valid {_iso(d.valid_from)} to {_iso(d.valid_to)}"
            register[m.id] = (True, f"declared {'originating in ' + d.origin if d.originating else 'non-originating'} by {said}")
            continue
        materials.append(new(Material, m[:5] + (False,) + m[6:]))  # type: ignore[arg-type]
        why = _why_none(m, options, agreement, day, conn is None)
        register[m.id] = (False, f"no valid declaration: {why}")  # not "declared non-originating": nobody declared that
        notes.append(f"material {m.id}: counted as non-originating: {why}")
    # a valid declaration used is no warning (the report shows it in the material's status); a
    # declaration expired, revoked, for another agreement or missing is
    changed = attrs.evolve(bom, materials=tuple(materials), warnings=bom.warnings + tuple(notes), digest=None, register={**bom.register, **register})
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
