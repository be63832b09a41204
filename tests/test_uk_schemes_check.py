"""The independent check of the UK's schemes (tools/compare_uk_schemes.py): a second reading of
the prose, by regular expressions rather than the importer's grammar, agrees with the shipped
rulesets at both ends of every rule set's code range."""

from __future__ import annotations

import pytest

from originrules.compile import compile_ruleset
from originrules.lang.resolve import load_text
from tests.conftest import REPO, SHARED, load_tool

RULE_SETS = SHARED / "corpus" / "uk-roo" / "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets"
pytestmark = pytest.mark.skipif(not RULE_SETS.is_dir(), reason="../shared/corpus/uk-roo is not beside the repository")


def _tool():  # type: ignore[no-untyped-def]
    return load_tool("compare_uk_schemes")


def test_every_scheme_agrees_with_a_second_reading_of_its_prose():
    tool = _tool()
    reports = [tool.compare_scheme(p) for p in sorted(RULE_SETS.glob("*.json")) if p.stem != "india"]
    assert len(reports) == 36
    assert [(r["scheme"], d) for r in reports for d in r["differences"]] == []
    assert sum(r["ends_checked"] for r in reports) > 40_000
    assert sum(r["read_independently"] for r in reports) > 18_000


def test_the_check_notices_a_changed_threshold_and_a_dropped_shift():
    text = (REPO / "rulesets" / "uk-eu.roo").read_text(encoding="utf-8")
    # EU TCA 8401-8406: "CTH; or MaxNOM 50% (EXW)"; 8407-8408: "MaxNOM 50% (EXW)"
    changed = text.replace("\n8401-8406: CTH or VNM <= 50%\n", "\n8401-8406: CTSH or VNM <= 50%\n", 1)
    changed = changed.replace("\n8407-8408: VNM <= 50%\n", "\n8407-8408: VNM <= 55%\n", 1)
    assert changed.count("CTSH or VNM <= 50%") == text.count("CTSH or VNM <= 50%") + 1 and "8407-8408: VNM <= 55%" in changed
    mutated = compile_ruleset(load_text(changed, "rulesets/uk-eu.roo"))
    report = _tool().compare_scheme(RULE_SETS / "eu.json", mutated)
    assert {d["rule_set"].split(" (")[0] for d in report["differences"]} == {"8401-8406", "8407-8408"}


def test_the_check_reads_cptpps_lettered_value_lists_and_notices_a_changed_focused_value():
    # CPTPP 4304: "... a regional value content of not less than: - a) 30% under the build-up method.
    # - b) 40% under the build-down method. - c) 50% under the focused value method taking into
    # account only the non-originating materials of heading 4304" (three entries in the data)
    text = (REPO / "rulesets" / "uk-cptpp.roo").read_text(encoding="utf-8")
    line = "\n4304: CTH or (RVC(build_up) >= 30% or RVC(build_down) >= 40% or VNM from 4304 <= 50%)\n"
    assert line in text
    mutated = compile_ruleset(load_text(text.replace(line, line.replace("VNM from 4304 <= 50%", "VNM from 4304 <= 55%")), "rulesets/uk-cptpp.roo"))
    report = _tool().compare_scheme(RULE_SETS / "cptpp.json", mutated)
    assert {d["rule_set"].split(" (")[0] for d in report["differences"]} == {"4304"}  # at both ends of its range
