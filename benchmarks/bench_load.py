"""Reading a BOM: `loads_bom(text)` (decode, validate, exact decimals) vs `json.loads(text)`,
and a 200,000-material BOM through the command line (time and peak memory).

    python benchmarks/bench_load.py

Goals (issue 13): loads_bom <= 3x json.loads; the 200,000-material BOM through
`originrules check` in <= 1.5 s and <= 200 MB.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import timeit

from originrules.bom import loads


def bom_text(n: int) -> str:
    origins = ["IN", "AE", "CN", "JP", "DE"]
    materials = [
        {"id": f"m{i}", "description": "steel bolt M8", "hs_code": ["731815", "840991", "871410", "853710"][i % 4], "value": f"{1 + i % 97}.{i % 100:02d}", "origin": origins[i % 5], **({"originating": True} if i % 5 < 2 else {})}
        for i in range(n)
    ]
    return json.dumps({"product": {"hs_code": "871120", "description": "Motorcycle", "ex_works": "9000000", "fob": "9100000", "exporting_country": "IN", "importing_country": "AE"}, "materials": materials})


def ratio(n: int, reps: int) -> tuple[float, float]:
    text = bom_text(n)
    base = min(timeit.repeat(lambda: json.loads(text), number=reps, repeat=7)) / reps
    ours = min(timeit.repeat(lambda: loads(text), number=reps, repeat=7)) / reps
    return base, ours


def cli(n: int) -> tuple[float, float]:
    path = os.path.join(tempfile.mkdtemp(), "big.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(bom_text(n))
    cmd = [sys.executable, "-c", "import sys; from originrules.cli import run; run(sys.argv[1:])", "check", path, "-a", "UAE", "-o", os.devnull]
    subprocess.run(cmd, check=False, capture_output=True)  # warm the ruleset cache
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        assert done.returncode in (0, 1, 3), done.stderr
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MB (Linux: KiB)
    return best, peak


def main() -> None:
    print(f"python {platform.python_version()} on {platform.machine()}")
    for n, reps in ((50, 2000), (5000, 20)):
        base, ours = ratio(n, reps)
        print(f"{n:>7} materials: json.loads {base * 1e6:9.1f} µs   loads_bom {ours * 1e6:9.1f} µs   {ours / base:5.2f}x   goal <= 3x: {'met' if ours / base <= 3 else 'NOT met'}")
    t, mb = cli(200_000)
    print(f"200,000 materials through `originrules check`: {t:.2f} s, peak {mb:.0f} MB   goal <= 1.5 s, <= 200 MB: {'met' if t <= 1.5 and mb <= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
