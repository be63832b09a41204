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
        for rule in crs.ruleset.rules:  # the imported schemes mark none (their citation is the prose)
            if rule.provenance.inferred:
                assert f"`{rule.key_text}`" in text, f"{code} {rule.key_text} is inferred but not listed"


def test_every_inferred_header_parameter_is_called_inferred():
    words = {"insufficient_operations": "insufficient operations", "de_minimis": "de minimis", "value_name": "value name", "hs_edition": "HS edition"}
    for code, crs in originrules.agreements().items():
        rows = [line for line in section(code).splitlines() if line.startswith("| ")]
        seen: dict[str, int] = {}
        for p in crs.agreement.params:
            # a method's row names it ("build-down", "direct method"); other rows name the keyword.
            # A keyword given several times (de_minimis) has as many rows, in the same order.
            word = str(p.value[0]).replace("_", "-") if p.keyword == "method" else words.get(p.keyword, p.keyword)
            nth = seen[word] = seen.get(word, -1) + 1
            if not p.provenance.inferred:
                continue
            named = [r for r in rows if word in r.split("|")[1]]
            row = named[nth] if nth < len(named) else (named[0] if len(named) == 1 else None)
            assert row is not None, f"{code}: no row for {word} in docs/agreements.md"
            assert "inferred" in row.lower(), f"{code}: {word} is inferred in the ruleset but not in the docs"
