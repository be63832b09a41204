"""The checked syntax tree of a ruleset: frozen nodes, each with its source span.

Two stages share this module. The parser yields `Term`s for every test it sees, because
the grammar cannot tell `CTH` from a sub-rule's name; `resolve` turns each `Term` into a
typed node (`Shift`, `ValueTest`, ...) using the agreement header.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TypeVar, Union

import msgspec

from originrules.hs import CodeRange, CodeSet

# `VNM(materials) <= 50%`: non-originating materials at most half of all materials, i.e. "the
# value of all the non-originating materials used does not exceed the value of all the
# originating materials used". Not a value of the product, so never a permitted basis of its own.
MATERIALS = "materials"
# `VNM(net_weight) from 1701 <= 20%`: the non-originating materials' net weight against the product's
NET_WEIGHT = "net_weight"
# a tolerance's share of the net weight of all the basic textile materials used (the PEM notes on
# products of mixed textile materials: "10% or less of the total weight of all the basic textile
# materials used"); the basic textile materials are read as those of chapters 50-55 and heading 5605
TEXTILE_WEIGHT = "textile_weight"
# `VNM(materials_weight) from 2401 <= 30%`: against the weight of all the materials of those codes
MATERIALS_WEIGHT = "materials_weight"
WEIGHT_BASES = (NET_WEIGHT, MATERIALS_WEIGHT)


class Node(msgspec.Struct, frozen=True, gc=False):
    """A node of the tree: frozen, compared and hashed by its fields, printed as `Span(line=1, ...)`.

    msgspec Structs rather than attrs classes: attrs writes and compiles each class's methods when
    the module is imported (about 35 ms for these 31 classes, a tenth of a command-line check);
    a Struct is built in C. The HS code sets (originrules.hs) stay attrs classes. Nodes are not
    tracked by the garbage collector (gc=False): a frozen tree cannot hold a cycle, and reading
    an annex of thousands of nodes then sets off no collections.
    """


N = TypeVar("N", bound=Node)


def replace(node: N, **changes: object) -> N:
    """A copy of `node` with the given fields changed (attrs.evolve for the tree's nodes)."""
    return msgspec.structs.replace(node, **changes)


def process_name(text: str) -> str:
    """Process names match case-insensitively, spaces, hyphens and underscores alike."""
    return re.sub(r"[\s_\-]+", "_", text.strip().lower())


class Span(Node):
    line: int
    column: int
    end_line: int
    end_column: int


class Provenance(Node):
    """Where a legal value comes from: `source "Rule 5"`, and `inferred "why"` if unconfirmed."""

    source: str | None = None
    inferred: bool = False
    note: str | None = None


class Param(Node):
    """One header parameter: its keyword, its value, its provenance and where it is written."""

    keyword: str
    value: object
    provenance: Provenance
    span: Span


# ---------------------------------------------------------------- thresholds


class Threshold(Node):
    """A percentage, possibly arithmetic over a sub-rule's parameters: `p - 5%`.

    `terms` holds (sign, Decimal percent or parameter name) pairs.
    """

    terms: tuple[tuple[int, Decimal | str], ...]

    def params(self) -> set[str]:
        return {t for _, t in self.terms if isinstance(t, str)}

    def bind(self, env: dict[str, Threshold]) -> Threshold:
        out: list[tuple[int, Decimal | str]] = []
        for sign, t in self.terms:
            if isinstance(t, str):
                out.extend((sign * s, v) for s, v in env[t].terms)
            else:
                out.append((sign, t))
        return Threshold(tuple(out))

    def value(self) -> Decimal:
        """The percentage; only valid once every parameter is bound."""
        return sum((sign * t for sign, t in self.terms), Decimal(0))  # type: ignore[operator]

    def __str__(self) -> str:
        parts = []
        for i, (sign, t) in enumerate(self.terms):
            text = t if isinstance(t, str) else f"{t}%"
            parts.append(text if i == 0 and sign > 0 else f"{'+' if sign > 0 else '-'} {text}")
        return " ".join(parts)


# ---------------------------------------------------------------- raw terms (parser output)


class Term(Node):
    name: str
    args: tuple[object, ...] | None  # None: no parentheses; items are str names, Threshold, or Quoted
    scope: CodeSet | None
    comparison: tuple[str, Threshold] | None
    exception: CodeSet | None
    tolerance: CodeSet | None | bool  # False: not written; True: withheld for all; CodeSet: for these
    span: Span
    allowance: Decimal | CodeSet | None = None  # `allowing 20%`, or `allowing 821194, 821195`
    until: dt.date | None = None  # `until 2023-12-31`


class Quoted(Node):
    """A quoted argument, such as a process name with spaces."""

    text: str


# ---------------------------------------------------------------- typed rule expressions


class And(Node):
    items: tuple[Expr, ...]
    span: Span


class Or(Node):
    items: tuple[Expr, ...]
    span: Span


class Shift(Node):
    """CC / CTH / CTSH: every non-originating material changes chapter / heading / subheading."""

    test: str  # "CC", "CTH", "CTSH"
    exception: CodeSet  # materials from these may not be non-originating at all
    tolerance_withheld: CodeSet | bool  # True: no tolerance; CodeSet: none for these materials
    span: Span
    allowance: Decimal | CodeSet | None = None  # failing materials may be used up to this % of the basis, or those of these codes freely


class Manufacture(Node):
    """`manufacture from yarn` / `manufacture except 7106, 7108`: every non-originating material
    is classified in `allowed` (when given) and none in `exception`. No change of classification
    is required. Tolerance applies as to a tariff shift."""

    allowed: CodeSet | None
    exception: CodeSet
    tolerance_withheld: CodeSet | bool
    span: Span
    allowance: Decimal | CodeSet | None = None


class WhollyObtained(Node):
    """WO: the product is wholly obtained; `WO from chapter 24`: every material of those codes is."""

    span: Span
    scope: CodeSet | None = None


class Untranslated(Node):
    """Annex prose no one has written as a rule yet: never met, never failed, always undetermined."""

    prose: str
    span: Span


class Dated(Node):
    """A rule arm in force up to and including `until` (`CTSH until 2023-12-31`); after that day
    it is not met."""

    expr: Expr
    until: dt.date
    span: Span


class ValueTest(Node):
    """`VA(build_down, fob) >= 40%` or `VNM from 10, 11 <= 30%`.

    `method` / `basis` None means any permitted one, the producer's choice. For the MaxNOM
    test (`name == "VNM"`) there is no method: the ratio is VNM / basis.
    """

    name: str
    method: str | None
    basis: str | None
    operator: str
    threshold: Threshold
    scope: CodeSet | None
    span: Span


class Process(Node):
    """A specific process the product must have undergone: `process(chemical_reaction)`."""

    name: str
    span: Span


class Call(Node):
    """Use of a named sub-rule: `standard_qvc` or `va(45%)`."""

    name: str
    args: tuple[Threshold, ...]
    span: Span


Expr = Union[And, Or, Shift, Manufacture, WhollyObtained, ValueTest, Process, Call, Untranslated, Dated, Term]


# ---------------------------------------------------------------- definitions


class Arith(Node):
    """Method arithmetic: op is "+", "-", "*", "/", "name" (a quantity) or "const"."""

    op: str
    args: tuple[Arith, ...] = ()
    name: str | None = None
    constant: Decimal | None = None

    def names(self) -> set[str]:
        if self.op == "name":
            return {self.name}  # type: ignore[arg-type]
        return set().union(*(a.names() for a in self.args)) if self.args else set()

    def __str__(self) -> str:
        if self.op == "name":
            return str(self.name)
        if self.op == "const":
            return str(self.constant)
        left, right = self.args
        left_s, right_s = str(left), str(right)
        # parenthesise only where precedence needs it, so the printed formula reads as written
        if self.op in "*/" and left.op in "+-":
            left_s = f"({left_s})"
        if right.args and (self.op in "-/" or (self.op == "*" and right.op in "+-")):
            right_s = f"({right_s})"
        return f"{left_s} {self.op} {right_s}"


class Method(Node):
    name: str
    formula: Arith
    provenance: Provenance
    span: Span


class DeMinimis(Node):
    """Tolerance for tariff-shift tests: `percent` of the basis.

    `for_chapters` limits it to products of those chapters (per-chapter rates);
    `except_chapters` withholds it from products of those chapters. `within_maxnom`: the
    tolerance may not push VNM past the applied rule's own VNM limit (EFTA TEPA).
    """

    percent: Decimal
    of: str
    for_codes: CodeSet
    except_codes: CodeSet
    within_maxnom: bool
    provenance: Provenance
    span: Span
    below: bool = False  # `below 7%`: "less than 7% by weight", the limit itself not reached
    covers_wo: bool = False  # `covering WO`: it also lets through materials a rule requires to be wholly obtained


class Agreement(Node):
    code: str
    name: str
    aliases: tuple[str, ...]
    parties: tuple[str, ...]
    in_force: dt.date | None
    cumulation: str  # "bilateral", "diagonal", ...
    cumulation_with: tuple[str, ...]  # further countries whose originating materials count
    value_names: tuple[str, ...]
    bases: tuple[str, ...]
    methods: tuple[Method, ...]
    de_minimis: tuple[DeMinimis, ...]
    wo_de_minimis: tuple[Decimal, str] | None  # (percent, of): non-originating value a WO good may hold
    insufficient_operations: tuple[str, ...]
    proofs: tuple[str, ...]
    treatments: dict[str, str]  # material role -> ignored | value_only | originating | normal
    instrument: str | None
    params: tuple[Param, ...]  # every header line, for provenance and inferred counts
    span: Span
    hs_edition: str = "2022"  # the HS edition its codes are written in (hs.EDITIONS)
    expires: dt.date | None = None  # `in_force 2021-01-01 until 2023-06-18`: the last day it applies

    def applies_on(self, day: dt.date) -> bool:
        return (self.in_force is None or self.in_force <= day) and (self.expires is None or day <= self.expires)

    @property
    def zone(self) -> frozenset[str]:
        """Countries whose originating materials count as originating (cumulation zone)."""
        return frozenset(self.parties) | frozenset(self.cumulation_with)

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)


