"""Reading a BOM: `loads_bom(text)` (decode, validate, exact decimals) vs `json.loads(text)`,
and a 200,000-material BOM through the command line (time and peak memory).

    python benchmarks/bench_load.py [--against DIR]

With --against, a checkout of another commit (`git worktree add /tmp/old COMMIT`) is run side by
side, the same BOM in the same minutes: absolute seconds differ from machine to machine (this
one ran the issue's code three times slower than the machine the issue was measured on), the
ratio between the two does not.

Goals (issue 13): loads_bom <= 3x json.loads; the 200,000-material BOM through
`originrules check` in <= 1.5 s and <= 200 MB. Issue 25: the same goals with the BOM as people
write it (HS codes with dots, "8714.10"; amounts as JSON numbers), and with the canonical form.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import timeit

from originrules.bom import loads


def bom_text(n: int, written: bool = True) -> str:
    """`written`: as people write it (dotted codes, JSON numbers); else the canonical form."""
    origins = ["IN", "AE", "CN", "JP", "DE"]
    codes = ["7318.15", "8409.91", "8714.10", "8537.10"] if written else ["731815", "840991", "871410", "853710"]
    materials = [
        {"id": f"m{i}", "description": "steel bolt M8", "hs_code": codes[i % 4], "value": float(f"{1 + i % 97}.{i % 100:02d}") if written else f"{1 + i % 97}.{i % 100:02d}",  # a float whose repr is the text
         "origin": origins[i % 5], **({"originating": True} if i % 5 < 2 else {})}
        for i in range(n)
    ]
    product = {"hs_code": "8711.20" if written else "871120", "description": "Motorcycle", "ex_works": 9000000 if written else "9000000", "fob": 9100000 if written else "9100000",
               "exporting_country": "IN", "importing_country": "AE"}
    return json.dumps({"product": product, "materials": materials})


def ratio(n: int, reps: int, written: bool = True) -> tuple[float, float]:
    text = bom_text(n, written)
    base = min(timeit.repeat(lambda: json.loads(text), number=reps, repeat=7)) / reps
    ours = min(timeit.repeat(lambda: loads(text), number=reps, repeat=7)) / reps
    return base, ours


def cli(n: int, written: bool = True, code: str | None = None) -> tuple[float, float]:
    """Best of 3 seconds and peak MB of `originrules check` on an n-material BOM, with the
    originrules of `code` (a directory) if given, else this one."""
    path = os.path.join(tempfile.mkdtemp(), "big.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(bom_text(n, written))
    env = {**os.environ, **({"PYTHONPATH": code} if code else {})}
    cwd = tempfile.mkdtemp()  # not the repository: `python -c` puts the working directory first on the path
    script = "import sys, resource; from originrules.cli import run\ntry: run(sys.argv[1:])\nfinally: print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    cmd = [sys.executable, "-c", script, "check", path, "-a", "UAE", "-o", os.devnull]
    subprocess.run(cmd, check=False, capture_output=True, env=env, cwd=cwd)  # warm the ruleset cache
    best, peak = float("inf"), 0.0
    for _ in range(3):
        t = time.perf_counter()
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=cwd)
        best = min(best, time.perf_counter() - t)
        assert done.returncode in (0, 1, 3), done.stderr
        peak = max(peak, int(done.stderr.split()[-1]) / 1024)  # MB (Linux: KiB)
    return best, peak


def main() -> None:
    against = sys.argv[sys.argv.index("--against") + 1] if "--against" in sys.argv else None
    print(f"python {platform.python_version()} on {platform.machine()}")
    modes = ((True, "as people write it (8714.10, JSON numbers)"), (False, "canonical"))
    # the command line first, while this process is small: Linux counts the peak memory of the
    # process a command was started from in the command's own peak
    commands = {written: (cli(200_000, written), cli(200_000, written, against) if against else None) for written, _ in modes}
    for written, label in modes:
        print(label)
        for n, reps in ((50, 2000), (5000, 20), (200_000, 1)):
            base, ours = ratio(n, reps, written)
            print(f"{n:>7} materials: json.loads {base * 1e6:11.1f} µs   loads_bom {ours * 1e6:11.1f} µs   {ours / base:5.2f}x   goal <= 3x: {'met' if ours / base <= 3 else 'NOT met'}")
        (t, mb), old = commands[written]
        print(f"200,000 materials through `originrules check`: {t:.2f} s, peak {mb:.0f} MB   goal <= 1.5 s, <= 200 MB: {'met' if t <= 1.5 and mb <= 200 else 'NOT met'} on this machine")
        if old:
            print(f"  side by side, {against}: {old[0]:.2f} s, peak {old[1]:.0f} MB; this code takes {t / old[0]:.2f}x its time")


if __name__ == "__main__":
    main()
