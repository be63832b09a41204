"""The independent check of the UK's schemes (tools/compare_uk_schemes.py): a second reading of
the prose, by regular expressions rather than the importer's grammar, agrees with the shipped
rulesets at both ends of every rule set's code range."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert len(reports) == 42
    assert [(r["scheme"], d) for r in reports for d in r["differences"]] == []
    assert sum(r["ends_checked"] for r in reports) > 50_000
    assert sum(r["read_independently"] for r in reports) > 26_000
    # translated by the importer but beyond this reader (their selection is checked, their reading not):
    # 144 of the ~26,600 translated rule sets on 2026-12-04; fewer than 1%
    translated = sum(r["translated_not_read"] + r["read_independently"] for r in reports)
    assert sum(r["translated_not_read"] for r in reports) < translated / 100


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


def test_the_check_notices_the_two_lenient_readings_it_found_in_the_pem_lists():
    # 3205: "except heading 3203, heading 3204 and heading 3205. However, materials of heading 3205 may
    # be used ... 20%"; 3002: "including other materials of heading 3002. However, materials of the same
    # description as the product may be used ... 20%". The importer once read both as an allowance that
    # let 3203 and 3204 in (3205) or held nothing back (3002).
    text = (REPO / "rulesets" / "uk-albania.roo").read_text(encoding="utf-8")
    right_3205, right_3002 = "manufacture except 3203, 3204 and VNM from 3205 <= 20%", "manufacture and VNM from materials_of_the_same_description_as_the_product <= 20%"
    assert right_3205 in text and right_3002 in text
    lenient = text.replace(right_3205, "manufacture except 3203, 3204, 3205 allowing 20%").replace(right_3002, "manufacture allowing 20%")
    report = _tool().compare_scheme(RULE_SETS / "albania.json", compile_ruleset(load_text(lenient, "rulesets/uk-albania.roo")))
    assert {d["rule_set"].split(" (")[0] for d in report["differences"]} == {"3205", "3002"}


def test_a_phrasing_only_one_scheme_uses_does_not_count_as_read_when_that_scheme_is_left_out(tmp_path):  # type: ignore[no-untyped-def]
    # tools/uk_unseen.py: "CTH" is read for the other schemes, New Zealand-like "Process Rule" only for its own
    def scheme(name: str, *texts: str) -> Path:
        rule_sets = [{"heading": f"{8401 + i}", "min": f"{8401 + i}000000", "max": f"{8401 + i}999999", "rules": [{"rule": t}]} for i, t in enumerate(texts)]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"rule_sets": rule_sets}), encoding="utf-8")
        return path

    files = [scheme("a", "CTH", "CTH"), scheme("b", "CTH"), scheme("c", "CTH", "Process Rule")]
    rows = {name: (n, translated, unseen) for name, n, translated, unseen in load_tool("uk_unseen").estimate(files)}
    assert rows == {"a": (2, 2, 2), "b": (1, 1, 1), "c": (2, 2, 1)}


# ---------------------------------------------------------------- the headers, read again


def _headers():  # type: ignore[no-untyped-def]
    return load_tool("compare_uk_headers")


CORPUS = SHARED / "corpus" / "uk-roo"


def test_every_schemes_header_agrees_with_a_second_reading_of_its_articles():
    tool = _headers()
    schemes = sorted(p.stem for p in RULE_SETS.glob("*.json") if p.stem != "india")
    reports = [tool.compare_scheme(CORPUS, s) for s in schemes]
    assert len(reports) == 42
    assert [(r["scheme"], d) for r in reports for d in r["differences"]] == []
    assert sum(r["tolerance_read"] for r in reports) == 39  # all but the two DCTS schemes and GSP, whose articles give none


def test_the_header_check_notices_a_changed_rate_a_lost_weight_line_textiles_let_in_and_the_notes_tolerances():
    tool = _headers()
    text = (REPO / "rulesets" / "uk-vietnam.roo").read_text(encoding="utf-8")
    line = "    de_minimis 10% of basis except chapters 50-63 within VNM covering WO\n"
    assert line in text
    for changed, what in (
        (text.replace(line, line.replace("10%", "15%")), "tolerance by value"),
        (text.replace(line, line.replace(" except chapters 50-63", "")), "tolerance by value"),
        (text.replace("    de_minimis 10% of net_weight for", "    de_minimis 10% of basis for", 1), "tolerance by weight"),
        (text.replace(line, line.replace(" covering WO", "")), "tolerance covering wholly obtained"),
        (text.replace("    de_minimis 10% of textile_weight", "    de_minimis 15% of textile_weight", 1), "mixed textile tolerance"),
    ):
        ag = compile_ruleset(load_text(changed, "rulesets/uk-vietnam.roo")).agreement
        assert any(d.startswith(what) for d in tool.compare_scheme(CORPUS, "vietnam", ag)["differences"]), what
