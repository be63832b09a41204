"""Reading the UK Trade Tariff's data of the UK–India CETA product-specific rules.

Shared by `tools/uk_annex_to_roo.py` (which writes rulesets/india-uk-ceta.roo) and
`tools/compare_uk_annex.py` (which checks that originrules selects an equivalent rule). The
data is `shared/corpus/uk-roo/.../rule_sets/india.json`; its `operator` field is unreliable
(see the corpus MANIFEST), so only the rule prose is read.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from originrules.importers.uk_tariff import prose as _importer

INDIA_JSON = "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets/india.json"


def find_india_json(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / INDIA_JSON if (p / INDIA_JSON).exists() else next(p.rglob("india.json"))
    return p


def load_rule_sets(path: str | Path) -> list[dict[str, Any]]:
    with open(find_india_json(path), encoding="utf-8") as f:
        return json.load(f)["rule_sets"]  # type: ignore[no-any-return]


# the importer's readings of the markup and of a rule set's code range (one of each in the project)
clean = _importer.clean


def prose(rule_set: dict[str, Any]) -> str:
    """All of a rule set's entries as one normalised text, entries joined by ' || '."""
    return " || ".join(clean(r["rule"]) for r in rule_set["rules"])


def key_of(rule_set: dict[str, Any]) -> tuple[int, str, str]:
    """(digits, low, high): the 10-digit min/max range as a chapter, heading or subheading range."""
    key = _importer.key_of(rule_set)
    if key is None:
        raise ValueError(f"range {rule_set['min']}-{rule_set['max']} is not a whole chapter, heading or subheading range")
    return key


_BOILERPLATE = re.compile(
    r": All non-originating materials used in the production of the good have undergone a change in tariff "
    r"classification at the \d-digit level \((?:tariff )?(?:chapter|heading|subheading)\)"
)


def short(text: str) -> str:
    """The prose without its boilerplate sentence: 'CTH || Standard QVC.'"""
    return _BOILERPLATE.sub("", text)
