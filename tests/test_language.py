"""Each row of LANGUAGE.md's table (1-12, 15): the real rule text, and a BOM whose verdict
was computed by hand."""

from __future__ import annotations

import pytest

import originrules
from originrules.lang import ast
from originrules.lang.resolve import load_text
from tests.conftest import HEADER, REPO, make_bom, material, rule_line, ruleset


def verdict(bom, agreement):  # type: ignore[no-untyped-def]
    return originrules.check(bom, agreement).originating


def find_node(trace, test):  # type: ignore[no-untyped-def]
    if trace.test == test:
        return trace
    for c in trace.children:
        found = find_node(c, test)
        if found:
            return found
    return None


# ---------------------------------------------------------------- row 1: CTH + VA 45% (UAE ch. 87)


def test_row1_uae_chapter87_every_non_originating_material_changes_heading_and_va_45():
    # FOB 1000: VNM 300 (an engine part of heading 8409) -> VA build-down = 70% >= 45%
    bom = make_bom("871120", [material("a", "840991", "300"), material("b", "871410", "200", "IN", True)], fob="1000", ex_works="960")
    d = originrules.check(bom, "UAE")
    assert d.originating is True
    assert d.rule.key == "87"
    assert d.rule.source == rule_line("india-uae-cepa.roo", "87")


def test_row1_va_45_is_on_fob_and_40_on_ex_works_five_points_lower():
    # VNM 580: FOB VA = 420/1000 = 42% < 45%; ex-works VA = (1000-580)/1000 = 42% >= 40% -> met
    bom = make_bom("871120", [material("a", "840991", "580")], fob="1000", ex_works="1000")
    assert verdict(bom, "UAE") is True
    # VNM 610: FOB 39%, ex-works 39% < 40% -> not met (build-up has no costs: give them, low)
    bom = make_bom("871120", [material("a", "840991", "610")], fob="1000", ex_works="1000", costs={"direct_labour": "10", "direct_overhead": "10"})
    assert verdict(bom, "UAE") is False


def test_row1_exactly_45_00_percent_meets_at_least_45():
    bom = make_bom("871120", [material("a", "840991", "550.00")], fob="1000.00", ex_works=None)
    d = originrules.check(bom, "UAE")
    assert d.originating is True
    node = find_node(d.trace, "value")
    assert node.detail["percent"] == "45.00"


def test_row1_a_non_originating_material_of_the_same_heading_fails_cth_beyond_tolerance():
    # 150 of heading 8711 > 10% of FOB (100) and of ex-works (96): CTH fails
    bom = make_bom("871120", [material("a", "871190", "150")], fob="1000", ex_works="960")
    d = originrules.check(bom, "UAE")
    assert d.originating is False
    shift = find_node(d.trace, "shift")
    assert [f["id"] for f in shift.detail["failing_materials"]] == ["a"]
    assert shift.detail["de_minimis"]["applied"] is False


# ---------------------------------------------------------------- row 2: CTH; or QVC 50/55/45 (UK 8407)


def test_row2_uk_engine_cth_or_qvc_alternatives():
    # a non-originating engine of the same heading: CTH fails, so the QVC alternatives decide.
    same_heading = material("e", "840790", "520")
    bom = make_bom("840790", [same_heading, material("o", "732690", "300", "IN", True)], ex_works="1000", fob="1050", importing_country="GB")
    # EXW-BD 48% < 50; FOB-BD 530/1050 = 50.48% < 55; BU 300/1000 = 30% < 45 -> not originating
    assert verdict(bom, "UK") is False
    bom = make_bom("840790", [material("e", "840790", "450"), material("o", "732690", "300", "IN", True)], ex_works="1000", fob="1050", importing_country="GB")
    # EXW-BD 55% >= 50 -> originating through the QVC arm
    assert verdict(bom, "UK") is True


# ---------------------------------------------------------------- row 3: CTH and (a or b or c) (UK ex-87)


def test_row3_uk_trucks_need_cth_and_one_of_three_qvcs():
    ok = make_bom("870421", [material("e", "840820", "300"), material("o", "870899", "200", "IN", True)], ex_works="1000", fob="1100")
    assert verdict(ok, "UK") is True  # CTH met; EXW-BD 70%
    low = make_bom("870421", [material("e", "840820", "560"), material("o", "870899", "200", "IN", True)], ex_works="1000", fob="1100")
    # EXW-BD 44% < 45; FOB-BD 540/1100 = 49.09% < 50; BU 200/1000 = 20% < 40
    assert verdict(low, "UK") is False


