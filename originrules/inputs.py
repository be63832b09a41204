"""BOMs from CSV and Excel files, and the BOM's JSON Schema.

One table, one row per thing (docs/bom-format.md, "CSV and Excel"):

    type,id,description,hs_code,value,origin,originating,parent,...
    product,,Motorcycle 150 cc,871120,,,,,...          <- product fields and costs
    material,1,Crankcase halves,840991,42,IN,true,,...
    material,1a,Aluminium ingot,760120,20,AE,true,frame  <- `parent`: an intermediate's material
    rate,,,,110.50,,,,EUR                              <- exchange rate: 1 EUR = 110.50 in the BOM currency

A `bom_id` column, if present, holds several BOMs in one file (for `originrules batch`).
Cells are read as text, so numbers stay exact; spreadsheet numbers are read as they display.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from originrules.bom import COST_FIELDS, MATERIAL_FIELDS, MAX_DEPTH, PRODUCT_FIELDS, ROLES, Bom, from_dict
from originrules.errors import BomError, Problem

COLUMNS = ("bom_id", "type", *dict.fromkeys([*MATERIAL_FIELDS, *PRODUCT_FIELDS, *COST_FIELDS, "parent"]))
_BOOL = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_MATERIAL_COLUMNS = [f for f in MATERIAL_FIELDS if f != "materials"]


def input_format(path: str | Path, given: str | None = None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}.get(suffix, "json")


def load(path: str | Path, fmt: str | None = None) -> Bom:
    """Read one BOM from JSON, CSV or XLSX, chosen by extension unless `fmt` says."""
    kind = input_format(path, fmt)
    if kind == "json":
        from originrules.bom import load_bom

        return load_bom(path)
    boms = list(rows_to_boms(read_rows(path, kind), str(path)))
    if len(boms) != 1:
        raise BomError(Problem(f"holds {len(boms)} BOMs (bom_id); check reads one, batch reads many", str(path), "BOM002"))
    result = boms[0]
    if isinstance(result, BomError):
        raise result
    return result


def read_rows(path: str | Path, kind: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for every non-empty row."""
    try:
        if kind == "csv":
            with open(path, encoding="utf-8-sig", newline="") as f:
                return _rows(csv.reader(f), str(path))
        if kind == "xlsx":
            return _rows(_xlsx_rows(path), str(path))
    except FileNotFoundError:
        raise BomError(Problem("no such file", str(path), "BOM000")) from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise BomError(Problem(f"cannot read: {e}", str(path), "BOM000")) from None
    raise BomError(Problem(f"unknown input format {kind!r} (json, csv or xlsx)", str(path), "BOM000"))


def _xlsx_rows(path: str | Path) -> Iterator[list[str]]:
    try:
        import openpyxl
    except ImportError:
        raise BomError(Problem("reading Excel files needs: pip install 'originrules[excel]'", str(path), "BOM000")) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise BomError(Problem(f"not a readable Excel workbook: {e}", str(path), "BOM000")) from None
    for row in book.worksheets[0].iter_rows(values_only=True):
        yield [_cell(v) for v in row]


