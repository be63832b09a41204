"""docs/agreements.md stays in step with the rulesets."""

from __future__ import annotations

import re

import originrules
from tests.conftest import REPO

PAGE = (REPO / "docs" / "agreements.md").read_text(encoding="utf-8")


def section(code: str) -> str:
    match = re.search(rf"^## {code}: .*?(?=^## |\Z)", PAGE, re.S | re.M)
    assert match, f"docs/agreements.md has no section for {code}"
    return match.group(0)


def test_every_agreement_has_a_section_naming_its_file():
    for code, crs in originrules.agreements().items():
        assert crs.ruleset.path in section(code)


def test_every_inferred_rule_is_listed_in_its_agreements_section():
    for code, crs in originrules.agreements().items():
        text = section(code)
        for rule in crs.ruleset.rules:
            if rule.provenance.inferred:
                assert f"`{rule.key_text}`" in text, f"{code} {rule.key_text} is inferred but not listed"


def test_every_inferred_header_parameter_is_called_inferred():
    words = {"insufficient_operations": "insufficient operations", "de_minimis": "de minimis", "proof": "proof"}
    for code, crs in originrules.agreements().items():
        text = section(code)
        for p in crs.agreement.params:
            if p.provenance.inferred:
                row = next(line for line in text.splitlines() if line.startswith(f"| {words.get(p.keyword, p.keyword)}"))
                assert "inferred" in row.lower(), f"{code}: {p.keyword} is inferred in the ruleset"