class Key(Node):
    codes: CodeRange
    ex: bool  # "ex 8401": applies to part of the code only


class Rule(Node):
    keys: tuple[Key, ...]  # empty for the general rule
    description: str | None
    subdivision: str | None
    body: Expr
    text: str  # the body exactly as written
    provenance: Provenance
    span: Span
    file: str | None = None  # the file it is written in, when not the ruleset's own (an overlay)
    alternative: Expr | None = None  # `alternative EXPR`: another reading of the annex, decided too
    alternative_text: str | None = None  # that reading as written

    @property
    def is_general(self) -> bool:
        return not self.keys

    @property
    def translated(self) -> bool:
        """False if any part of the rule is annex prose left `untranslated`."""
        stack: list[object] = [self.body]
        while stack:
            e = stack.pop()
            if isinstance(e, Untranslated):
                return False
            if isinstance(e, (And, Or)):
                stack.extend(e.items)
            elif isinstance(e, Dated):
                stack.append(e.expr)
        return True

    @property
    def key_text(self) -> str:
        if not self.keys:
            return "general"
        return ", ".join(("ex " if k.ex else "") + str(k.codes) for k in self.keys)


class LetDef(Node):
    name: str
    params: tuple[str, ...]
    body: Expr
    text: str
    provenance: Provenance
    span: Span