def _cell(v: Any) -> str:
    """A spreadsheet cell as text. A number is stored as binary floating point; its shortest
    repr is the number as typed (1050.1), which Decimal then keeps exactly."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v).removesuffix(".0")  # float-ok: display text, read as Decimal
    return str(v)


def _rows(reader: Any, source: str) -> list[tuple[int, dict[str, str]]]:
    rows = iter(reader)
    header = next(rows, None)
    if header is None:
        raise BomError(Problem("the file is empty; expected a header row", source, "BOM003"))
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown or "type" not in names:
        raise BomError(Problem(f"header: unknown column(s) {', '.join(unknown)}" if unknown else "header: a 'type' column is needed", source, "BOM003", f"columns: {', '.join(COLUMNS)}"))
    out = []
    for n, row in enumerate(rows, start=2):
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names) if name}
        if any(cells.values()):
            out.append((n, cells))
    return out


def rows_to_boms(rows: list[tuple[int, dict[str, str]]], source: str) -> Iterator[Bom | BomError]:
    """Group rows by bom_id (in order of first appearance) and build each BOM."""
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for n, cells in rows:
        groups.setdefault(cells.get("bom_id", ""), []).append((n, cells))
    for bom_id, group in groups.items():
        name = f"{source} (bom_id {bom_id})" if bom_id else source
        try:
            yield _build(group, name)
        except BomError as e:
            yield e


def _build(group: list[tuple[int, dict[str, str]]], source: str) -> Bom:
    problems = []
    product: dict[str, Any] = {}
    costs: dict[str, Any] = {}
    rates: dict[str, Any] = {}
    materials: list[tuple[int, dict[str, Any], str]] = []
    for n, cells in group:
        kind = cells.get("type", "").lower()
        if kind == "product":
            if product:
                problems.append(Problem(f"row {n}: a second product row", source, "BOM003"))
            for f in PRODUCT_FIELDS:
                if cells.get(f):
                    product[f] = [p.strip() for p in cells[f].split(";") if p.strip()] if f == "processes" else _value(cells[f], f)
            costs.update({f: cells[f] for f in COST_FIELDS if cells.get(f)})
        elif kind == "material":
            m = {f: _value(cells[f], f) for f in _MATERIAL_COLUMNS if cells.get(f)}
            m["_row"] = n
            if isinstance(m.get("attributes"), str):
                problems.append(Problem(f"row {n}: attributes: expected name=number pairs separated by ';', each name once (milk_solids=12; fat=3.5), got {cells['attributes'][:60]!r}", source, "BOM003"))
            materials.append((n, m, cells.get("parent", "")))
        elif kind == "rate":
            if not cells.get("currency") or not cells.get("value"):
                problems.append(Problem(f"row {n}: a rate row needs currency and value", source, "BOM003"))
            else:
                rates[cells["currency"]] = cells["value"]
        else:
            problems.append(Problem(f"row {n}: type must be product, material or rate, got {cells.get('type')!r}", source, "BOM003"))
    if problems:
        raise BomError(problems)
    data: dict[str, Any] = {"product": product, "materials": _tree(materials, source)}
    if costs:
        data["costs"] = costs
    if rates:
        data["exchange_rates"] = rates
    try:
        return from_dict(_strip_rows(data), source)
    except BomError as e:
        raise BomError([_with_row(p, data) for p in e.problems]) from None


def _value(text: str, field: str) -> Any:
    if field in ("originating", "wholly_obtained"):
        return _BOOL.get(text.lower(), text)
    if field == "attributes":
        # "milk_solids=12; fat=3.5; worked_slate=true": what a rule may ask of a material, name=number
        # or name=true/false, ";" between
        pairs = [part.partition("=") for part in text.split(";") if part.strip()]
        names = [name.strip() for name, _, _ in pairs]
        if all(sep and name for name, (_, sep, _) in zip(names, pairs)) and len(set(names)) == len(names):
            yes_no = {"true": True, "false": False}  # not "1"/"0": those are numbers here
            return {name: yes_no.get(value.strip().lower(), value.strip()) for name, (_, _, value) in zip(names, pairs)}
        return text  # not name=number pairs, or a name twice: refused with its row in _build
    return text


def _tree(materials: list[tuple[int, dict[str, Any], str]], source: str) -> list[dict[str, Any]]:
    """Nest materials under their `parent` (an intermediate's id); cycles are errors."""
    by_id = {m["id"]: m for _, m, _ in materials if "id" in m}
    parents = {m.get("id"): parent for _, m, parent in materials if parent}
    top = []
    for n, m, parent in materials:
        if not parent:
            top.append(m)
            continue
        seen, walk, depth = {m.get("id")}, parent, 0
        while walk:
            if walk in seen:
                raise BomError(Problem(f"row {n}: material {m.get('id')!r} is its own ancestor (a cycle through parent {parent!r})", source, "BOM004"))
            depth += 1
            if depth > MAX_DEPTH:  # a walk bounded by the limit: a chain of 5,000 is not 5,000² steps
                raise BomError(Problem(f"row {n}: material {m.get('id')!r} is nested more than {MAX_DEPTH} levels of intermediates deep", source, "BOM004"))
            seen.add(walk)
            walk = parents.get(walk, "")
        if parent not in by_id:
            raise BomError(Problem(f"row {n}: parent {parent!r} is not a material id of this BOM", source, "BOM004"))
        by_id[parent].setdefault("materials", []).append(m)
    return top


def _strip_rows(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_rows(v) for k, v in data.items() if k != "_row"}
    if isinstance(data, list):
        return [_strip_rows(x) for x in data]
    return data


def _with_row(p: Problem, data: dict[str, Any]) -> Problem:
    """Name the spreadsheet row next to the JSON path: materials[2].value -> row 5 (materials[2].value)."""
    path = p.message.split(":", 1)[0]
    node: Any = data
    row = None
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            break
        if isinstance(node, dict) and "_row" in node:
            row = node["_row"]
    return Problem(f"row {row} ({p.message})" if row else p.message, p.where, p.code, p.hint, p.excerpt, p.severity)


# ---------------------------------------------------------------- JSON Schema


def bom_schema() -> dict[str, Any]:
    """The JSON Schema of the BOM file, built from the same field tables the loader reads."""
    number = {"type": ["number", "string"], "pattern": r"^\s*[+]?(\d+(\.\d*)?|\.\d+)\s*$", "description": "a non-negative decimal; strings keep it exact"}
    country = {"type": "string", "pattern": "^[A-Za-z]{2}$"}
    types: dict[str, Any] = {
        "hs_code": {"type": "string", "pattern": r"^[0-9 .]+$"},
        "ex_works": number, "fob": number, "value": number, "net_weight_kg": number, "transaction_value": number,
        "attributes": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]{0,127}$"}, "additionalProperties": {"anyOf": [number, {"type": "boolean"}]}},
        "currency": {"type": "string"},
        "exporting_country": country, "importing_country": country,
        "origin": {"type": "string", "pattern": "^([A-Za-z]{2}|unknown)$"},
        "originating": {"type": "boolean"}, "wholly_obtained": {"type": "boolean"},
        "processes": {"type": "array", "items": {"type": "string"}},
        "role": {"enum": list(ROLES)},
        "id": {"type": ["string", "integer"]},
    }

    def props(fields: dict[str, str]) -> dict[str, Any]:
        return {f: {**types.get(f, {"type": "string"}), "description": d} for f, d in fields.items()}

    material: dict[str, Any] = {
        "type": "object",
        "required": ["id", "value", "origin"],
        "properties": {**props(MATERIAL_FIELDS), "materials": {"type": "array", "items": {"$ref": "#/$defs/material"}, "description": MATERIAL_FIELDS["materials"]}},
        "patternProperties": {"^_": {}},
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://originrules.dev/schema/bom.json",
        "title": "originrules bill of materials",
        "type": "object",
        "required": ["product", "materials"],
        "properties": {
            "product": {"type": "object", "required": ["hs_code"], "properties": props(PRODUCT_FIELDS), "patternProperties": {"^_": {}}, "additionalProperties": False},
            "costs": {"type": "object", "properties": {f: number for f in COST_FIELDS}, "additionalProperties": False},
            "exchange_rates": {"type": "object", "additionalProperties": number, "description": "units of the BOM currency for one unit of each other currency"},
            "materials": {"type": "array", "items": {"$ref": "#/$defs/material"}},
        },
        "patternProperties": {"^_": {}},
        "additionalProperties": False,
        "$defs": {"material": material},
    }


