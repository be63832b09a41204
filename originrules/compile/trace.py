"""What compiled tests read and what the explaining view writes: the evaluation context of one
BOM, and the trace of a decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from originrules.bom import Bom, Material
from originrules.lang import ast
from originrules.numbers import EXACT


class Trace(msgspec.Struct):
    """One node of a decision's explanation: a test, whether it passed, and why. (A msgspec
    Struct, like the syntax tree's nodes: built in C when the module loads.)"""

    test: str
    passed: bool | None
    text: str
    children: list[Trace] = msgspec.field(default_factory=list)
    detail: dict[str, Any] = msgspec.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"test": self.test, "passed": self.passed, "text": self.text}
        out.update(self.detail)
        out["children"] = [c.to_dict() for c in self.children]
        return out

    def missing(self) -> list[str]:
        """What the BOM would have to give for the unknown parts of this trace to be decided."""
        found: list[str] = list(self.detail.get("missing", ()))
        for c in self.children:
            if c.passed is None:
                found.extend(x for x in c.missing() if x not in found)
        return found


class Context:
    """Everything about one BOM that several tests need, computed once."""

    __slots__ = ("_index", "bases", "bom", "code", "maxnom", "non_originating", "on", "quantities", "shift_materials", "tolerance", "tolerances", "wo_tolerance")

    def __init__(
        self,
        bom: Bom,
        non_originating: Sequence[Material],
        vnm: Decimal,
        total: Decimal,
        tolerance: ast.DeMinimis | tuple[ast.DeMinimis, ...] | None,
        bases: tuple[str, ...],
        maxnom: Decimal | None = None,
        shift_materials: Sequence[Material] | None = None,
        wo_tolerance: tuple[Decimal, str] | None = None,
        on: dt.date | None = None,
    ):
        self.bom = bom
        self.on = on or dt.date.today()  # the decision's date: which dated rule arms are in force
        self.wo_tolerance = wo_tolerance  # (percent, basis): what a wholly obtained good may hold
        # the non-originating materials a tariff shift tests: all of them, less roles the
        # agreement counts in value only (accessories, packing, ...)
        self.shift_materials = non_originating if shift_materials is None else shift_materials
        self.maxnom = maxnom  # the applied rule's VNM limit, for tolerance `within VNM`
        self.bases = bases
        self.code = bom.product.hs_code
        self.non_originating = non_originating
        # the de minimis lines for this product, alternatives; `tolerance` is the first
        self.tolerances = tolerance if isinstance(tolerance, tuple) else (() if tolerance is None else (tolerance,))
        self.tolerance = self.tolerances[0] if self.tolerances else None
        self._index: dict[str, int] | None = None
        p = bom.product
        costs = bom.costs
        self.quantities: dict[str, Decimal | None] = {
            "fob": p.fob,
            "ex_works": p.ex_works,
            "transaction_value": p.transaction_value,
            "VNM": vnm,
            "VOM": EXACT.subtract(total, vnm),
            "materials": total,  # the value of all materials: the basis of `VNM(materials)`
            "net_weight": p.net_weight_kg,  # the basis of `VNM(net_weight)`
            "direct_labour": costs.get("direct_labour"),
            "direct_overhead": costs.get("direct_overhead"),
            "profit": costs.get("profit"),
            "other_costs": costs.get("other_costs"),
        }

    def path(self, m: Material, field: str) -> str:
        if self._index is None:
            self._index = {x.id: i for i, x in enumerate(self.bom.materials)}
        return f"materials[{self._index[m.id]}].{field}"
