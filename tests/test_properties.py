"""Properties every decision must have, whatever the BOM: the order of materials and the
currency they are written in change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import originrules
from originrules.bom import from_dict
from tests.conftest import ruleset

PRODUCTS = ["871120", "870322", "871639", "090111", "110100", "291511"]
MATERIAL_CODES = ["840991", "871410", "871120", "853710", "720839", "390210", "871639", "090121", "100199", "29"]
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@st.composite
def boms(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(min_value=0, max_value=12))
    materials = []
    for i in range(n):
        origin = draw(st.sampled_from(["IN", "AE", "CN", "JP", "unknown"]))
        m: dict[str, Any] = {"id": f"m{i}", "hs_code": draw(st.sampled_from(MATERIAL_CODES)), "value": str(draw(money)), "origin": origin}
        if origin == "IN":  # originating is declared only where every agreement here allows it
            m["originating"] = draw(st.booleans())
        materials.append(m)
    total = sum((Decimal(m["value"]) for m in materials), Decimal(0))
    ex_works = total + draw(money)
    product: dict[str, Any] = {"hs_code": draw(st.sampled_from(PRODUCTS)), "ex_works": str(ex_works), "fob": str(ex_works + draw(money))}
    data: dict[str, Any] = {"product": product, "materials": materials}
    if draw(st.booleans()):
        data["costs"] = {"direct_labour": str(draw(money)), "direct_overhead": str(draw(money))}
    return data


def summary(decision: originrules.Decision) -> Any:
    """What a decision says, independent of material order and currency."""

    def walk(t: Any) -> Any:
        failing = sorted(f["id"] for f in t.detail.get("failing_materials", ()))
        return (t.test, t.passed, t.detail.get("percent"), failing, [walk(c) for c in t.children])

    return (decision.originating, decision.rule and decision.rule.key, decision.trace and walk(decision.trace))


@settings(max_examples=150, deadline=None)
@given(boms(), st.randoms(use_true_random=False))
def test_reordering_materials_changes_nothing(data: dict[str, Any], rnd: Any) -> None:
    shuffled = dict(data, materials=list(data["materials"]))
    rnd.shuffle(shuffled["materials"])
    for agreement in ("UAE", "UK"):
        assert summary(originrules.check(from_dict(data), agreement)) == summary(originrules.check(from_dict(shuffled), agreement))


@settings(max_examples=150, deadline=None)
@given(boms(), st.sampled_from([Decimal("0.012"), Decimal("83.25"), Decimal("1000"), Decimal("1.1")]))
def test_scaling_every_value_by_a_currency_factor_changes_nothing(data: dict[str, Any], factor: Decimal) -> None:
    bom = from_dict(data)
    for agreement in ("UAE", "UK", "EFTA"):
        assert summary(originrules.check(bom, agreement)) == summary(originrules.check(bom.scaled(factor), agreement))


# the allowances, by value and by codes, with an exception and a tolerance withheld, for the products above
ALLOWANCES = ruleset("""
8711: CTH allowing 871410, 871120 or VNM <= 40%
8703: CTSH except 8409 allowing 20%
8716: manufacture except 7208 without tolerance allowing 871639
0901: CC allowing 0901 or CTH allowing 10%
1101: CC except 1001-1008 allowing 100199
2915: CTSH allowing chapter 29
""")


@settings(max_examples=200, deadline=None)
@given(boms(), st.booleans())
def test_the_verdict_only_path_agrees_with_the_explaining_path(data: dict[str, Any], assume: bool) -> None:
    bom = from_dict(data)
    for agreement in ("UAE", "UK", "EFTA", ALLOWANCES):
        explained = originrules.check(bom, agreement, assume_origin=assume, explain=True)
        fast = originrules.check(bom, agreement, assume_origin=assume, explain=False)
        assert (fast.originating, fast.rule) == (explained.originating, explained.rule)
        # the verdict closures and the explanation built over the same law say the same
        if explained.trace is not None:
            assert explained.trace.passed is explained.originating
