"""The declaration register and records, timed.

    python benchmarks/bench_store.py [--db URL]

1. Status lookup: a 200-material BOM, every material naming a supplier and part, resolved
   against a register of 100,000 declarations (one indexed query). Goal: <= 2 ms.
2. `batch --record` vs `batch` on the same 10,000-BOM catalogue (a catalogue of the size it is
   for: fixed costs, loading the database driver and opening the database, are amortised). Goal: within 1.3x.
Default database: a SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import sqlalchemy as sa

from originrules.bom import from_dict
from originrules.store import Store
from originrules.store.schema import declarations

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "motorcycle-uae.json"


def fill(store: Store, n: int) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        {"reference": f"D-{i}", "supplier": f"Supplier {i % 5000}", "part_number": f"P-{i}", "hs_code": "840991", "origin": "IN", "originating": True,
         "agreement": "UAE", "valid_from": dt.date(2026, 1, 1), "valid_to": dt.date(2026, 12, 31), "revoked_on": None, "updated_at": now, "source": "bench"}
        for i in range(n)
    ]
    with store.transaction() as conn:
        conn.execute(declarations.delete())
        for k in range(0, n, 10_000):
            conn.execute(declarations.insert(), rows[k : k + 10_000])
    store.analyze()  # as `declarations import` does


def lookup(store: Store) -> float:
    materials = [{"id": str(i), "hs_code": "840991", "value": "1", "origin": "IN", "supplier": f"Supplier {(i * 37) % 5000}", "part_number": f"P-{i * 37}"} for i in range(200)]
    bom = from_dict({"product": {"hs_code": "871120", "fob": "1000"}, "materials": materials})
    day = dt.date(2026, 6, 1)
    resolved = store.resolve(bom, "UAE", day)
    assert len(resolved.used) == 200, resolved.notes[:3]
    return min(timeit.repeat(lambda: store.resolve(bom, "UAE", day), number=20, repeat=5)) / 20


def batch_ratio(db: str, boms: int) -> tuple[float, float]:
    line = json.dumps(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    path = Path(tempfile.mkdtemp()) / "catalogue.jsonl"
    path.write_text((line + "\n") * boms, encoding="utf-8")
    base = [sys.executable, "-c", "import sys; from originrules.cli import run; run(sys.argv[1:])", "batch", str(path), "-a", "UAE", "-o", os.devnull]

    def best(cmd: list[str]) -> float:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        return min(times)

    return best(base), best([*base, "--record", "--db", db])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    args = parser.parse_args()
    store = Store(args.db)
    fill(store, 100_000)
    t = lookup(store)
    print(f"{sa.engine.make_url(args.db).get_backend_name()}: status of a 200-material BOM against 100,000 declarations: {t * 1000:.2f} ms   goal <= 2 ms: {'met' if t <= 0.002 else 'NOT met'}")
    plain, recorded = batch_ratio(args.db, 10_000)
    print(f"batch 10,000 BOMs: {plain:.2f} s; with --record: {recorded:.2f} s ({recorded / plain:.2f}x)   goal <= 1.3x: {'met' if recorded / plain <= 1.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
