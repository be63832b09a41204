"""What each test means, stated once. The verdict closures (verdict.py) and the explaining
view (explain.py) both call these functions, so they cannot drift apart; the explaining view
only adds words and figures. tests/test_properties.py checks the two agree on random BOMs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from originrules.bom import Material
from originrules.compile.trace import Context
from originrules.compile.values import HUNDRED, Formula, Ratio, money, percent_of
from originrules.hs import LEVELS, CodeRange, CodeSet
from originrules.lang import ast
from originrules.numbers import EXACT, exact_sum

# ---------------------------------------------------------------- and / or: three values


def all_of(results: list[bool | None]) -> bool | None:
    """`and`: not met if any part is not met; else unknown if any part is unknown."""
    return False if False in results else (None if None in results else True)


def any_of(results: list[bool | None]) -> bool | None:
    """`or`: met if any part is met (the producer's choice); else unknown if any part is unknown."""
    return True if True in results else (None if None in results else False)


# ---------------------------------------------------------------- tariff shift

SHORT, EXCEPTED, SAME = "short", "excepted", "same"


def shift_failures(ctx: Context, digits: int, exception: CodeSet | None) -> tuple[list[tuple[Material, str]], list[Material]]:
    """The non-originating materials that do not make the shift, each with why (SHORT: its code
    cannot tell the level; EXCEPTED: from an excepted code; SAME: the product's own code at that
    level), and those whose code is not given (they leave the test unknown)."""
    own = ctx.code[:digits]
    failing: list[tuple[Material, str]] = []
    unknown: list[Material] = []
    if exception is None and ctx.bom.shortest >= digits:  # the common case: only SAME can fail
        for m in ctx.shift_materials:
            h = m.hs_code
            if h is None:
                unknown.append(m)
            elif h[:digits] == own:
                failing.append((m, SAME))
        return failing, unknown
    qualified = exception is not None and exception.qualifier is not None
    for m in ctx.shift_materials:
        h = m.hs_code
        if h is None:
            unknown.append(m)
        elif len(h) < digits:
            failing.append((m, SHORT))
        elif exception is not None and (excepted := exception.admits(h, m.attributes) if qualified else exception.contains(h)):
            failing.append((m, EXCEPTED))
        elif qualified and excepted is None:
            unknown.append(m)  # of an excepted code, but the BOM does not give the attribute that decides
        elif h[:digits] == own:
            failing.append((m, SAME))
    return failing, unknown


OUTSIDE = "outside"


def failures_of(node: ast.Shift | ast.Manufacture) -> Callable[[Context], tuple[list[tuple[Material, str]], list[Material]]]:
    """The failing and undecidable materials of a tariff shift or a `manufacture` test."""
    exception = node.exception if node.exception else None
    if isinstance(node, ast.Shift):
        digits = LEVELS[node.test]
        return lambda ctx: shift_failures(ctx, digits, exception)
    allowed = node.allowed
    return lambda ctx: manufacture_failures(ctx, allowed, exception)


def manufacture_failures(ctx: Context, allowed: CodeSet | None, exception: CodeSet | None) -> tuple[list[tuple[Material, str]], list[Material]]:
    """`manufacture from ALLOWED except EXCEPTION`: the non-originating materials classified
    outside ALLOWED (OUTSIDE) or in EXCEPTION (EXCEPTED), and those whose code is not given."""
    failing: list[tuple[Material, str]] = []
    unknown: list[Material] = []
    for m in ctx.shift_materials:
        h = m.hs_code
        if h is None:
            if allowed is not None or exception:
                unknown.append(m)
            continue
        excepted = exception.admits(h, m.attributes) if exception is not None else False
        inside = allowed.admits(h, m.attributes) if allowed is not None else True
        if excepted:
            failing.append((m, EXCEPTED))
        elif inside is False:
            failing.append((m, OUTSIDE))
        elif excepted is None or inside is None:
            unknown.append(m)  # the BOM does not give the attribute a qualified set asks
    return failing, unknown


def allow(ctx: Context, failing: list[tuple[Material, str]], unknown: list[Material], allowance: Decimal | CodeSet) -> tuple[list[tuple[Material, str]], list[Material], dict[str, Any]]:
    """The rule's own allowance ("However, materials of the same heading as the product may be
    used, provided that their total value does not exceed 20% of the ex-works price"): the
    failing materials it speaks of (all but excepted ones) and the undecidable ones pass if their
    total value is within `percent` of some permitted basis. Or, given codes ("However, knife
    blades and handles of base metal may be used"), the failing materials of those codes pass
    whatever their value. Returns what is still failing and still unknown. Like tolerance, it
    never relaxes a value test."""
    if isinstance(allowance, CodeSet):
        return _allow_codes(failing, unknown, allowance)
    percent = allowance
    covered = [m for m, why in failing if why != EXCEPTED] + unknown
    total = exact_sum(m.value for m in covered)
    limits = [(percent_of(v, percent), b) for b in ctx.bases if (v := ctx.quantities.get(b)) is not None]
    best = max(limits, default=None)
    info: dict[str, Any] = {"percent": str(percent), "value": str(total), "applied": False}
    if best is None:
        return failing, unknown, info
    info.update({"limit": str(best[0]), "basis": best[1]})
    if total > best[0]:
        return failing, unknown, info
    info["applied"] = True
    info["absorbed"] = [m.id for m in covered]
    return [(m, why) for m, why in failing if why == EXCEPTED], [], info


def _allow_codes(failing: list[tuple[Material, str]], unknown: list[Material], codes: CodeSet) -> tuple[list[tuple[Material, str]], list[Material], dict[str, Any]]:
    """Failing materials of `codes` pass (an excepted one stays excepted); a material whose code
    or attribute the BOM does not give stays undecided."""
    still, absorbed, undecided = [], [], []
    for m, why in failing:
        admitted = codes.admits(m.hs_code, m.attributes) if why != EXCEPTED else False
        (absorbed if admitted else undecided if admitted is None and m.hs_code is not None else still).append((m, why))
    # of the allowed codes, but the BOM does not give the attribute that decides: neither passes nor fails
    return still, unknown + [m for m, _ in undecided], {"codes": str(codes), "applied": bool(absorbed), "absorbed": [m.id for m, _ in absorbed]}


def tolerate(ctx: Context, failing: list[Material], unknown: list[Material], withheld: CodeSet | bool) -> tuple[bool | None, dict[str, Any]]:
    """De minimis: failing (and undecidable) materials pass if their total value (or weight) is
    within one of the agreement's tolerances for this product, on some permitted basis (the
    producer's choice). It never relaxes a value test: these materials stay in VNM."""
    results = [_tolerate(ctx, dm, failing, unknown, withheld) for dm in (ctx.tolerances or (None,))]
    return next((r for r in results if r[0] is True), None) or next((r for r in results if r[0] is None), results[0])


def _tolerate(ctx: Context, dm: ast.DeMinimis | None, failing: list[Material], unknown: list[Material], withheld: CodeSet | bool) -> tuple[bool | None, dict[str, Any]]:
    """One de minimis line."""
    info: dict[str, Any] = {"applied": False, "absorbed": []}
    if dm is None:
        info["reason"] = "no tolerance for this product"
        return (False if failing else None), info
    blocked = [m for m in failing if withheld is True or (m.hs_code and withheld.contains(m.hs_code))] if withheld else None  # type: ignore[union-attr]
    if blocked:
        info["reason"] = "the rule withholds tolerance from " + ", ".join(m.id for m in blocked)
        return False, info
    candidates = failing + unknown
    if dm.of == TEXTILE_WEIGHT:
        return _tolerate_textiles(ctx, dm, candidates, bool(failing), info)
    if dm.of == NET_WEIGHT:  # by weight (the EU TCA's 15% for chapters 2 and 4-24): their net weight
        missing = [ctx.path(m, "net_weight_kg") for m in candidates if m.net_weight_kg is None]
        if ctx.bom.product.net_weight_kg is None:
            missing.append("product.net_weight_kg")
        if missing:
            info.update({"reason": "a tolerance by weight needs the net weights the BOM does not give", "missing": missing})
            return None, info
        total = exact_sum(m.net_weight_kg for m in candidates)  # type: ignore[misc]
    else:
        total = exact_sum(m.value for m in candidates)
    best = tolerance_limit(ctx, dm)
    info.update({"percent": str(dm.percent), "value": str(total)})
    if best is None:
        if dm.within_maxnom and ctx.maxnom is not None:
            info["reason"] = f"VNM is above the rule's {ctx.maxnom}% limit, which tolerance may not exceed"
        else:
            info["reason"] = "no basis value to take the tolerance of"
        return (False if failing else None), info
    limit, basis = best
    info.update({"basis": basis, "limit": str(limit)})
    fits = total < limit if dm.below else total <= limit  # `below`: "less than 7% by weight"
    info["used"] = str(total) if fits else "0"
    info["left"] = str(EXACT.subtract(limit, total)) if fits else str(limit)
    if fits:
        info["applied"] = True
        info["absorbed"] = [m.id for m in candidates]
        return True, info
    info["reason"] = f"{money(total)} is not below {dm.percent}% of {basis} ({money(limit)})" if dm.below else f"{money(total)} exceeds {dm.percent}% of {basis} ({money(limit)})"
    if failing:
        return False, info
    return None, info


# the basic textile materials of the notes on mixed products: silk, wool, hair, cotton, vegetable
# fibres, man-made filaments and staple fibres (chapters 50-55) and metallised yarn (5605); paper
# and paper-making materials, which the list also names, are not counted
BASIC_TEXTILES = CodeSet((CodeRange("50", "55"), CodeRange("5605", "5605")))


def _tolerate_textiles(ctx: Context, dm: ast.DeMinimis, candidates: list[Material], failing: bool, info: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
    """"The conditions ... are not required to be applied to any basic textile materials ... which,
    taken together, represent 10% or less of the total weight of all the basic textile materials
    used": the failing materials must be basic textile materials, and their weight within that share."""
    others = [m.id for m in candidates if not (m.hs_code and BASIC_TEXTILES.contains(m.hs_code))]
    if others:
        info["reason"] = "the tolerance for mixed textile materials covers basic textile materials only, not " + ", ".join(others)
        return (False if failing else None), info
    textiles = [m for m in ctx.bom.materials if m.hs_code and BASIC_TEXTILES.contains(m.hs_code)]
    if {id(m) for m in textiles} <= {id(m) for m in candidates}:
        # the failing materials are all the basic textile materials used: 100% of their weight,
        # whatever it is ("may be applied only to mixed products" of two or more besides)
        info.update({"percent": str(dm.percent), "basis": TEXTILE_WEIGHT, "reason": "the materials that fail are all the basic textile materials used: 100% of their weight"})
        return (False if failing else None), info
    missing = [ctx.path(m, "net_weight_kg") for m in textiles if m.net_weight_kg is None]
    if missing:
        info.update({"reason": "a tolerance by weight of the textile materials needs their net weights", "missing": missing})
        return None, info
    total = exact_sum(m.net_weight_kg for m in candidates)  # type: ignore[misc]
    limit = percent_of(exact_sum(m.net_weight_kg for m in textiles), dm.percent)  # type: ignore[misc]
    info.update({"percent": str(dm.percent), "value": str(total), "basis": TEXTILE_WEIGHT, "limit": str(limit)})
    if total <= limit:
        info.update({"applied": True, "absorbed": [m.id for m in candidates], "used": str(total), "left": str(EXACT.subtract(limit, total))})
        return True, info
    info.update({"used": "0", "left": str(limit), "reason": f"{total} kg exceeds {dm.percent}% of the basic textile materials' weight ({limit} kg)"})
    return (False if failing else None), info


def tolerance_limit(ctx: Context, dm: ast.DeMinimis) -> tuple[Decimal, str] | None:
    """The largest tolerance the producer may choose: the percentage of a permitted basis.

    Under `within VNM`, a basis on which VNM already exceeds the rule's own VNM limit offers
    no tolerance: tolerance may not push VNM past that limit.
    """
    best: tuple[Decimal, str] | None = None
    cap = ctx.maxnom if dm.within_maxnom else None
    vnm = ctx.quantities["VNM"]
    for basis in ((dm.of,) if dm.of != "basis" else ctx.bases):
        value = ctx.quantities.get(basis)
        if value is not None and (cap is None or EXACT.multiply(vnm, HUNDRED) <= EXACT.multiply(cap, value)):  # type: ignore[arg-type]
            limit = percent_of(value, dm.percent)
            if best is None or limit > best[0]:
                best = (limit, basis)
    return best


# ---------------------------------------------------------------- value tests

NO_BASIS, NO_QUANTITY, ZERO_BASIS = "no basis", "no quantity", "zero basis"


def scoped_vnm(ctx: Context, scope: CodeSet | None) -> Decimal:
    """VNM, or with `from CODES` only the non-originating materials of those codes."""
    if scope is None:
        return ctx.quantities["VNM"]  # type: ignore[return-value]
    return exact_sum(m.value for m in ctx.non_originating if m.hs_code and scope.contains(m.hs_code))


def missing_field(m: Material, *scopes: Any) -> str:
    """What the BOM must add for a material to be decided: its code, or the attribute a qualified
    set asks of it ('attributes.worked_slate'), so that the answer names it."""
    if m.hs_code is None:
        return "hs_code"
    for scope in scopes:
        if isinstance(scope, CodeSet) and scope.qualifier is not None and scope.admits(m.hs_code, m.attributes) is None:
            return f"attributes.{scope.qualifier[0]}"
    return "attributes"


def qualified_vnm(ctx: Context, scope: CodeSet) -> tuple[Decimal, Decimal, list[str]]:
    """`VNM from uncut_glassware` (a set qualified by an attribute): the value of the
    non-originating materials the BOM says are in it, that value with those it says nothing of
    added, and where it says nothing. A test met (or failed) at both is decided; else unknown."""
    inside, unsaid, missing = [], [], []
    for m in ctx.non_originating:
        found = scope.admits(m.hs_code, m.attributes)
        if found:
            inside.append(m.value)
        elif found is None and m.hs_code is not None:
            unsaid.append(m.value)
            missing.append(ctx.path(m, missing_field(m, scope)))
    low = exact_sum(inside)
    return low, low + exact_sum(unsaid), missing


NET_WEIGHT, MATERIALS_WEIGHT, WEIGHT_BASES, TEXTILE_WEIGHT = ast.NET_WEIGHT, ast.MATERIALS_WEIGHT, ast.WEIGHT_BASES, ast.TEXTILE_WEIGHT  # named in lang/ast.py


def weights(ctx: Context, scope: CodeSet | None, basis: str) -> tuple[Decimal | None, Decimal | None, list[str]]:
    """(non-originating weight, the weight it is a share of, the weights the BOM lacks) for a test
    by weight: of the product (`net_weight`), or of all the materials of those codes
    (`materials_weight`: "at least 70% by weight of the tobacco of heading 2401 used is originating")."""
    part, missing = scoped_weight(ctx, scope)
    if basis == NET_WEIGHT:
        whole = ctx.bom.product.net_weight_kg
        if whole is None:
            missing = [*missing, "product.net_weight_kg"]
        return part, whole, missing
    total: list[Decimal] = []
    for m in ctx.bom.materials:
        if scope is not None and not (m.hs_code and scope.contains(m.hs_code)):
            continue
        if m.net_weight_kg is None:
            if ctx.path(m, "net_weight_kg") not in missing:
                missing.append(ctx.path(m, "net_weight_kg"))
        else:
            total.append(m.net_weight_kg)
    return part, (None if missing else exact_sum(total)), missing


def scoped_weight(ctx: Context, scope: CodeSet | None) -> tuple[Decimal | None, list[str]]:
    """The net weight of the non-originating materials (of `scope`), or None and the weights
    the BOM does not give."""
    total: list[Decimal] = []
    missing: list[str] = []
    for m in ctx.non_originating:
        if scope is not None and not (m.hs_code and scope.contains(m.hs_code)):
            continue
        if m.net_weight_kg is None:
            missing.append(ctx.path(m, "net_weight_kg"))
        else:
            total.append(m.net_weight_kg)
    return (None if missing else exact_sum(total)), missing


def option_ratio(q: dict[str, Decimal | None], vnm: Decimal, formula: Formula | None, basis: str) -> Ratio | str:
    """One method on one basis: the exact ratio, or why it cannot be computed from this BOM
    (NO_BASIS, NO_QUANTITY, ZERO_BASIS). No formula: VNM / basis (MaxNOM)."""
    base = q[basis]
    if base is None:
        return NO_BASIS
    ratio = (vnm, base) if formula is None else formula(q, vnm, base)
    if ratio is None:
        return NO_QUANTITY
    if ratio[1] == 0:
        return ZERO_BASIS
    return ratio


# ---------------------------------------------------------------- wholly obtained, processes


def wo_allowance(ctx: Context) -> tuple[Decimal, str] | None:
    """The non-originating value a wholly obtained good may hold (UAE CEPA Rule 5(2): 1%), on
    the best permitted basis."""
    if ctx.wo_tolerance is None:
        return None
    pct, of = ctx.wo_tolerance
    values = [(ctx.quantities.get(b), b) for b in ((of,) if of != "basis" else ctx.bases)]
    best = max(((percent_of(v, pct), b) for v, b in values if v is not None), default=None)
    return None if best is None else (best[0], f"{pct}% of {best[1]} ({money(best[0])}) a wholly obtained good may hold")


def wholly_obtained(ctx: Context) -> tuple[bool | None, str, dict[str, Any]]:
    """(result, the allowance used if any, why)."""
    declared = ctx.bom.product.wholly_obtained
    within = ""
    if ctx.non_originating:
        ids = ", ".join(m.id for m in ctx.non_originating[:5])
        reason = f"non-originating materials used: {ids}"
        allowed = wo_allowance(ctx)
        vnm = ctx.quantities["VNM"]
        if allowed is None or vnm > allowed[0]:  # type: ignore[operator]
            if allowed is not None:
                reason += f" ({money(vnm)}, more than the {allowed[1]})"  # type: ignore[arg-type]
            return False, within, {"reason": reason}
        within = f" (non-originating {money(vnm)} within the {allowed[1]})"  # type: ignore[arg-type]
    if declared is not None:
        return declared, within, {"reason": "declared in product.wholly_obtained"}
    if ctx.bom.materials and all(m.wholly_obtained for m in ctx.bom.materials):
        return True, within, {"reason": "every material is declared wholly obtained"}
    return None, within, {"missing": ["product.wholly_obtained"]}


def wholly_obtained_materials(ctx: Context, scope: CodeSet) -> tuple[bool | None, list[str], list[str], dict[str, Any]]:
    """`WO from chapter 24` ("all the materials of chapter 24 used are wholly obtained"): every
    material of those codes is declared wholly obtained. A non-originating material is not
    wholly obtained in a party; under a tolerance `covering WO` ("the tolerance ... applies to the
    sum of all the materials ... for which the rule requires that such materials be wholly
    obtained") those within it pass. Returns (result, the materials that are not, what is
    missing, the tolerance's account or {})."""
    non_originating = {id(m) for m in ctx.non_originating}
    failing: list[str] = []
    failing_materials: list[Material] = []
    missing: list[str] = []
    for m in ctx.bom.materials:
        if m.hs_code is None:
            missing.append(ctx.path(m, "hs_code"))
        elif (inside := scope.admits(m.hs_code, m.attributes)) is None:
            missing.append(ctx.path(m, missing_field(m, scope)))  # "all the grapes ... used": the BOM has not said whether this is one
        elif inside:
            if id(m) in non_originating:
                failing.append(m.id)
                failing_materials.append(m)
            elif not m.wholly_obtained:  # originating, but the BOM does not say it is wholly obtained
                missing.append(ctx.path(m, "wholly_obtained"))
    tolerance: dict[str, Any] = {}
    covering = [dm for dm in ctx.tolerances if dm.covers_wo]
    if failing_materials and covering:
        results = [_tolerate(ctx, dm, failing_materials, [], False) for dm in covering]
        passed, tolerance = next((r for r in results if r[0] is True), results[0])
        if passed is True:
            return (None if missing else True), failing, missing, tolerance
    return (False if failing else (None if missing else True)), failing, missing, tolerance


def in_force(ctx: Context, until: dt.date) -> bool:
    """Is a dated rule arm (`until 2023-12-31`) in force on the decision's date?"""
    return ctx.on <= until


def process_done(ctx: Context, name: str) -> bool | None:
    """Has the product undergone the process? Unknown if the BOM declares no processes."""
    declared = ctx.bom.product.processes
    if declared is None:
        return None
    return name in {ast.process_name(p) for p in declared}
