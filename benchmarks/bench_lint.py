"""`lint` on one rule of many alternatives: linear (goal: 50,000 alternatives in under 5 s).

    python benchmarks/bench_lint.py

The rule is `VA >= a% or VA >= b% or ...` with every alternative distinct (the worst case for
the redundant-arm check, which once compared every pair). Printed beside each size: the time,
the time per alternative, and the same ruleset's parse alone (the floor lint cannot go below).
"""

from __future__ import annotations

import time

from originrules.lang.check import lint_text
from originrules.lang.parser import parse
from originrules.resources import rulesets_dir

HEADER = (rulesets_dir() / "india-uae-cepa.roo").read_text(encoding="utf-8")


def text(n: int) -> str:
    body = " or ".join(f"VA >= {i % 100}.{i // 100}%" for i in range(n))
    return f'{HEADER}\n8704: {body}\n    source "benchmark"\n'


def best(f, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(f"{'alternatives':>12} {'lint':>8} {'per alt':>9} {'parse only':>11}   goal: 50,000 in < 5 s")
    for n in (1_000, 4_000, 16_000, 50_000):
        t = text(n)
        lint = best(lambda: lint_text(t, "bench.roo"), 1 if n > 10_000 else 3)
        only = best(lambda: parse(t, "bench.roo"), 1 if n > 10_000 else 3)
        mark = ("met" if lint < 5 else "NOT met") if n == 50_000 else ""
        print(f"{n:>12,} {lint:>7.2f}s {lint / n * 1e6:>7.1f}µs {only:>10.2f}s   {mark}")


if __name__ == "__main__":
    main()
