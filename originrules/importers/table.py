"""A plain annex table (CSV or Excel: HS code | description | rule text), as an officer copies
it from a notification, into an overlay ruleset of the agreement (`extends UAE`). Each rule text
is read by a small grammar of the India agreements' phrasings (table.lark) and cited beside the
rule it became; a text the grammar cannot read is left as a comment and reported."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import zipfile
from pathlib import Path
from typing import Any

import attrs
from lark import Lark, Token, Transformer, Tree
from lark.exceptions import LarkError

from originrules.errors import OriginrulesError, Problem
from originrules.hs import normalise
from originrules.safetext import one_line


@attrs.frozen
class Imported:
    text: str  # the overlay's text
    rows: int
    translated: int
    untranslated: tuple[tuple[int, str], ...]  # (row, the rule text as written)


@functools.lru_cache(maxsize=1)
def _grammar() -> Lark:
    return Lark((Path(__file__).resolve().parent / "table.lark").read_text(encoding="utf-8"), parser="lalr")


class _Write(Transformer):  # type: ignore[type-arg]
    """A phrase's tree as the rule language writes it, the value name as the agreement names it."""

    def __init__(self, value_names: tuple[str, ...]):
        super().__init__()
        self.value_names = value_names

    def shift(self, items: list[Token]) -> str:
        return str(items[0]).upper()

    def wholly_obtained(self, items: list[Token]) -> str:
        return "WO"

    def value(self, items: list[Token]) -> str:
        name, number = str(items[0]).upper(), str(items[-1])
        if name not in self.value_names:  # RVC in a VA agreement: the same regional value content
            name = self.value_names[0]
        return f"{name} >= {number}%"

    def conj(self, items: list[str]) -> str:
        return " and ".join(f"({i})" if " or " in i else i for i in items)

    def disj(self, items: list[str]) -> str:
        return " or ".join(items)


def translate(phrase: str, value_names: tuple[str, ...]) -> str | None:
    """The rule language for one annex phrasing, or None if the grammar cannot read it."""
    try:
        tree = _grammar().parse(phrase.strip())
    except LarkError:
        return None
    out = _Write(value_names).transform(tree)
    return out if isinstance(out, str) else None if isinstance(out, Tree) else str(out)


def import_table(path: str | Path, agreement: str) -> Imported:
    from originrules.registry import find

    crs = find(agreement)
    ag = crs.agreement
    source = Path(path).name
    rows = _rows(path)
    lines = [
        f"# Rules of {ag.code} from {_comment(source)}, imported by `originrules import table` on {dt.date.today()}.",
        "# Each rule's source is the table row and its text as written; check them against the notification.",
        f"extends {ag.code}",
        "",
    ]
    untranslated: list[tuple[int, str]] = []
    problems: list[Problem] = []
    rows_of: dict[str, int] = {}
    for n, code_text, description, phrase in rows:
        code = normalise(code_text)
        if code is None or len(code) not in (2, 4, 6, 8, 10):
            problems.append(Problem(f"row {n}: {one_line(code_text)[:40]!r} is not an HS code (2, 4, 6, 8 or 10 digits)", str(path), "IMP001"))
            continue
        if code in rows_of:  # two rules for one code: which one the overlay means is not ours to pick
            problems.append(Problem(f"row {n}: HS {code} has a rule already (row {rows_of[code]})", str(path), "IMP001", "keep one row per HS code"))
            continue
        rows_of[code] = n
        rule = translate(phrase, ag.value_names)
        if rule is None:
            untranslated.append((n, phrase))
            lines += [f"# row {n}, HS {code}: not translated: {_comment(phrase)}", ""]
            continue
        title = f' "{_quoted(description)}"' if description.strip() else ""
        lines += [f"{code}{title}: {rule}", f'    source "{_quoted(f"{source}, row {n}: {phrase.strip()}")}"', ""]
    if problems:
        raise OriginrulesError(problems)
    translated = len(rows) - len(untranslated)
    return Imported("\n".join(lines).rstrip() + "\n", len(rows), translated, tuple(untranslated))


def _quoted(text: str) -> str:
    return one_line(text.replace('"', "'"))


def _comment(text: str) -> str:
    return one_line(text)  # a newline would end the comment and write a rule of the table's


def _rows(path: str | Path) -> list[tuple[int, str, str, str]]:
    """(row, HS code, description, rule text): the first three columns, a header row skipped."""
    try:
        if str(path).lower().endswith((".xlsx", ".xlsm")):
            import openpyxl

            sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).active
            raw: list[list[Any]] = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        else:
            with open(path, encoding="utf-8-sig", newline="") as f:
                raw = list(csv.reader(f))
    except FileNotFoundError:
        raise OriginrulesError(Problem("no such file", str(path), "IMP001")) from None
    except zipfile.BadZipFile:
        raise OriginrulesError(Problem("cannot read: not an Excel workbook (.xlsx is a zip archive; this file is not one)", str(path), "IMP001")) from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as e:
        raise OriginrulesError(Problem(f"cannot read: {one_line(str(e))[:200]}", str(path), "IMP001")) from None
    out = []
    for n, row in enumerate(raw, start=1):
        cells = [str(c).strip() for c in row] + ["", "", ""]
        if not any(cells[:3]) or (n == 1 and normalise(cells[0]) is None):
            continue  # a blank row, or the header
        out.append((n, cells[0], cells[1], cells[2]))
    return out
