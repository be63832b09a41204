"""Why a rule set was not read, in words: the phrase the reader stopped at and what kind of
text it is; and the shape problems that make a file not a UK Trade Tariff rule-set file."""

from __future__ import annotations

import re
from typing import Any


class Untranslatable(Exception):
    """A phrase the grammar reads but the language cannot (yet) say faithfully."""


class NeedsRange(Untranslatable):
    """Readable only knowing which codes the rule set covers (translate_rule_set tries again)."""

_KINDS = [  # what kind of text an entry is, for the import report: the first that fits
    (r"\bweight\b.*\bmaterials?\b|\bmaterials?\b.*\bweight\b", "a weight limit on a group of materials"),
    (r"regional value content", "a regional value content"),
    (r"\bhowever\b", "an exception introduced by 'however'"),
    (r"\bprovided\b", "a process or material with a condition ('provided that ...')"),
    (r"%", "a value limit"),
    (r"\bwholly obtained\b", "a wholly-obtained requirement"),
    (r"\bexcept\b", "an exception to the materials allowed"),
    (r"\bfrom\b", "a list of materials to start from"),
]


def _in_words(e: Untranslatable, text: str) -> Untranslatable:
    """A parser's "Unexpected token ... at line 1, column 88" as the words the reader stopped at
    and the kind of text it is: 'stopped at "value of all the materials used": a value limit'."""
    message = str(e)
    kind = next((k for pattern, k in _KINDS if re.search(pattern, text)), "a phrasing the grammar does not know")
    if m := re.search(r"at line \d+, column (\d+)", message):
        words = " ".join(text[int(m.group(1)) - 1:].split()[:6])
        return Untranslatable(f'stopped at "{words}": {kind}')
    if "end-of-input" in message:
        return Untranslatable(f"stopped at the end, where more words were expected: {kind}")
    return e

def _shape_problems(rule_sets: list[Any]) -> list[tuple[str, str]]:
    """(JSON path, what is wrong) for every rule set not of the tariff's shape: an object with
    texts `heading`, `subdivision`, `min`, `max` and a list of `rules`, each an object with a text `rule`."""
    found = []
    for i, rs in enumerate(rule_sets):
        where = f"rule_sets[{i}]"
        if not isinstance(rs, dict):
            found.append((where, "expected an object"))
            continue
        for key in ("heading", "subdivision", "min", "max"):
            if rs.get(key) is not None and not isinstance(rs[key], str):
                found.append((f"{where}.{key}", "expected a text"))
        rules = rs.get("rules")
        if not isinstance(rules, list):
            found.append((f"{where}.rules", "expected a list of rules"))
            continue
        for j, r in enumerate(rules):
            if not isinstance(r, dict) or not isinstance(r.get("rule"), str):
                found.append((f"{where}.rules[{j}]", 'expected an object with a text "rule"'))
    return found
