"""Cold start of `originrules check` vs `python -c pass` and vs the floor its dependencies set
(importing click, attrs, msgspec, decimal and json), `originrules agreements` vs a check, and
loading all shipped rulesets.

    python benchmarks/bench_startup.py

Each command is run 20 times in a fresh interpreter; the best time is kept (the machine's noise
only ever adds). The parsed-ruleset cache is measured warm (its normal state) and off. Python's
bytecode is written and used, as after `pip install` (which compiles every module): a machine
that sets PYTHONDONTWRITEBYTECODE would otherwise time the compiling of originrules' source on
every run, which no installed user pays. The bytecode goes to a temporary PYTHONPYCACHEPREFIX.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "car-uk.json"


def best(cmd: list[str], env: dict[str, str] | None = None, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, check=False)
        times.append(time.perf_counter() - t)
    return min(times)


LOAD_ALL = """
import time
t = time.perf_counter()
from originrules.registry import shipped
for crs in shipped().values():
    for rule in crs.rules:
        rule.compile()
print((time.perf_counter() - t) * 1000)
"""


def load_all(env: dict[str, str], n: int = 10) -> float:
    out = [float(subprocess.run([sys.executable, "-c", LOAD_ALL], capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout) for _ in range(n)]
    return min(out)


def main() -> None:
    cache = tempfile.mkdtemp()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp()
    warm = {**env, "ORIGINRULES_CACHE": cache}
    off = {**env, "ORIGINRULES_CACHE": "off"}
    check = [sys.executable, "-c", "from originrules.cli import run; run()", "check", str(EXAMPLE), "-a", "UK"]  # as the console script runs it
    subprocess.run(check, env=warm, stdout=subprocess.DEVNULL, cwd=ROOT, check=False)  # fill the cache
    base = best([sys.executable, "-c", "pass"], env)
    imports = best([sys.executable, "-c", "import click, attrs"], env)
    floor = best([sys.executable, "-c", "import click, attrs, msgspec, decimal, json"], env)
    listing = [*check[:3], "agreements"]
    subprocess.run(listing, env=warm, stdout=subprocess.DEVNULL, cwd=ROOT, check=False)
    warm_t = best(check, warm)
    off_t = best(check, off, n=10)
    # the largest shipped schemes (issue 15: ~25,000 rule sets shipped, each loaded on first use)
    largest = {}
    neutral = Path(cache) / "computer.json"  # originates under neither; only load and decide are timed
    neutral.write_text('{"product": {"hs_code": "847130", "fob": "1000", "ex_works": "1000"}, "materials": [{"id": "board", "hs_code": "847330", "value": "300", "origin": "CN"}]}', encoding="utf-8")
    for code in ("UK-CPTPP", "UK-NEW-ZEALAND"):
        cmd = [*check[:4], str(neutral), "-a", code]
        subprocess.run(cmd, env=warm, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, check=False)
        largest[code] = best(cmd, warm)
    print(f"python -c pass                       {base * 1000:6.0f} ms")
    print(f"python -c 'import click, attrs'      {imports * 1000:6.0f} ms  ({imports / base:.1f}x)")
    print(f"originrules check (cache warm)       {warm_t * 1000:6.0f} ms  ({warm_t / base:.1f}x)")
    print(f"originrules check (cache off)        {off_t * 1000:6.0f} ms  ({off_t / base:.1f}x)")
    print(f"import click, attrs, msgspec, decimal, json {floor * 1000:6.0f} ms: check is {warm_t / floor:.2f}x this floor (goal <= 1.5x)")
    agreements_t = best(listing, warm)
    print(f"originrules agreements (index)       {agreements_t * 1000:6.0f} ms  ({agreements_t / warm_t:.2f}x a check; goal <= 1.5x)")
    for code, t in largest.items():
        print(f"originrules check -a {code:<15} {t * 1000:6.0f} ms  ({t / base:.1f}x, cache warm)")
    print(f"load + compile all rulesets, warm    {load_all(warm, 3):6.0f} ms (including imports)")
    print(f"load + compile all rulesets, off     {load_all(off, 1):6.0f} ms (including imports)")


if __name__ == "__main__":
    main()
