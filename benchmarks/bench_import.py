"""`originrules import uk-tariff` on the largest scheme (CPTPP: 1,239 rule sets, 2,100 distinct
texts; goal <= 10 s) and on all 36, beside `json.loads` of the same files (the floor: reading them).

    python benchmarks/bench_import.py ../shared/corpus/uk-roo

Each import runs in a fresh interpreter (the grammar and its parse cache start empty, as for a
user's first run); the best of 3 is kept.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_SETS = "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets"

IMPORT = """
import sys, time
t = time.perf_counter()
from originrules.importers.uk_tariff import import_uk_tariff
for path in sys.argv[1:]:
    import_uk_tariff(path)
print(time.perf_counter() - t)
"""
LOADS = """
import sys, time, json
t = time.perf_counter()
for path in sys.argv[1:]:
    json.loads(open(path, encoding="utf-8").read())
print(time.perf_counter() - t)
"""


def best(code: str, paths: list[Path], n: int = 3) -> float:
    return min(float(subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, cwd=ROOT, check=True).stdout) for _ in range(n))


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/uk-roo")
    files = sorted(p for p in (corpus / RULE_SETS).glob("*.json") if p.stem != "india")
    cptpp = [p for p in files if p.stem == "cptpp"]
    for label, paths, n in (("cptpp", cptpp, 3), ("all 36 schemes", files, 1)):
        t, floor = best(IMPORT, paths, n), best(LOADS, paths, n)
        goal = "  (goal <= 10 s)" if label == "cptpp" else ""
        print(f"import uk-tariff {label:<15} {t:6.2f} s   json.loads {floor:6.3f} s   ({t / floor:.0f}x){goal}")


if __name__ == "__main__":
    main()
