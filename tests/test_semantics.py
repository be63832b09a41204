"""The general law every rule is applied under: tolerance, cumulation, insufficient operations,
specificity, three-valued results."""

from __future__ import annotations

import pytest

import originrules
from originrules.errors import RulesetError
from tests.conftest import make_bom, material, ruleset

CTH_VA = ruleset("87: CTH and VA >= 45%\n")


def test_tariff_shift_tests_only_non_originating_materials():
    # an originating material of the product's own heading does not fail CTH
    bom = make_bom("871120", [material("own", "871190", "300", "IN", True)])
    assert originrules.check(bom, CTH_VA).originating is True


def test_a_material_code_too_short_for_the_level_fails_it_with_a_warning():
    bom = make_bom("871120", [material("short", "87", "200")])
    d = originrules.check(bom, CTH_VA)
    assert d.originating is False
    assert any("too short" in w and "short" in w for w in d.warnings)


def test_a_material_without_an_hs_code_leaves_the_shift_test_unknown():
    bom = make_bom("871120", [material("x", None, "200")])
    d = originrules.check(bom, CTH_VA)
    assert d.originating is None
    assert "materials[0].hs_code" in d.reasons[0]


def test_tolerance_covers_materials_of_unknown_classification_within_its_limit():
    bom = make_bom("871120", [material("x", None, "80")])  # 8% <= 10%
    assert originrules.check(bom, CTH_VA).originating is True


def test_de_minimis_absorbs_failing_materials_up_to_10_percent_of_the_basis():
    at_limit = make_bom("871120", [material("a", "871190", "60"), material("b", "871120", "40")])
    d = originrules.check(at_limit, CTH_VA)
    assert d.originating is True
    shift = d.trace.children[0]
    assert shift.detail["de_minimis"]["absorbed"] == ["a", "b"]
    over = make_bom("871120", [material("a", "871190", "60"), material("b", "871120", "40.01")])
    assert originrules.check(over, CTH_VA).originating is False


def test_de_minimis_is_taken_on_whichever_permitted_basis_the_producer_chooses():
    # 100 is 10.5% of ex-works 950 but 10% of FOB 1000: within tolerance on FOB
    bom = make_bom("871120", [material("a", "871190", "100")], fob="1000", ex_works="950")
    assert originrules.check(bom, CTH_VA).originating is True


def test_de_minimis_never_relaxes_a_value_test():
    # 100 absorbed for CTH still counts in VNM: VNM 600 -> VA 40% < 45%
    bom = make_bom("871120", [material("a", "871190", "100"), material("b", "840991", "500")], costs={"direct_labour": "0", "direct_overhead": "0"})
    d = originrules.check(bom, CTH_VA)
    assert d.trace.children[0].passed is True
    assert d.originating is False


def test_no_value_tolerance_for_products_of_an_excluded_chapter():
    rs = ruleset("61: CTH\n")
    bom = make_bom("610910", [material("a", "610990", "10")])  # 1%, but chapter 61 is excluded
    d = originrules.check(bom, rs)
    assert d.originating is False
    assert d.trace.detail["de_minimis"]["reason"] == "no tolerance for this product"


def test_originating_materials_of_a_cumulation_partner_count_as_originating():
    # UAE polypropylene declared originating counts under bilateral cumulation
    bom = make_bom("871120", [material("pp", "390210", "600", "AE", True)])
    d = originrules.check(bom, CTH_VA)
    assert d.originating is True
    assert d.materials[0].why == "declared originating in AE (cumulation)"


def test_an_undeclared_material_is_non_originating_unless_assume_origin():
    costs = {"direct_labour": "0", "direct_overhead": "0"}
    bom = make_bom("871120", [material("p", "390210", "600", "AE")], costs=costs)
    assert originrules.check(bom, CTH_VA).originating is False  # VA 40% by either method
    assumed = originrules.check(bom, CTH_VA, assume_origin=True)
    assert assumed.originating is True
    assert any("origin was to be assumed" in w and "p" in w for w in assumed.warnings)


def test_assume_origin_does_not_override_a_declaration_nor_reach_outside_the_zone():
    bom = make_bom("871120", [material("d", "390210", "600", "AE", False), material("j", "390210", "1", "JP")])
    d = originrules.check(bom, CTH_VA, assume_origin=True)
    assert [m.originating for m in d.materials] == [False, False]


def test_a_good_made_by_insufficient_operations_only_does_not_originate():
    bom = make_bom("871120", [material("a", "840991", "100")], processes=["packing", "Simple assembly"])
    d = originrules.check(bom, CTH_VA)
    assert d.originating is False
    assert d.trace.children[0].test == "insufficient_operations"
    more = make_bom("871120", [material("a", "840991", "100")], processes=["packing", "welding"])
    assert originrules.check(more, CTH_VA).originating is True


def test_an_uncomputable_value_test_is_reported_not_guessed():
    rs = ruleset("87: VA(build_down, fob) >= 45%\n")
    bom = make_bom("871120", [material("a", "840991", "100")], fob=None, ex_works="1000")
    d = originrules.check(bom, rs)
    assert d.originating is None
    assert "product.fob" in d.reasons[0]