class CodesDef(Node):
    """`codes yarn = 5004-5006, ...`: a named code set."""

    name: str
    codes: CodeSet
    provenance: Provenance
    span: Span


class Ruleset(Node):
    path: str  # as cited: "rulesets/india-uae-cepa.roo"
    agreement: Agreement
    lets: tuple[LetDef, ...]
    rules: tuple[Rule, ...]
    sha256: str
    code_sets: tuple[CodesDef, ...] = ()


# ---------------------------------------------------------------- tariff schedules (docs/tariffs.md)


class Segment(Node):
    """One step of a rate path. kind: immediate | mfn | flat | linear | reduce | category."""

    kind: str
    start: int = 1  # the first agreement year it applies in
    end: int | None = None  # linear and reduce: the year the target is reached
    rate: Decimal | None = None  # flat: the rate; linear: the target
    from_rate: Decimal | None = None  # linear: the starting rate, if not the rate before
    by: Decimal | None = None  # reduce: the share of the starting rate cut
    category: str | None = None


class RatePath(Node):
    segments: tuple[Segment, ...]


class Condition(Node):
    """A product attribute a schedule line depends on: cc > 1500, propulsion in petrol, diesel."""

    attribute: str
    op: str  # ">", ">=", "<", "<=", "in", "is"
    values: tuple[str, ...]  # for in / is; one number for comparisons
    unit: str | None = None  # a currency for cif: cif > 40000 GBP


class QuotaPoint(Node):
    kind: str  # at | rising | from
    amount: Decimal
    year: int


class TariffLine(Node):
    keys: tuple[Key, ...]
    conditions: tuple[Condition, ...]
    description: str | None
    mfn: Decimal | None
    mfn_date: dt.date | None  # the day the MFN base rate is taken as
    excluded: bool
    preferential: RatePath | None
    in_quota: RatePath | None
    out_quota: RatePath | None
    quota_unit: str | None
    quota: tuple[QuotaPoint, ...]
    provenance: Provenance
    span: Span


class Schedule(Node):
    agreement: str
    importers: tuple[str, ...]
    name: str
    exporters: tuple[str, ...]
    years: str  # anniversary | calendar
    categories: dict[str, RatePath]
    instrument: str | None
    params: tuple[Param, ...]
    lines: tuple[TariffLine, ...]
    path: str
    sha256: str
    span: Span