__all__ = ["COLUMNS", "bom_rows", "bom_schema", "input_format", "load", "read_rows", "rows_to_boms"]


def bom_rows(bom: Bom) -> list[list[str]]:
    """The BOM as the CSV/Excel table (header first): the inverse of reading one."""
    columns = ["type", "id", "description", "hs_code", "value", "currency", "origin", "originating", "wholly_obtained", "role", "parent",
               "ex_works", "fob", "transaction_value", "net_weight_kg", "attributes", "supplier", "part_number", "declaration",
               "exporting_country", "importing_country", "processes", "subdivision", *COST_FIELDS]
    data = bom.to_dict()
    product = {**data["product"], **data.get("costs", {}), "type": "product"}
    rows = [columns, [_cell_text(product.get(c)) if c in PRODUCT_FIELDS or c in COST_FIELDS or c == "type" else "" for c in columns]]

    def add(materials: list[dict[str, Any]], parent: str) -> None:
        for m in materials:
            cells = {**m, "type": "material", "parent": parent}
            rows.append([_cell_text(cells.get(c)) if c in ("type", "parent", *MATERIAL_FIELDS) else "" for c in columns])
            add(m.get("materials", []), m["id"])

    add(data["materials"], "")
    for currency, rate in data.get("exchange_rates", {}).items():
        rows.append(["rate" if c == "type" else currency if c == "currency" else rate if c == "value" else "" for c in columns])
    return rows


def _cell_text(value: Any) -> str:
    """A field as its cell is read back: booleans as true/false, processes joined by ";",
    attributes as name=number pairs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ";".join(value)
    return str(value)
