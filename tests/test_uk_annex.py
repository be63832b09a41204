"""The UK ruleset is the whole UK–India CETA annex: tools/compare_uk_annex.py finds no difference."""

from __future__ import annotations

import sys

import pytest

import originrules
from originrules.compile import compile_ruleset
from originrules.lang.resolve import load_text
from tests.conftest import REPO, SHARED, load_tool

UK_ROO = SHARED / "corpus" / "uk-roo"
pytestmark = pytest.mark.skipif(not UK_ROO.is_dir(), reason="../shared/corpus/uk-roo is not beside the repository")


def _tool():  # type: ignore[no-untyped-def]
    return load_tool("compare_uk_annex")


def test_every_rule_set_of_the_annex_selects_an_equivalent_rule():
    report = _tool().compare(str(UK_ROO))
    assert report["rule_sets"] == 313
    assert report["ends_checked"] > 600
    assert report["differences"] == []


def test_the_comparison_notices_a_changed_threshold_and_a_dropped_cth():
    text = (REPO / "rulesets" / "india-uk-ceta.roo").read_text(encoding="utf-8")
    text = text.replace(": QVC >= 35%\n", ": QVC >= 36%\n", 1)  # 8703 cars
    text = text.replace(": CTH and qvc(45%, 50%, 40%)\n", ": qvc(45%, 50%, 40%)\n", 1)  # ex 87 trucks
    mutated = compile_ruleset(load_text(text, "rulesets/india-uk-ceta.roo"))
    report = _tool().compare(str(UK_ROO), mutated)
    headings = {d["rule_set"].split(" (")[0] for d in report["differences"]}
    assert headings == {"8703", "ex Chapter 87"}


def test_the_ruleset_is_what_the_generator_writes():
    gen = REPO / "tools" / "uk_annex_to_roo.py"
    import subprocess

    done = subprocess.run([sys.executable, str(gen), str(UK_ROO)], capture_output=True, text=True, check=True)
    assert done.stdout == (REPO / "rulesets" / "india-uk-ceta.roo").read_text(encoding="utf-8")


def test_the_annex_trap_cth_and_a_or_b_or_c():
    # ex Chapter 87 trucks: a high QVC cannot rescue a failed CTH
    crs = originrules.find_agreement("UK")
    rule = crs.candidates("8704210000")[0].rule
    assert rule.text == "CTH and qvc(45%, 50%, 40%)"