def test_row3_a_high_qvc_does_not_rescue_a_failed_cth():
    # The annex means CTH and (a or b or c), not (CTH and a) or b or c: QVC here is 80%,
    # but a non-originating part of heading 8704 above the 12.5% tolerance fails CTH.
    bom = make_bom("870421", [material("v", "870421", "200")], ex_works="1000", fob="1100")
    assert verdict(bom, "UK") is False


# ---------------------------------------------------------------- row 4: Standard QVC, a named sub-rule


def test_row4_standard_qvc_is_one_named_sub_rule():
    rs = originrules.find_agreement("UK")
    lets = {let.name for let in rs.ruleset.lets}
    assert "standard_qvc" in lets
    # 8716: CTSH and Standard QVC; EXW-BD exactly 40.00% meets the first arm
    bom = make_bom("871639", [material("a", "731100", "600")], ex_works="1000", fob="1000")
    d = originrules.check(bom, rs)
    assert d.originating is True
    call = find_node(d.trace, "call")
    assert call.text == "standard_qvc"


# ---------------------------------------------------------------- row 5: CTSH and VNM <= 50% (EFTA ch. 87)


def test_row5_maxnom_at_most_half_of_the_basis_is_non_originating():
    at_limit = make_bom("870322", [material("a", "840790", "500")], ex_works="1000", fob="1000", importing_country="CH")
    assert verdict(at_limit, "EFTA") is True
    over = make_bom("870322", [material("a", "840790", "500.01")], ex_works="1000", fob="1000", importing_country="CH")
    assert verdict(over, "EFTA") is False


# ---------------------------------------------------------------- row 6: CTH except from heading 8407


def test_row6_cth_except_from_heading_8407():
    rs = ruleset('8703: CTH except 8407\n8716: CTH except 8701-8705, chapter 40\n')
    engine = make_bom("870322", [material("e", "840790", "400")])
    assert verdict(engine, rs) is False  # changes heading, but 8407 is excepted
    other = make_bom("870322", [material("e", "840820", "400")])
    assert verdict(other, rs) is True
    assert verdict(make_bom("871639", [material("t", "870421", "400")]), rs) is False  # in the range
    assert verdict(make_bom("871639", [material("t", "401120", "400")]), rs) is False  # chapter 40
    assert verdict(make_bom("871639", [material("t", "870600", "400")]), rs) is True  # outside both


def test_row6_an_excepted_material_within_tolerance_is_absorbed():
    rs = ruleset("8703: CTH except 8407\n")
    small = make_bom("870322", [material("e", "840790", "90")])  # 9% <= 10%
    assert verdict(small, rs) is True


# ---------------------------------------------------------------- row 7: CC excluding chapter 4


def test_row7_change_of_chapter_excluding_non_originating_materials_of_chapter_4():
    rs = ruleset("2106: CC except chapter 04\n")
    dairy = make_bom("210690", [material("m", "040210", "300")])
    assert verdict(dairy, rs) is False
    sugar = make_bom("210690", [material("s", "170199", "300")])
    assert verdict(sugar, rs) is True


# ---------------------------------------------------------------- row 8: scoped VNM, tolerance withheld


def test_row8_cereal_materials_at_most_30_percent_and_no_tolerance_for_them():
    rs = ruleset("19: CC without tolerance for chapters 10-11 and VNM from chapters 10, 11 <= 30%\n")
    assert verdict(make_bom("190590", [material("f", "110100", "250")]), rs) is True  # 25%
    assert verdict(make_bom("190590", [material("f", "110100", "350")]), rs) is False  # 35% > 30%
    # VNM outside chapters 10-11 does not count towards the 30%
    assert verdict(make_bom("190590", [material("f", "110100", "250"), material("s", "170199", "400")]), rs) is True


def test_row8_tolerance_withheld_makes_a_small_failing_material_fail():
    with_tolerance = ruleset("19: CC\n")
    without = ruleset("19: CC without tolerance\n")
    small = make_bom("190590", [material("d", "190190", "50")])  # same chapter, 5% of basis
    assert verdict(small, with_tolerance) is True
    assert verdict(small, without) is False


# ---------------------------------------------------------------- row 9: specific process


def test_row9_ctsh_or_standard_qvc_or_chemical_reaction():
    rs = ruleset("let standard_qvc = QVC(build_down, ex_works) >= 40% or QVC(build_down, fob) >= 45%\n"
                 "29: CTSH or standard_qvc or process(chemical_reaction)\n")
    # same subheading, VNM 90%: only the process can qualify it
    bom = make_bom("291511", [material("a", "291511", "900")], processes=["Chemical reaction"])
    assert verdict(bom, rs) is True
    no_process = make_bom("291511", [material("a", "291511", "900")], processes=["blending"])
    assert verdict(no_process, rs) is False
    undeclared = make_bom("291511", [material("a", "291511", "900")])
    d = originrules.check(undeclared, rs)
    assert d.originating is None
    assert "product.processes" in d.reasons[0]


