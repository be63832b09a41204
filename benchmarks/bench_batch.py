"""`originrules batch` on generated catalogues vs a plain loop that only decodes the same file.

    python benchmarks/bench_batch.py [--boms 100000] [--materials 30]

Writes the catalogue once (JSON Lines, deterministic) to benchmarks/.data/, then times:
a loop that json-decodes every line (floats; and with Decimal numbers, as originrules reads
them), and `originrules batch -a UK` with 1 and 2 jobs. Record the figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODES = ["840991", "871410", "853710", "720839", "390210", "401140", "731815", "870899", "940120", "870840", "854430", "850710"]
PRODUCTS = ["870322", "871120", "870421", "840734", "871639", "870899"]


def generate(path: Path, boms: int, materials: int) -> None:
    rnd = random.Random(20261122)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(boms):
            mats = []
            for i in range(materials):
                origin = rnd.choice(["IN", "IN", "IN", "GB", "CN", "JP", "DE"])
                m = {"id": str(i + 1), "hs_code": rnd.choice(CODES), "value": f"{rnd.randint(100, 500000) / 100:.2f}", "origin": origin}
                if origin in ("IN", "GB"):
                    m["originating"] = rnd.random() < 0.9
                mats.append(m)
            total = sum(Decimal(m["value"]) for m in mats)
            exw = (total * Decimal(rnd.choice(["1.3", "1.5", "2.0"]))).quantize(Decimal("0.01"))
            bom = {"product": {"hs_code": rnd.choice(PRODUCTS), "ex_works": str(exw), "fob": str(exw + 250), "currency": "INR"}, "materials": mats}
            f.write(json.dumps(bom, separators=(",", ":")) + "\n")


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def decode(path: Path, exact: bool) -> None:
    kwargs = {"parse_float": Decimal, "parse_int": Decimal} if exact else {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            json.loads(line, **kwargs)


def batch(path: Path, jobs: int) -> None:
    exe = [sys.executable, "-m", "originrules.cli", "batch", str(path), "-a", "UK", "-o", os.devnull, "--jobs", str(jobs)]
    subprocess.run(exe, check=False, stderr=subprocess.DEVNULL, cwd=HERE.parent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boms", type=int, default=100_000)
    parser.add_argument("--materials", type=int, default=30)
    args = parser.parse_args()
    data = HERE / ".data" / f"catalogue-{args.boms}x{args.materials}.jsonl"
    if not data.exists():
        data.parent.mkdir(exist_ok=True)
        generate(data, args.boms, args.materials)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; {args.boms:,} BOMs of {args.materials} materials, {data.stat().st_size / 1e6:.0f} MB")
    plain = timed(lambda: decode(data, exact=False))
    exact = timed(lambda: decode(data, exact=True))
    one = timed(lambda: batch(data, 1))
    two = timed(lambda: batch(data, 2))
    print(f"decode only (json, floats)      {plain:7.2f} s")
    print(f"decode only (json, Decimal)     {exact:7.2f} s")
    print(f"originrules batch, 1 job        {one:7.2f} s  {one / plain:.2f}x floats, {one / exact:.2f}x Decimal  ({args.boms / one:,.0f} BOMs/s)")
    print(f"originrules batch, 2 jobs       {two:7.2f} s  {two / plain:.2f}x floats; speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
