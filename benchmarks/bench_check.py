"""`check()` with its default arguments vs a hand-written Python function of the same rule.

    python benchmarks/bench_check.py

The rule is the UAE's chapter 87 rule, `CTH and va(45%)` with `va(p) = VA(fob) >= p or
VA(ex_works) >= p - 5%` (build-down or build-up, the producer's choice; 10% de minimis on the
better basis). The BOM has 50 materials: originating ones from India, cumulated ones from the
UAE, non-originating ones from China, Japan and Germany, some of them of the product's own
heading. The hand-written function gets the BOM as pre-parsed tuples (hs_code, value,
originating); originrules gets the loaded Bom. Both must agree on every verdict first.
Goal (issue 13): check() <= 3x the hand-written function.
"""

from __future__ import annotations

import platform
import random
import timeit
from decimal import Decimal

import originrules
from originrules.bom import Bom, from_dict

GOAL = 3.0


def make_bom(n: int, seed: int) -> Bom:
    rnd = random.Random(seed)
    codes = ["840991", "871410", "871120", "871190", "853710", "720839", "390210", "401140", "731815", "940120"]
    materials = []
    for i in range(n):
        origin = rnd.choice(["IN", "IN", "AE", "CN", "JP", "DE"])
        m = {"id": str(i), "hs_code": rnd.choice(codes), "value": f"{rnd.randint(100, 5000) / 100:.2f}", "origin": origin}
        if origin in ("IN", "AE"):
            m["originating"] = rnd.random() < 0.9
        materials.append(m)
    total = sum(Decimal(m["value"]) for m in materials)
    ex_works = (total * Decimal(rnd.choice(["1.3", "1.6", "2.0"]))).quantize(Decimal("0.01"))
    product = {"hs_code": "871120", "ex_works": str(ex_works), "fob": str(ex_works + 40), "exporting_country": "IN", "importing_country": "AE"}
    costs = {"direct_labour": str((ex_works / 10).quantize(Decimal("0.01"))), "direct_overhead": "20.00"}
    return from_dict({"product": product, "costs": costs, "materials": materials})


def tuples(bom: Bom) -> tuple:  # type: ignore[type-arg]
    p = bom.product
    return (p.hs_code, p.fob, p.ex_works, bom.costs["direct_labour"], bom.costs["direct_overhead"], [(m.hs_code, m.value, bool(m.originating)) for m in bom.materials])


def hand_written(t: tuple) -> bool:  # type: ignore[type-arg]
    """CTH and (VA(fob) >= 45% or VA(ex_works) >= 40%), build-down or build-up, 10% de minimis."""
    code, fob, exw, labour, overhead, materials = t
    heading = code[:4]
    vnm = Decimal(0)
    same = Decimal(0)
    for hs, value, originating in materials:
        if originating:
            continue
        vnm += value
        if hs[:4] == heading:
            same += value
    cth = same == 0 or same * 10 <= max(fob, exw)
    vom = sum((v for _, v, o in materials if o), Decimal(0))

    def va(base: Decimal, pct: int) -> bool:
        return 100 * (base - vnm) >= pct * base or 100 * (vom + labour + overhead) >= pct * base

    return cth and (va(fob, 45) or va(exw, 40))


def main() -> None:
    crs = originrules.find_agreement("UAE")
    boms = [make_bom(50, seed) for seed in range(50)]
    plain = [tuples(b) for b in boms]
    verdicts = [originrules.check(b, crs).originating for b in boms]
    assert verdicts == [hand_written(t) for t in plain], "the two disagree"
    reps = 40

    def per(fn, items) -> float:  # type: ignore[no-untyped-def]
        return min(timeit.repeat(lambda: [fn(x) for x in items], number=reps, repeat=9)) / (reps * len(items))

    hand = per(hand_written, plain)
    default = per(lambda b: originrules.check(b, crs), boms)
    explained = per(lambda b: originrules.check(b, crs, explain=True), boms)
    print(f"python {platform.python_version()} on {platform.machine()}; 50 materials, {sum(verdicts)} of 50 BOMs originating")
    print(f"hand-written on tuples         {hand * 1e6:7.1f} µs")
    print(f"check() (default: lazy)        {default * 1e6:7.1f} µs  {default / hand:5.2f}x   goal <= {GOAL}x: {'met' if default / hand <= GOAL else 'NOT met'}")
    print(f"check(explain=True) (eager)    {explained * 1e6:7.1f} µs  {explained / hand:5.2f}x")


if __name__ == "__main__":
    main()
