"""Each agreement's own provisions, with hand-computed verdicts."""

from __future__ import annotations

from decimal import Decimal

import originrules
from tests.conftest import make_bom, material

COSTS = {"direct_labour": "100", "direct_overhead": "50"}


def test_mauritius_build_up_counts_profit():
    # 210690: CTH and VA >= 35% on FOB. Build-down (1000 - 700) / 1000 = 30% fails;
    # build-up (100 + 100 + 50 + profit 100) / 1000 = 35% meets it.
    materials = [material("sugar", "170199", "700"), material("spice", "090411", "100", "IN", True)]
    with_profit = make_bom("210690", materials, fob="1000", ex_works=None, costs={**COSTS, "profit": "100"})
    assert originrules.check(with_profit, "MU").originating is True
    less_profit = make_bom("210690", materials, fob="1000", ex_works=None, costs={**COSTS, "profit": "99.99"})
    assert originrules.check(less_profit, "MU").originating is False


def test_mauritius_value_is_on_fob_only():
    bom = make_bom("210690", [material("sugar", "170199", "500")], fob=None, ex_works="1000")
    d = originrules.check(bom, "MAURITIUS")
    assert d.originating is None and "product.fob" in d.reasons[0]


def test_aitiga_general_rule_rvc_35_on_fob_by_the_indirect_method_and_ctsh():
    at_limit = make_bom("851712", [material("m", "850440", "650")], fob="1000", ex_works=None, costs={**COSTS, "profit": "0", "other_costs": "0"})
    assert originrules.check(at_limit, "ASEAN").originating is True  # VNM 65% of FOB
    over = make_bom("851712", [material("m", "850440", "651")], fob="1000", ex_works=None, costs={**COSTS, "profit": "0", "other_costs": "0"})
    assert originrules.check(over, "ASEAN").originating is False  # indirect 34.9%, direct 15%
    no_costs = make_bom("851712", [material("m", "850440", "651")], fob="1000", ex_works=None)
    assert originrules.check(no_costs, "ASEAN").originating is None  # the direct method needs the costs


def test_aitiga_has_no_de_minimis():
    bom = make_bom("851712", [material("m", "851712", "1")], fob="1000", ex_works=None, importing_country="SG")
    assert originrules.check(bom, "ASEAN").originating is False


def test_australia_general_rule_35_build_up_or_45_build_down_on_fob():
    materials = [material("n", "850440", "560"), material("o", "732690", "300", "IN", True)]
    assert originrules.check(make_bom("851712", materials, fob="1000", ex_works=None), "AU").originating is False  # BD 44%, BU 30%
    materials = [material("n", "850440", "560"), material("o", "732690", "350", "IN", True)]
    d = originrules.check(make_bom("851712", materials, fob="1000", ex_works=None), "AU")
    assert d.originating is True and d.rule.key == "general" and d.rule.inferred


def test_oman_vehicles_cth_and_va_45():
    bom = make_bom("870322", [material("e", "840790", "550")], fob="1000", ex_works="1000")
    assert originrules.check(bom, "OM").originating is True
    bom = make_bom("870322", [material("e", "840790", "551")], fob="1000", ex_works="1000", costs=COSTS)
    assert originrules.check(bom, "OM").originating is False


def test_uk_tolerance_depends_on_the_products_chapter():
    uk = originrules.find_agreement("UK")
    assert uk.tolerance("0306110000").percent == Decimal("7.5")
    assert uk.tolerance("0406100000").percent == Decimal("12.5")
    assert uk.tolerance("8703220000").percent == Decimal("12.5")


def test_efta_accumulates_with_every_efta_state():
    # Norwegian aluminium declared originating counts for an engine exported to Switzerland
    efta = originrules.find_agreement("ch").agreement
    assert efta.zone == {"IN", "CH", "IS", "LI", "NO"}
    bom = make_bom("870322", [material("al", "760120", "600", "NO", True)], importing_country="CH")
    assert originrules.check(bom, "EFTA").originating is True


def test_a_product_with_no_rule_is_undetermined_naming_agreement_and_code():
    d = originrules.check(make_bom("840890", []), "EFTA")
    assert d.originating is None and d.exit_code == 3
    assert d.reasons == ("EFTA has no rule for HS 840890 and no general rule",)


def test_a_route_reads_only_the_rulesets_whose_parties_include_both_countries():
    # 49 rulesets are shipped; India to the UAE is covered by one, and only it is read
    from originrules import registry

    registry._load_named.cache_clear()
    assert [crs.agreement.code for crs in registry.on_route("IN", "AE")] == ["UAE"]
    assert registry._load_named.cache_info().currsize == 1
    assert len(registry.codes()) == 49 and "UK-NEW-ZEALAND" in registry.codes()
    assert {crs.agreement.code for crs in registry.on_route("IN", "GB")} == {"UK", "UK-DCTS-GENERAL-ENHANCED", "UK-GSP"}


def test_an_agreement_named_on_the_command_line_is_found_from_the_index_reading_one_file():
    # one check reads one ruleset: the index beside the rulesets names its file, and the file,
    # once loaded, must say the same code or alias itself
    from originrules import registry

    registry._load_named.cache_clear()
    registry._scan.cache_clear()
    registry._catalogue.cache_clear()
    assert registry.find("uk").agreement.code == "UK"
    assert registry._load_named.cache_info().currsize == 1
    assert registry._scan.cache_info().currsize == 0  # no header was scanned


def test_an_index_that_names_the_wrong_file_is_not_believed(tmp_path, monkeypatch):
    import json
    import shutil

    from originrules import registry, resources

    shipped = resources.rulesets_dir()
    folder = tmp_path / "rulesets"
    shutil.copytree(shipped, folder, ignore=shutil.ignore_patterns("tests", "*.md"))
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    uae = next(e for e in index["agreements"] if e["code"] == "UAE")
    uk = next(e for e in index["agreements"] if e["code"] == "UK")
    uae["ruleset"], uk["ruleset"] = uk["ruleset"], uae["ruleset"]  # swapped: each points at the other's file
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    monkeypatch.setattr(resources, "rulesets_dir", lambda: folder)
    for cached in (registry._load_named, registry._scan, registry._catalogue):
        cached.cache_clear()
    try:
        assert registry.find("UAE").agreement.code == "UAE"
        assert registry.find("UK").agreement.code == "UK"
    finally:
        for cached in (registry._load_named, registry._scan, registry._catalogue):
            cached.cache_clear()
