"""HS codes: normalising, levels, and sets of codes (lists and ranges)."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path

import msgspec

#: the tariff-shift tests and the number of digits each compares
LEVELS = {"CC": 2, "CTH": 4, "CTSH": 6}
LEVEL_WORDS = {2: "chapter", 4: "heading", 6: "subheading", 8: "tariff line", 10: "tariff line"}

_SEPARATORS = re.compile(r"[\s.]")

#: the HS editions whose code lists ship in originrules/data (public domain, tools/hs_lists.py)
EDITIONS = ("2017", "2022")
DEFAULT_EDITION = "2022"


def normalise(code: str) -> str | None:
    """'8711.20' -> '871120'; None if what is left is not all digits."""
    digits = _SEPARATORS.sub("", code)
    return digits if digits.isdigit() else None


class CodeRange(msgspec.Struct, frozen=True, gc=False):
    """A chapter, heading or subheading, or a range of them at one level (`8701-8705`)."""

    low: str
    high: str

    @property
    def digits(self) -> int:
        return len(self.low)

    def contains(self, code: str) -> bool:
        """Does this range cover `code` (a code of at least this range's length)?"""
        prefix = code[: len(self.low)]
        return len(prefix) == len(self.low) and self.low <= prefix <= self.high

    def overlaps(self, other: CodeRange) -> bool:
        return self.digits == other.digits and self.low <= other.high and other.low <= self.high

    def __str__(self) -> str:
        return self.low if self.low == self.high else f"{self.low}-{self.high}"


class CodeSet(msgspec.Struct, frozen=True, gc=False):
    """A list of codes and ranges, possibly at different levels (`chapter 04, 8407, 8701-8705`).

    Two sets are equal when they hold the same codes under the same qualifier, however written.
    (CodeRange and CodeSet are msgspec Structs, like the syntax tree's nodes: built in C.)"""

    ranges: tuple[CodeRange, ...] = ()
    written: str | None = None  # as written, when it names a `codes` set; not part of equality
    # `codes dairy = 190190 where milk_solids > 10%`: only materials whose attribute compares so
    # `codes clad = 7107, 7109 where unwrought`: only those the BOM says are (`"unwrought": true`)
    qualifier: tuple[str, str, Decimal | None] | None = None

    def admits(self, code: str | None, attributes: tuple[tuple[str, Decimal | bool], ...] | None) -> bool | None:
        """Is a material of this code (and these attributes) in the set? None: the BOM does not
        give the attribute the qualifier needs (or gives a yes/no where a number is compared, or
        a number where a yes/no is asked)."""
        if code is None or not self.contains(code):
            return None if code is None else False
        if self.qualifier is None:
            return True
        name, op, number = self.qualifier
        value = dict(attributes or ()).get(name)
        if number is None:
            return value if isinstance(value, bool) else None
        if value is None or isinstance(value, bool):
            return None
        return {">": value > number, ">=": value >= number, "<": value < number, "<=": value <= number}[op]

    def contains(self, code: str) -> bool:
        return any(r.contains(code) for r in self.ranges)

    def __eq__(self, other: object) -> bool:
        return type(other) is CodeSet and self.ranges == other.ranges and self.qualifier == other.qualifier

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self.ranges, self.qualifier))

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __str__(self) -> str:
        return self.written or ", ".join(str(r) for r in self.ranges)


@functools.cache
def nomenclature(edition: str) -> frozenset[str]:
    """The chapters, headings and subheadings of an HS edition."""
    path = Path(__file__).resolve().parent / "data" / f"hs-{edition}.txt"
    return frozenset(filter(str.isdigit, path.read_text(encoding="utf-8").split()))  # the comment's words are not digits


def known(code: str, edition: str) -> bool:
    """Is `code` (2 to 10 digits) a code of that edition? National 8- and 10-digit lines are
    checked on their first six digits, which are the HS's own."""
    return code[:6] in nomenclature(edition)
