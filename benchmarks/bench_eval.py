"""Evaluate `CTH and RVC(build_down, ex_works) >= 45%` with originrules and with a hand-written
Python function of the same rule, on BOMs of 20, 50 and 200 materials.

    python benchmarks/bench_eval.py            # prints a table; record it in docs/performance.md

Not a test: timings depend on the machine. Both sides get the same parsed BOM object and must
agree on every verdict; the hand-written side applies the same law (tariff shift on
non-originating materials only, 10% de minimis on the better basis, exact ratio).
"""

from __future__ import annotations

import platform
import random
import sys
import timeit
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import originrules  # noqa: E402
from originrules.bom import Bom, from_dict  # noqa: E402
from originrules.compile import compile_ruleset  # noqa: E402
from originrules.lang.resolve import load_text  # noqa: E402

RULESET = """
agreement BENCH "benchmark" {
    parties IN, AE                 source "benchmark"
    value_name RVC                 source "benchmark"
    basis ex_works, fob            source "benchmark"
    method build_down = (basis - VNM) / basis   source "benchmark"
    de_minimis 10% of basis        source "benchmark"
}
8716: CTH and RVC(build_down, ex_works) >= 45%
"""

CODES = ["840991", "871410", "871639", "853710", "720839", "390210", "401140", "731815", "870899", "940120"]


def make_bom(n: int, seed: int) -> Bom:
    rnd = random.Random(seed)
    materials = []
    for i in range(n):
        origin = rnd.choice(["IN", "IN", "IN", "CN", "JP", "DE"])
        m = {"id": str(i), "hs_code": rnd.choice(CODES), "value": f"{rnd.randint(100, 100000) / 100:.2f}", "origin": origin}
        if origin == "IN":
            m["originating"] = rnd.random() < 0.9
        materials.append(m)
    total = sum(Decimal(m["value"]) for m in materials)
    ex_works = (total * Decimal(rnd.choice(["1.2", "1.4", "1.8"]))).quantize(Decimal("0.01"))
    return from_dict({"product": {"hs_code": "871639", "ex_works": str(ex_works), "fob": str(ex_works + 100)}, "materials": materials})


def hand_written(bom: Bom) -> bool:
    """CTH and RVC(build_down, ex_works) >= 45%, with 10% de minimis, written out by hand."""
    p = bom.product
    heading = p.hs_code[:4]
    vnm = Decimal(0)
    failing = Decimal(0)
    for m in bom.materials:
        if m.originating:
            continue
        vnm += m.value
        if m.hs_code is None or len(m.hs_code) < 4 or m.hs_code[:4] == heading:
            failing += m.value
    bases = [b for b in (p.ex_works, p.fob) if b is not None]
    cth = failing == 0 or failing * 10 <= max(bases)
    # exact: (EXW - VNM) / EXW >= 45%  <=>  100 * (EXW - VNM) >= 45 * EXW
    return cth and 100 * (p.ex_works - vnm) >= 45 * p.ex_works


def main() -> None:
    crs = compile_ruleset(load_text(RULESET, "bench.roo"))
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.processor() or 'cpu'}")
    print(f"{'materials':>9} {'hand-written':>13} {'check(explain=False)':>21} {'ratio':>6} {'check()':>10} {'ratio':>6}")
    for n in (20, 50, 200):
        boms = [make_bom(n, seed) for seed in range(50)]
        for bom in boms:
            assert originrules.check(bom, crs).originating == hand_written(bom)
            assert originrules.check(bom, crs, explain=False).originating == hand_written(bom)
        reps = max(2, 4000 // n)

        def per_bom(fn, boms=boms, reps=reps) -> float:  # type: ignore[no-untyped-def]
            return min(timeit.repeat(lambda: [fn(b) for b in boms], number=reps, repeat=7)) / (reps * len(boms))

        hand = per_bom(hand_written)
        fast = per_bom(lambda b: originrules.check(b, crs, explain=False))
        full = per_bom(lambda b: originrules.check(b, crs))
        print(f"{n:>9} {hand * 1e6:>10.1f} us {fast * 1e6:>18.1f} us {fast / hand:>5.2f}x {full * 1e6:>7.1f} us {full / hand:>5.2f}x")


if __name__ == "__main__":
    main()
