"""Real inputs: intermediates made by the producer, other currencies, material roles, HS codes
that lost a leading zero."""

from __future__ import annotations

from decimal import Decimal

import pytest

import originrules
from originrules.bom import from_dict
from originrules.errors import BomError
from tests.conftest import ruleset

RULES = ruleset("87: CTH and VA(build_down) >= 45%\n8714: CTH\n")


def bom(materials, **product):  # type: ignore[no-untyped-def]
    p = {"hs_code": "871120", "fob": "1000", "ex_works": "1000", "currency": "USD", "exporting_country": "IN", **product}
    return {"product": p, "materials": materials}


FRAME_OK = {"id": "frame", "hs_code": "871410", "value": "400", "origin": "IN",
            "materials": [{"id": "tube", "hs_code": "730630", "value": "300", "origin": "CN"}]}
FRAME_NOT = {"id": "frame", "hs_code": "871410", "value": "400", "origin": "IN",
             "materials": [{"id": "half", "hs_code": "871410", "value": "300", "origin": "CN"}]}


def test_an_intermediate_that_originates_counts_in_full_as_originating():
    # the frame (8714) changes heading from its steel tube, so it originates; the motorcycle's
    # VNM is then 200 (engine) -> VA 80%, although the tube's 300 was non-originating
    d = originrules.check(from_dict(bom([FRAME_OK, {"id": "engine", "hs_code": "840733", "value": "200", "origin": "JP"}])), RULES)
    assert d.originating is True
    (mid, sub), = d.intermediates
    assert (mid, sub.originating, sub.rule.key) == ("frame", True, "8714")
    assert d.to_dict()["materials"]["non_originating_value"] == "200"


def test_an_intermediate_that_does_not_originate_counts_in_full_as_non_originating():
    # the frame is made from a same-heading half-frame: it does not originate, so all 400 is
    # non-originating in the motorcycle: VNM 600 -> VA 40% < 45%
    d = originrules.check(from_dict(bom([FRAME_NOT, {"id": "engine", "hs_code": "840733", "value": "200", "origin": "JP"}])), RULES)
    assert d.originating is False
    assert d.intermediates[0][1].originating is False
    data = d.to_dict()
    assert data["intermediates"][0]["material"] == "frame" and data["intermediates"][0]["trace"]["passed"] is False


def test_intermediates_nest_and_excessive_depth_is_an_error():
    leaf = {"id": "x", "hs_code": "730630", "value": "1", "origin": "CN"}
    for level in range(12):
        leaf = {"id": f"l{level}", "hs_code": "871410", "value": "1", "origin": "IN", "materials": [leaf]}
    with pytest.raises(BomError) as e:
        from_dict(bom([leaf]))
    assert "nested more than 10 levels deep" in e.value.render()


def test_an_intermediate_cannot_declare_its_own_origin():
    with pytest.raises(BomError) as e:
        from_dict(bom([{**FRAME_OK, "originating": True}]))
    assert "materials[0].originating: an intermediate's origin is decided from its own materials" in e.value.render()


def test_values_in_another_currency_use_the_boms_rates():
    data = bom([{"id": "e", "hs_code": "840733", "value": "5", "currency": "EUR", "origin": "DE"}])
    data["exchange_rates"] = {"EUR": "110.50"}
    b = from_dict(data)
    assert b.materials[0].value == Decimal("552.50")  # 5 EUR x 110.50 USD
    assert originrules.check(b, RULES).originating is False  # VA 44.75%
    assert b.to_dict()["materials"][0]["value"] == "5"  # the digest reads what was given


def test_a_missing_rate_is_an_error_naming_the_material():
    with pytest.raises(BomError) as e:
        from_dict(bom([{"id": "e", "hs_code": "840733", "value": "5", "currency": "EUR", "origin": "DE"}]))
    assert "materials[0].currency: EUR has no rate in exchange_rates" in e.value.render()


def test_roles_are_treated_as_the_agreement_header_says():
    header_rules = ruleset("87: CTH and VA(build_down) >= 45%\n", __import__("tests.conftest", fromlist=["HEADER"]).HEADER.replace(
        "}", '    treat tool, retail_packing as value_only source "t"\n    treat transport_packing as ignored source "t"\n    treat indirect as originating source "t"\n}'))
    materials = [
        {"id": "kit", "hs_code": "871120", "value": "50", "origin": "CN", "role": "tool"},  # same heading, but value only
        {"id": "crate", "hs_code": "441520", "value": "500", "origin": "CN", "role": "transport_packing"},  # ignored
        {"id": "power", "hs_code": "271600", "value": "100", "origin": "CN", "role": "indirect"},  # originating
        {"id": "engine", "hs_code": "840733", "value": "450", "origin": "JP"},
    ]
    d = originrules.check(from_dict(bom(materials)), header_rules)
    # CTH ignores the tool; VNM = 50 + 450 = 500 -> VA 50%; the crate counts nowhere; power is originating
    assert d.originating is True
    assert d.to_dict()["trace"]["children"][0]["failing_materials"] == []


def test_the_shipped_rulesets_treat_roles_in_the_rulesets_not_in_python():
    # every role is treated by a `treat` line of the ruleset, with its source (the UK schemes' from their
    # articles: Vietnam's retail packing is a material like any other, Japan's counts in value only)
    roles = {"accessory", "spare_part", "tool", "retail_packing", "transport_packing", "indirect"}
    for code, crs in originrules.agreements().items():
        assert set(crs.agreement.treatments) == roles, code
        assert all(p.provenance.source for p in crs.agreement.params if p.keyword == "treat"), code
    assert originrules.find_agreement("UK-VIETNAM").agreement.treatments["retail_packing"] == "normal"
    assert originrules.find_agreement("UK-JAPAN").agreement.treatments["retail_packing"] == "value_only"


def test_an_hs_code_that_lost_its_leading_zero_is_restored_with_a_warning():
    b = from_dict(bom([{"id": "f", "hs_code": "30559", "value": "10", "origin": "NO"}], hs_code="160420"))
    assert b.materials[0].hs_code == "030559"
    d = originrules.check(b, "UAE")
    assert any("30559" in w and "030559" in w for w in d.warnings)
