"""Importing a register of 1,000,000 supplier declarations into SQLite, as a user would:
`originrules declarations import big.csv --db sqlite:///...`, timed with its peak memory, beside
the baseline of `python -c pass` run the same way.

    python benchmarks/bench_declarations_import.py [--rows 1000000]

Goal (issue 24): <= 60 s and <= 300 MB, all or nothing (a bad last row leaves the register empty).
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_register(path: Path, rows: int, bad_last: bool = False) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["supplier", "part_number", "hs_code", "origin", "originating", "agreement", "valid_from", "valid_to", "reference"])
        for i in range(rows):
            w.writerow([f"Supplier {i % 5000}", f"P-{i}", "840991", "IN", "true" if i % 7 else "false", "UAE", "2026-01-01", "2026-12-31", f"LTSD-{i}"])
        if bad_last:
            w.writerow(["Supplier X", "P-X", "840991", "India", "true", "UAE", "2026-01-01", "2026-12-31", "LTSD-X"])


def run(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak resident MB of the child, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    code = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    a = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    register = folder / "register.csv"
    write_register(register, a.rows)
    command = [sys.executable, "-c", "from originrules.cli import run; run()"]
    base, _, _ = run([sys.executable, "-c", "pass"])
    seconds, peak, code = run([*command, "declarations", "import", str(register), "--db", f"sqlite:///{folder / 'r.db'}"])
    assert code == 0, code
    print(f"python -c pass: {base * 1000:.0f} ms")
    print(f"import {a.rows:,} declarations into SQLite: {seconds:.1f} s, peak {peak:.0f} MB (goal <= 60 s, <= 300 MB)")
    write_register(register, a.rows, bad_last=True)
    seconds, peak, code = run([*command, "declarations", "import", str(register), "--db", f"sqlite:///{folder / 'bad.db'}"])
    listed = subprocess.run([*command, "declarations", "list", "--format", "json", "--db", f"sqlite:///{folder / 'bad.db'}"], capture_output=True, text=True).stdout
    print(f"the same with a bad last row: exit {code} after {seconds:.1f} s, peak {peak:.0f} MB; declarations kept: {listed.strip()}")


if __name__ == "__main__":
    main()