# ---------------------------------------------------------------- row 10: WO


def test_row10_wholly_obtained():
    rs = ruleset("01: WO\n")
    assert verdict(make_bom("010121", [], wholly_obtained=True), rs) is True
    assert verdict(make_bom("010121", [material("f", "230990", "10")]), rs) is False  # non-originating feed
    assert verdict(make_bom("010121", []), rs) is None  # nothing declared either way


# ---------------------------------------------------------------- row 11: QVC >= 35%, any method and basis


def test_row11_uk_cars_qvc_35_by_any_method_on_any_basis():
    # VNM 640 of ex-works 1000: EXW-BD 36% >= 35 -> originating
    assert verdict(make_bom("870322", [material("a", "840790", "640")], ex_works="1000", fob="1000"), "UK") is True
    # VNM 660, VOM 300: BD 34%, BU 30% on either basis -> not originating
    bom = make_bom("870322", [material("a", "840790", "660"), material("b", "870899", "300", "IN", True)], ex_works="1000", fob="1000")
    assert verdict(bom, "UK") is False
    # VNM 660, VOM 340: build-up 34% on ex-works... and on FOB 950 it is 35.79% -> the producer's choice
    bom = make_bom("870322", [material("a", "840790", "660"), material("b", "870899", "340", "IN", True)], ex_works="1000", fob="950")
    d = originrules.check(bom, "UK")
    assert d.originating is True
    node = find_node(d.trace, "value")
    assert (node.detail["method"], node.detail["basis"], node.detail["percent"]) == ("build_up", "fob", "35.79")


# ---------------------------------------------------------------- row 12: general rule, overridden by PSRs


def test_row12_general_rule_applies_where_no_psr_is_listed():
    rs = ruleset("general: RVC >= 35% and CTSH\n8703: WO\n")
    listed = make_bom("870322", [material("a", "840790", "100")])
    d = originrules.check(listed, rs)
    assert (d.rule.key, d.originating) == ("8703", False)
    unlisted = make_bom("610910", [material("a", "520812", "100")])
    d = originrules.check(unlisted, rs)
    assert (d.rule.key, d.originating) == ("general", True)


def test_most_specific_rule_wins_subheading_over_heading_over_chapter():
    rs = ruleset("87: WO\n8716: CTH\n871639: CTSH\n")
    assert originrules.check(make_bom("871639", []), rs).rule.key == "871639"
    assert originrules.check(make_bom("871620", []), rs).rule.key == "8716"
    assert originrules.check(make_bom("870322", []), rs).rule.key == "87"


def test_no_rule_is_undetermined_naming_agreement_and_code():
    rs = ruleset("87: WO\n")
    d = originrules.check(make_bom("610910", []), rs)
    assert d.originating is None and d.exit_code == 3
    assert "TST" in d.reasons[0] and "610910" in d.reasons[0]


# ---------------------------------------------------------------- row 15: ex 8401 next to 840140


EX_RULES = """
ex 8401 "Nuclear reactors" subdivision "reactors":   CTH
ex 8401 "Machinery for isotopic separation" subdivision "isotopic separation": CTSH
840140 "Parts of nuclear reactors":                   CC
"""


def test_row15_a_subheading_beats_the_ex_heading_rows():
    rs = ruleset(EX_RULES)
    assert originrules.check(make_bom("840140", []), rs).rule.key == "840140"


def test_row15_the_bom_names_the_subdivision_and_without_it_the_choices_are_named():
    rs = ruleset(EX_RULES)
    chosen = originrules.check(make_bom("840110", [], subdivision="Isotopic Separation"), rs)
    assert chosen.rule.subdivision == "isotopic separation"
    open_choice = originrules.check(make_bom("840110", []), rs)
    assert open_choice.originating is None
    assert {c.subdivision for c in open_choice.choices} == {"reactors", "isotopic separation"}
    assert "product.subdivision" in open_choice.reasons[0]


# ---------------------------------------------------------------- the design card


def test_design_card_rule_parses_unchanged_as_a_rule_body():
    rs = load_text(HEADER + "8716: CTH and RVC(build_down, ex_works) >= 45%\n", "card.roo")
    body = rs.rules[0].body
    assert rs.rules[0].text == "CTH and RVC(build_down, ex_works) >= 45%"
    assert isinstance(body, ast.And)
    shift, value = body.items
    assert isinstance(shift, ast.Shift) and shift.test == "CTH"
    assert (value.name, value.method, value.basis, value.operator, str(value.threshold)) == ("RVC", "build_down", "ex_works", ">=", "45%")


