"""Rewrite the `_free` rule of originrules/importers/uk_tariff/prose.lark: every keyword of the grammar
but those that end a process's name (Lark has no "any token but"). Run after adding a keyword;
tests/test_uk_tariff.py fails until it is run.

    python tools/uk_prose_free.py
"""

from __future__ import annotations

import re
from pathlib import Path

GRAMMAR = Path(__file__).resolve().parent.parent / "originrules" / "importers" / "uk_tariff" / "prose.lark"
ENDING = {"provided", "manufacture", "production", "until", ".", ";"}  # "." and ";" are ignored anyway
TERMINALS = "WORD | PROCESS_WORD | GERUND | SHIFT | NUMBER | LEVEL | METHOD | RVC_CODE"


def main() -> None:
    text = GRAMMAR.read_text(encoding="utf-8")
    head, rest = text.split("\n_free:", 1)
    tail = rest[rest.index("\n\n"):]
    rules = "\n".join(line.split("//")[0] for line in (head + tail).splitlines())
    words = sorted(set(re.findall(r'"([^"\n]+)"', rules)) - ENDING)
    lines, current = [], []
    for w in (f'"{w}"' for w in words):
        if sum(len(x) + 3 for x in current) + len(w) > 100:
            lines.append(current)
            current = []
        current.append(w)
    lines.append(current)
    body = "\n".join("     | " + " | ".join(line) for line in lines)
    GRAMMAR.write_text(f"{head}\n_free: {TERMINALS}\n{body}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