def test_three_values_and_is_false_if_any_part_is_false_even_with_unknowns():
    rs = ruleset("87: VA(build_down, fob) >= 45% and CTH\n")
    bom = make_bom("871120", [material("a", "871190", "500")], fob=None, ex_works="1000")
    assert originrules.check(bom, rs).originating is False


def test_two_rules_for_the_same_code_at_the_same_level_are_a_load_time_error():
    with pytest.raises(RulesetError) as e:
        ruleset("8701-8705: CTH\n8703: CTSH\n")
    assert "overlaps" in e.value.render()
    assert "test.roo:" in e.value.render()


def test_overlapping_keys_at_different_levels_are_fine():
    rs = ruleset("87: CTH\n8703: CTSH\n870322: CC\n")
    assert len(rs.rules) == 3


EFTA_LIKE = """
agreement TST "tolerance kept within the rule's MaxNOM" {
    parties IN, CH           source "test"
    value_name MaxNOM        source "test"
    basis ex_works, fob      source "test"
    de_minimis 10% of basis within VNM  source "test"
}
"""
PARTS_RULE = "8708: CTH or VNM <= 50%\n"


def test_tolerance_may_not_push_vnm_past_the_rules_maxnom():
    capped = ruleset(PARTS_RULE, EFTA_LIKE)
    uncapped = ruleset(PARTS_RULE, EFTA_LIKE.replace(" within VNM", ""))
    # a same-heading part worth 8% fails CTH; tolerance would cover it, but VNM is 60% > 50%
    bom = make_bom("870899", [material("p", "870840", "80"), material("e", "840820", "520")], importing_country="CH")
    d = originrules.check(bom, capped)
    assert d.originating is False
    assert "may not exceed" in d.trace.children[0].detail["de_minimis"]["reason"]
    assert originrules.check(bom, uncapped).originating is True
    # within the cap, tolerance applies as usual
    small = make_bom("870899", [material("p", "870840", "80"), material("e", "840820", "400")], importing_country="CH")
    assert originrules.check(small, capped).originating is True


def test_uae_a_wholly_obtained_good_may_hold_1_percent_non_originating():
    # Rule 5(2): 1% of FOB (1,000): 10 of imported feed is within it, 10.01 is not
    within = make_bom("010121", [material("feed", "230990", "10")], wholly_obtained=True)
    assert originrules.check(within, "UAE").originating is True
    over = make_bom("010121", [material("feed", "230990", "10.01")], wholly_obtained=True)
    assert originrules.check(over, "UAE").originating is False
    # the general test agreement has no such allowance
    assert originrules.check(within, ruleset("01: WO\n")).originating is False


# ---------------------------------------------------------------- tolerances the UK articles give

_UK_HEADER = """
agreement TST "Test agreement" {
    parties     GB, VN                source "test"
    in_force    2021-01-01            source "test"
    cumulation  bilateral             source "test"
    value_name  RVC                   source "test"
    basis       ex_works              source "test"
    de_minimis  10% of basis except chapters 50-63 covering WO   source "test"
    de_minimis  10% of textile_weight for chapters 50-63         source "test"
}
"""


def test_a_tolerance_covering_wo_lets_through_materials_a_rule_requires_wholly_obtained():
    # Vietnam, sufficiently-worked.md 5: "the tolerance provided for in paragraphs 3 and 4 applies to the
    # sum of all the materials which are used in the manufacture of a product for which Annex II ...
    # requires that such materials be wholly obtained"
    rs = ruleset("1602: WO from chapter 02\n", _UK_HEADER)
    beef = material("beef", "020130", "900", "VN", True, wholly_obtained=True)

    def sausage(imported: str) -> bool | None:
        pork = material("pork", "020319", imported, "BR", False)
        return originrules.check(make_bom("160249", [beef, pork], fob="1000", ex_works="1000", exporting_country="VN", importing_country="GB"), rs).originating

    assert sausage("100") is True  # 10% of the ex-works price: within
    assert sausage("101") is False  # beyond
    without = ruleset("1602: WO from chapter 02\n", _UK_HEADER.replace(" covering WO", ""))
    pork = material("pork", "020319", "50", "BR", False)
    assert originrules.check(make_bom("160249", [beef, pork], exporting_country="VN", importing_country="GB"), without).originating is False


def test_the_mixed_textile_tolerance_is_ten_per_cent_of_the_weight_of_all_the_basic_textile_materials():
    # DCTS Note 4.1: "the conditions ... are not required to be applied to any basic textile materials
    # used in the manufacture of the good and which, taken together, represent 10% or less of the total
    # weight of all the basic textile materials used"
    rs = ruleset("5208-5212: manufacture from 5201-5203\n", _UK_HEADER)

    def fabric(nylon_kg: str, nylon_hs: str = "540211") -> bool | None:
        cotton = material("cotton", "520100", "600", "IN", False, net_weight_kg="9")
        nylon = material("nylon", nylon_hs, "300", "CN", False, net_weight_kg=nylon_kg)  # filament yarn: not from 5201-5203
        return originrules.check(make_bom("520811", [cotton, nylon], exporting_country="VN", importing_country="GB"), rs).originating

    assert fabric("1") is True  # 1 kg of 10 kg of textile materials: 10%
    assert fabric("1.2") is False  # 1.2 of 10.2: 11.8%
    assert fabric("0.5", nylon_hs="391990") is False  # not a basic textile material: the note does not cover it