@pytest.mark.parametrize(
    "body",
    ["CTH", "CTSH and VA >= 40%", "(CTH or CTSH) and VA(fob) > 40%", "WO or process(melt_and_pour)", 'process("melt and pour")', "VNM(fob) <= 50%", "CC except 04, 8407, 8701-8705"],
)
def test_rule_bodies_parse(body):  # type: ignore[no-untyped-def]
    rs = load_text(HEADER + f"87: {body}\n", "t.roo")
    assert rs.rules[0].text == body


# ---------------------------------------------------------------- overlays

OVERLAY = """# ACME's reading of the UAE rules
extends UAE

agreement UAE {
    de_minimis 5% of basis
        source "ACME memo"
}

87 "Vehicles (ACME's reading)": CTH and VA >= 50%
    source "ACME memo"

7103 "Precious stones": WO
    source "ACME memo"
"""


def test_an_overlay_replaces_and_adds_rules_and_decisions_cite_its_file_and_line(tmp_path):
    import originrules
    from originrules.registry import load_file

    path = tmp_path / "acme.roo"
    path.write_text(OVERLAY, encoding="utf-8")
    crs = load_file(path)
    bom = originrules.load_bom(REPO / "examples" / "motorcycle-uae.json")
    d = originrules.check(bom, crs)
    assert (d.rule.text, d.rule.source) == ("CTH and VA >= 50%", f"{path}:9")
    assert [c.ref.source for c in crs.candidates("710310")] == [f"{path}:12"]
    assert crs.candidates("010121")[0].ref.source.startswith("rulesets/india-uae-cepa.roo:")  # the base's own rule, its own line
    assert [str(dm.percent) for dm in crs.agreement.de_minimis] == ["5"]  # the header line replaced


def test_lint_of_an_overlay_says_what_it_overrides_and_where(tmp_path):
    from click.testing import CliRunner

    from originrules.cli import main

    path = tmp_path / "acme.roo"
    path.write_text(OVERLAY, encoding="utf-8")
    out = CliRunner().invoke(main, ["lint", str(path)]).output
    assert f"{path}:9: note: [ORL270] rule 87 overrides rulesets/india-uae-cepa.roo:" in out
    assert f"{path}:5: note: [ORL270] header de_minimis overrides rulesets/india-uae-cepa.roo:" in out
    bad = tmp_path / "bad.roo"
    bad.write_text("extends UAE\n87: CTHH\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["lint", str(bad)]).output
    assert f"{bad}:2:" in out and "ORL201" in out


# ---------------------------------------------------------------- annex tables

@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("WO", "WO"),
        ("CC", "CC"),
        ("CTH", "CTH"),
        ("CTSH", "CTSH"),
        ("CTH + VA 40%", "CTH and VA >= 40%"),  # UAE CEPA Annexure-B's usual row
        ("CTSH + VA 35%", "CTSH and VA >= 35%"),
        ("RVC 35%", "VA >= 35%"),  # the agreement's own name for the regional value content
        ("CTH and RVC of 40%", "CTH and VA >= 40%"),
        ("CC or VA 35%", "CC or VA >= 35%"),
        ("VA not less than 35%", "VA >= 35%"),
        ("Manufacture from any heading", None),  # not a phrasing of these tables: left for a person
    ],
)
def test_an_annex_table_phrasing_becomes_the_rule_it_states(phrase, rule):
    from originrules.importers.table import translate

    assert translate(phrase, ("VA",)) == rule


def test_import_table_writes_an_overlay_that_decides_and_cites_each_row(tmp_path):
    import originrules
    from click.testing import CliRunner

    from originrules.cli import main
    from originrules.registry import load_file

    table = tmp_path / "annex.csv"
    table.write_text(
        'HS code,Description,Rule\n8711.20,"Motorcycles, 50-250 cc",CTH + VA 50%\n0101,Horses,WO\n7103,Stones,Manufacture from any heading\n',
        encoding="utf-8",
    )
    out = tmp_path / "uae-rows.roo"
    result = CliRunner().invoke(main, ["import", "table", str(table), "--agreement", "UAE", "-o", str(out)])
    assert result.exit_code == 3 and "2 of 3 rows translated" in result.output and "row 4: not translated" in result.output
    crs = load_file(out)
    d = originrules.check(originrules.load_bom(REPO / "examples" / "motorcycle-uae.json"), crs)
    assert d.rule.text == "CTH and VA >= 50%" and d.rule.legal_source == "annex.csv, row 2: CTH + VA 50%"
    assert d.rule.source == f"{out}:5"
