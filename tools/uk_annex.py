"""Reading the UK Trade Tariff's data of the UK–India CETA product-specific rules.

Shared by `tools/uk_annex_to_roo.py` (which writes rulesets/india-uk-ceta.roo) and
`tools/compare_uk_annex.py` (which checks that originrules selects an equivalent rule). The
data is `shared/corpus/uk-roo/.../rule_sets/india.json`; its `operator` field is unreliable
(see the corpus MANIFEST), so only the rule prose is read.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

INDIA_JSON = "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets/india.json"


def find_india_json(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / INDIA_JSON if (p / INDIA_JSON).exists() else next(p.rglob("india.json"))
    return p


def load_rule_sets(path: str | Path) -> list[dict[str, Any]]:
    with open(find_india_json(path), encoding="utf-8") as f:
        return json.load(f)["rule_sets"]  # type: ignore[no-any-return]


def clean(text: str) -> str:
    """Prose without markup: '<abbr ...>CTH</abbr>' -> 'CTH', '[heading&nbsp;2009](/headings/2009)' -> 'heading 2009'."""
    text = re.sub(r"<abbr[^>]*>(.*?)</abbr>", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = html.unescape(text).replace("\xa0", " ").replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


def prose(rule_set: dict[str, Any]) -> str:
    """All of a rule set's entries as one normalised text, entries joined by ' || '."""
    return " || ".join(clean(r["rule"]) for r in rule_set["rules"])


def key_of(rule_set: dict[str, Any]) -> tuple[int, str, str]:
    """(digits, low, high): the 10-digit min/max range as a chapter, heading or subheading range."""
    low, high = rule_set["min"], rule_set["max"]
    for digits in (2, 4, 6, 8, 10):
        if set(low[digits:]) <= {"0"} and set(high[digits:]) <= {"9"}:
            return digits, low[:digits], high[:digits]
    raise ValueError(f"range {low}-{high} is not a whole chapter, heading or subheading range")


_BOILERPLATE = re.compile(
    r": All non-originating materials used in the production of the good have undergone a change in tariff "
    r"classification at the \d-digit level \((?:tariff )?(?:chapter|heading|subheading)\)"
)


def short(text: str) -> str:
    """The prose without its boilerplate sentence: 'CTH || Standard QVC.'"""
    return _BOILERPLATE.sub("", text)
