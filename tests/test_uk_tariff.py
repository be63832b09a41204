"""`originrules import uk-tariff`: the UK Online Trade Tariff's rule sets read by a grammar of
the legal phrasings, and the 42 schemes shipped from it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import originrules
from originrules import resources
from originrules.cli import main
from originrules.importers.uk_tariff import MATERIALS, Untranslatable, import_uk_tariff, normalise, translate_entry
from originrules.lang.format import expr_text
from tests.conftest import REPO, SHARED, make_bom, material, ruleset

UK_ROO = SHARED / "corpus" / "uk-roo"
RULE_SETS = UK_ROO / "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets"
needs_corpus = pytest.mark.skipif(not RULE_SETS.is_dir(), reason="../shared/corpus/uk-roo is not beside the repository")


# ---------------------------------------------------------------- the phrasings


@pytest.mark.parametrize(
    ("prose", "rule"),
    [
        ("Manufacture from materials of any heading, except that of the product.", "CTH"),
        ("Manufacture in which all the materials used are classified within a heading other than that of the product.", "CTH"),
        ("Manufacture from materials of any subheading, except that of the good.", "CTSH"),
        ("Manufacture in which the value of all the materials used does not exceed 40% of the ex‐works price of the product.", "VNM <= 40%"),
        ("Manufacture: - from materials of any heading, except that of the product, *and* - in which the value of all the materials used does not exceed 50% of the ex-works price of the product.", "CTH and VNM <= 50%"),
        ("Manufacture from materials of any heading, except that of the product. However, materials of the same heading as the product may be used, provided that their total value does not exceed 20% of the ex-works price of the product.", "CTH allowing 20%"),
        ("Manufacture in which the value of all the materials of chapter 17 used does not exceed 30% of the ex-works price of the product.", "VNM from chapter 17 <= 30%"),
        ("Manufacture in which all the materials of chapter 24 used are wholly obtained.", "WO from chapter 24"),
        ("Manufacture from yarn.", "manufacture from yarn"),
        ("Manufacture from materials of any heading, except those of heading 7106, heading 7108 and heading 7110.", "manufacture except 7106, 7108, 7110"),
        ("CTH: All non-originating materials used in the production of the good have undergone a change in tariff classification at the 4-digit level (tariff heading).", "CTH"),
        ("The good has a Regional Value Content (RVC) as calculated under Article 4 of the Origin Reference Document of not less than 40%, whether using the build-up method or build-down method (RVC40).", "RVC >= 40%"),
        ("A change to a good of heading 0101 to heading 0106 from any other chapter.", "CC"),
        ("A change to subheading 2009.11 from any other chapter, except from heading 08.05 or 20.07.", "CC except 0805, 2007"),
        ("No change in tariff classification required for a good of heading 8473, provided there is a regional value content of not less than 40% under the build-down method.", "RVC(build_down) >= 40%"),
        ("A maximum of 50% of the ex-works price (EXW) is made up of non-originating parts (MAXNOM).", "VNM <= 50%"),
        ("The maximum value of non-originating materials (MaxNOM) cannot exceed 70% of the ex-works price (EXW) of the good. (until 31 December 2023)", "(VNM <= 70%) until 2023-12-31"),
        ("Manufacture in which: - the value of all the materials used does not exceed 40% of the ex-works price of the product, *and* - the value of all the non-originating materials used does not exceed the value of all the originating materials used.", "VNM <= 40% and VNM(materials) <= 50%"),
        ("Weaving, combined with making-up, including cutting of fabric.", "process(weaving_combined_with_making_up_including_cutting_of_fabric)"),
        ("Manufacture from materials not classified in heading 4909 or heading 4911.", "manufacture except 4909, 4911"),
        ("Manufacture in which all the materials used are classified within a heading other than heading 3701 or heading 3702.", "manufacture except 3701, 3702"),
        ("Manufacture from materials of any heading, except that of the product and heading 3301.", "CTH except 3301"),
        ("CTH except from non-originating materials of heading 8607.", "CTH except 8607"),
        ("Manufacture: - in which the value of all the materials used does not exceed 40% of the ex-works price of the product - where, within the above limit, the materials classified within heading 8431 are only used up to a value of 10% of the ex-works price of the product.", "VNM <= 40% and VNM from 8431 <= 10%"),
        ("Manufacture in which the value of the materials of chapter 17 used does not exceed 30% of the ex-works price of the product.", "VNM from chapter 17 <= 30%"),
        ("Manufacture from unwrought precious metals.", "manufacture from unwrought_precious_metals"),
        ("Manufacture from materials of any heading. However, the value of all the materials of heading 4104 and heading 4105 used may not exceed 50% of the ex-works price of the product.", "manufacture and VNM from 4104, 4105 <= 50%"),
        ("CTH, provided that: - all the materials of chapter 4 used are wholly obtained, and - the total weight of non-originating materials of heading 1701 and heading 1702 used does not exceed 40% of the weight of the product.", "CTH and WO from chapter 04 and VNM(net_weight) from 1701, 1702 <= 40%"),
        ("A change from any other subheading, provided that: - the net weight of non-originating sugar used in production does not exceed 20% of the net weight of the product, *and* - the net weight of non-originating material of heading 0407 to heading 0410 used in production does not exceed 20% of the net weight of the product.", "CTSH and VNM(net_weight) from 1701-1702 <= 20% and VNM(net_weight) from 0407-0410 <= 20%"),
        ("Production from non-originating material of any heading.", "manufacture"),
        ("Manufacture in which all the materials used are classified within a heading other than that of the product. However, waste and scrap of heading 7802 may not be used.", "CTH except 7802"),
        ("Manufacture in which all the materials used are classified within a heading other than that of the product. However, mustard flour or meal or prepared mustard may be used.", "CTH allowing mustard"),
        ("Manufacture from 'bullion' or 'work' lead.", "manufacture from unrefined_lead"),
        ("Manufacture from wood in the rough, whether or not stripped of its bark or merely roughed down.", "manufacture from wood_in_the_rough"),
        ("Manufacture by thermal or electrolytic treatment from unalloyed aluminium or waste and scrap of aluminium.", "process(thermal_or_electrolytic_treatment) and manufacture from unalloyed_aluminium_or_scrap"),
        ("A change to a good of heading 0406 from any other chapter, except from dairy preparations of subheading 190190 containing more than 10% by dry weight of milk solids.", "CC except dairy_preparations_190190_over_10"),
        ("Manufacture from materials of any heading, except that of the product. However, knife blades and handles of base metal may be used.", "CTH allowing knife_blades_and_handles"),
        ("Manufacture from materials of any heading, except that of the product. However, materials of subheading 960891 or subheading 960899 may be used.", "CTH allowing 960891, 960899"),
        ("Manufacture from rubber thread or cord, not textile covered.", "manufacture from rubber_thread"),
        ("Manufacture from materials of heading 4104 to heading 4106, heading 4107, heading 4112 or heading 4113, provided that their total value does not exceed 50% of the ex-works price of the product.",
         "manufacture from 4104-4106, 4107, 4112, 4113 and VNM from 4104-4106, 4107, 4112, 4113 <= 50%"),
        ("Manufacture in which all the materials used are classified in a heading other than that of the product.", "CTH"),
        ("Process Rule.", "process(process_rule)"),
        ("Manufacture in which at least 70% by weight of the unmanufactured tobacco or tobacco refuse of heading 2401 used must already be originating.", "VNM(materials_weight) from 2401 <= 30%"),
        ("Manufacture from animals of Chapter 1.", "manufacture from chapter 01"),
        ("Manufacture from tanning extracts of vegetable origin.", "manufacture from tanning_extracts_of_vegetable_origin"),
        ("Manufacture: - from animals of chapter 1, and / or - in which all the materials of chapter 3 used are wholly obtained.",
         "(manufacture from chapter 01 or WO from chapter 03)"),
        ("Manufacture in which: - all the cereals, sugar or molasses, meat or milk used are originating, and - all the materials of chapter 3 used are wholly obtained.",
         "VNM from chapter 10, chapter 02, 0401-0404, 1701-1702, 1703 <= 0% and WO from chapter 03"),
        ("Manufacture from materials of any heading except that of the product, in accordance with Appendix 2A of the Origin Reference Document.", "CTH"),
        ("Manufacture in which all the cereals and derivatives (except durum wheat and its derivatives) used are wholly obtained.",
         "WO from cereals_and_derivatives_except_durum_wheat_and_its_derivatives"),
        ("Operations of refining and / or one or more specific process(es).", "process(operations_of_refining_and_or_one_or_more_specific_process_es)"),
        ("Cutting of glassware, provided that the total value of the uncut glassware used does not exceed 50% of the ex-works price of the product.",
         "process(cutting_of_glassware) and VNM from uncut_glassware <= 50%"),
        ("Other operations than those referred to above in which all the materials used are classified within a heading other than that of the product. However, materials classified within the same heading may be used provided their value does not exceed 50% of the ex-works price of the product.",
         "CTH allowing 50%"),
        ("Manufacture from riven staves, not further worked than sawn on the two principal surfaces.",
         "manufacture from riven_staves_not_further_worked_than_sawn_on_the_two_principal_surfaces"),
        ("Manufacture from materials of any heading, including other materials of heading 3002. The materials of this description may also be used, provided their value does not exceed 20% of the ex-works price of the product.",
         "manufacture and VNM from materials_of_this_description <= 20%"),
        ("Manufacture from materials of any heading, including other materials of heading 2905. However, metal alcoholates of this heading may be used, provided that their total value does not exceed 20% of the ex-works price of the product.",
         "manufacture and VNM from metal_alcoholates_of_this_heading <= 20%"),
        ("Hand-decoration (except silk-screen printing) of hand-blown glassware, provided that the total value of the hand-blown glassware used does not exceed 50% of the ex-works price of the product.",
         "process(hand_decoration_except_silk_screen_printing_of_hand_blown_glassware) and VNM from hand_blown_glassware <= 50%"),
        ("Manufacture from semi-finished products of heading 7224.", "manufacture from 7224"),  # "products" is a word, never a keyword
        ("Manufacture in which all the materials used must already be originating.", "VNM <= 0%"),
        # EU 6307: "the value of non-originating materials used" is every non-originating material's value
        ("Production in which the value of non-originating materials used does not exceed 40% of the transaction value or ex-works price of the product.",
         "VNM <= 40%"),
        # EU 6001-6006 writes no "the": the same yarns, the same name as in the PEM lists
        ("Twisting or texturing combined with knitting or with crocheting provided that the value of non-originating non-twisted or non-textured yarns used does not exceed 50% of the ex-works price (EXW) of the product.",
         "process(twisting_or_texturing_combined_with_knitting_or_with_crocheting) and VNM from non_twisted_or_non_textured_yarns <= 50%"),
        # Iceland-Norway ex 7102: "of" for "from" (once read as a process named by the words)
        ("Manufacture of materials of any subheading except that of the product.", "CTSH"),
        ("Manufacture in which the value of all the materials used does not exceed 60% of the ex works price of the product.", "VNM <= 60%"),
        ("Manufacture in which all the materials used are classified within a heading other than heading 3701 or heading 3702. However, materials from heading 3702 may be used provided their value does not exceed 30% of the ex-works price of the product.",
         "manufacture except 3701 and VNM from 3702 <= 30%"),
        ("Manufacture in which all the product of chapter 11 used are originating.", "VNM from chapter 11 <= 0%"),
        # UK-Canada 8427 and 820713: the second arm beside "a change from any other heading, except from heading 8431"
        ("A change from heading 8431, whether or not there is also a change from any other heading, provided that the value of non-originating materials of heading 8431 does not exceed 50% of the transaction value or ex-works price of the product.",
         "CTH allowing 8431 and VNM from 8431 <= 50%"),
        ("A change from subheading 820719 or heading 8209, whether or not there is also a change from any other heading, provided that the value of non-originating materials of subheading 820719 or heading 8209 does not exceed 50% of the transaction value or ex-works price of the product.",
         "CTH allowing 820719, 8209 and VNM from 820719, 8209 <= 50%"),
        ("Manufacture in which the value of all the materials used, except natural rubber, does not exceed 50% of the ex-works price of the product.",
         "VNM from materials_other_than_natural_rubber <= 50%"),
        ("Manufacture in which: - all the fruit and nuts used are wholly obtained, and - the value of all the materials of chapter 17 used does not exceed 30% of the value of the ex-works price of the product.",
         "WO from chapter 08, 0801-0802 and VNM from chapter 17 <= 30%"),
        ("Printing accompanied by at least two preparatory or finishing operations, provided that the value of the unprinted fabric used does not exceed 47.5% of the ex-works price of the product (for special conditions relating to goods made of a mixture of textile materials, see Note 4 in Part 1 of this Schedule).",
         ("process(printing_accompanied_by_at_least_two_preparatory_or_finishing_operations) and VNM from 5007, 5111-5113, 5208-5212, 5309-5311, "
          "5407-5408, 5512-5516, 5602-5603, 5801-5806, 5809-5811, 5901-5907, 6001-6006 <= 47.5%")),
        ("Manufacture from base metal parts, not plated or covered with precious metals, provided that the value of all the materials used does not exceed 50% of the ex-works price of the product.",
         "manufacture from base_metal_parts_not_plated_or_covered_with_precious_metals and VNM <= 50%"),
        ("Manufacture: - from materials of any heading, except that of the product, and - in which all the grapes or materials derived from grapes used are wholly obtained.",
         "CTH and WO from grapes_or_materials_derived_from_grapes"),
        ("Manufacture in which: - all the materials used are classified within a heading other than that of the product - all the grapes or any material derived from grapes used must be wholly obtained.",
         "CTH and WO from grapes_or_materials_derived_from_grapes"),
        ("No change in tariff classification required, provided that the good is smoked from a good that is not smoked.", "process(smoked_from_a_good_that_is_not_smoked)"),
        ("The operation of diffusion, in which integrated circuits are formed on a semi-conductor substrate by the selective introduction of an appropriate dopant, whether or not assembled and / or tested in a country other than those specified in Article 3.",
         "process(diffusion)"),
    ],
)
def test_each_legal_phrasing_becomes_its_rule(prose: str, rule: str) -> None:
    assert translate_entry(prose)[0] == rule


def test_a_change_limited_to_a_description_of_goods_is_not_guessed():
    # CPTPP 030444: "A change to Merluccius angustimanus (Panama hake) ... of subheading 030444 from any other chapter"
    with pytest.raises(Untranslatable, match="description of goods"):
        translate_entry("A change to Merluccius angustimanus (Panama hake) of subheading 030444 from any other chapter.")


def test_goods_described_narrower_than_the_code_get_a_rule_of_their_own_and_other_goods_another():
    # CPTPP 820590: "A change to anvils, portable forges, hand- or pedal-operated grinding wheels with
    # frameworks of subheading 820590 from any other chapter. || A change to any other good of
    # subheading 820590 from any other chapter. || No change in tariff classification required for any
    # other good of subheading 820590, provided there is a regional value content of not less than ..."
    # The value content is an arm for the other goods only: an anvil must change chapter.
    from originrules.engine import check

    crs = originrules.find_agreement("UK-CPTPP")
    anvils = "Anvils, portable forges, hand- or pedal-operated grinding wheels with frameworks of subheading 820590"
    other = "Any other good of subheading 820590"
    assert {cr.rule.subdivision for cr in crs.candidates("820590")} == {anvils, other}

    def tool(subdivision: str | None):  # type: ignore[no-untyped-def]
        # a non-originating part of 8205 does not change chapter, and is 30% of the value (above the 10% tolerance)
        chosen = {"subdivision": subdivision} if subdivision else {}
        bom = make_bom("820590", [material("steel", "722830", "100", "AU", originating=True),
                                  material("frame", "820590", "300", "CN")], importing_country="GB", exporting_country="AU", **chosen)
        return check(bom, crs)

    assert tool(anvils).verdict == "not originating"  # no change of chapter for the frame
    assert tool(other).verdict == "originating"  # the value content of any other good is met
    assert tool(None).verdict == "undetermined"  # the BOM must say which goods it is
    assert anvils in str(tool(None).to_dict())


def test_prose_outside_the_grammar_is_untranslatable_not_guessed():
    with pytest.raises(Untranslatable):
        translate_entry("Manufacture from highly-transparent polyester-foils with a thickness of less than 23 micron.")


@settings(max_examples=60, deadline=None)
@given(
    pct=st.decimals(min_value=1, max_value=99, places=1),
    heading=st.integers(min_value=101, max_value=9706),
    level=st.sampled_from(["chapter", "heading", "subheading"]),
)
def test_the_grammar_reads_the_phrasing_whatever_its_numbers(pct: Decimal, heading: int, level: str) -> None:
    # a grammar of phrasings, not a table of sentences: every percentage and code reads back
    code = {"chapter": str(heading // 100).zfill(2), "heading": str(heading).zfill(4), "subheading": str(heading).zfill(4) + "10"}[level]
    prose = f"Manufacture: - from materials of any {level}, except that of the product, *and* - in which the value of all the materials of {level} {code} used does not exceed {pct}% of the ex-works price of the product."
    rule = translate_entry(prose)[0]
    expected_code = f"chapter {code}" if level == "chapter" else code
    assert rule == f"{ {'chapter': 'CC', 'heading': 'CTH', 'subheading': 'CTSH'}[level] } and VNM from {expected_code} <= {pct}%".replace("{ ", "").replace(" }", "")


def test_normalise_keeps_decimals_and_joins_dotted_codes():
    assert normalise("a QVC of 47.5% from heading 20.07 or subheading 2009.11")[0] == "a qvc of 47.5% from heading 2007 or subheading 200911"


# ---------------------------------------------------------------- a scheme file, end to end


def _scheme(tmp_path: Path) -> Path:
    root = tmp_path / "rules_of_origin"
    (root / "roo_schemes_uk" / "rule_sets").mkdir(parents=True)
    (root / "roo_schemes_uk" / "articles" / "testland").mkdir(parents=True)
    (root / "roo_schemes_uk.json").write_text(json.dumps({"schemes": [{
        "scheme_code": "testland", "title": "UK-Testland Agreement", "countries": ["TL"],
        "validity_start_date": "2024-01-01", "cumulation_methods": {"bilateral": {"countries": ["GB", "TL"]}},
        "ord": {"ord_title": "Testland ORD", "ord_version": "1.0", "ord_date": "1 January 2024"},
    }]}), encoding="utf-8")
    (root / "roo_schemes_uk" / "articles" / "testland" / "tolerances.md").write_text(
        "the total value of non-originating materials does not exceed 10% of the ex-works price of the product, except for products of Chapters 50 to 63", encoding="utf-8")
    rows = [
        {"heading": "0101-0106", "min": "0101000000", "max": "0106999999", "subdivision": "", "rules": [{"rule": "All animals of [chapter&nbsp;1](/chapters/01) are wholly obtained.", "operator": None}]},
        {"heading": "8501", "min": "8501000000", "max": "8501999999", "subdivision": "", "rules": [
            {"rule": "Manufacture from materials of any heading, except that of the product.", "operator": None},
            {"rule": "Manufacture in which the value of all the materials used does not exceed **40%** of the ex-works price of the product.", "operator": "or"}]},
        {"heading": "ex 3921", "min": "3921000000", "max": "3921999999", "subdivision": "Foils", "rules": [{"rule": "Manufacture from highly-transparent polyester-foils with a thickness of less than 23 micron.", "operator": None}]},
    ]
    path = root / "roo_schemes_uk" / "rule_sets" / "testland.json"
    path.write_text(json.dumps({"rule_sets": rows}), encoding="utf-8")
    return path


def test_import_writes_a_ruleset_with_a_header_from_the_scheme_and_a_report(tmp_path: Path) -> None:
    scheme = _scheme(tmp_path)
    out, report = tmp_path / "uk-testland.roo", tmp_path / "report.json"
    result = CliRunner().invoke(main, ["import", "uk-tariff", str(scheme), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    r = json.loads(report.read_text(encoding="utf-8"))
    assert (r["rule_sets"], r["translated"]) == (3, 2)
    assert isinstance(r["rule_sets"], int) and isinstance(r["translated"], int)
    assert r["untranslated"][0]["prose"].startswith("Manufacture from highly-transparent polyester-foils")
    crs = originrules.load_ruleset(out)
    ag = crs.agreement
    assert (ag.code, ag.parties, str(ag.in_force)) == ("UK-TESTLAND", ("GB", "TL"), "2024-01-01")
    assert [(str(d.percent), str(d.except_codes)) for d in ag.de_minimis] == [("10", "50-63")]
    rules = {r.key_text: expr_text(r.body) for r in crs.ruleset.rules}
    assert rules["8501"] == "CTH or VNM <= 40%"
    # the prose is the citation
    assert next(r for r in crs.ruleset.rules if r.key_text == "8501").provenance.source.endswith("does not exceed 40% of the ex-works price of the product.")


def test_check_answers_undetermined_under_an_untranslated_rule_and_names_it(tmp_path: Path) -> None:
    scheme = _scheme(tmp_path)
    out = tmp_path / "uk-testland.roo"
    assert CliRunner().invoke(main, ["import", "uk-tariff", str(scheme), "-o", str(out)]).exit_code == 0
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"product": {"hs_code": "392190", "ex_works": "100"}, "materials": [{"id": "film", "hs_code": "392062", "value": "30", "origin": "CN"}]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(bom), "-a", "UK-TESTLAND", "--ruleset", str(out)])
    assert result.exit_code == 3
    assert "untranslated" in result.output and "polyester-foils" in result.output


def test_a_file_that_is_not_a_rule_set_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"rules": []}', encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "uk-tariff", str(bad), "-o", str(tmp_path / "x.roo")])
    assert result.exit_code == 2
    assert "rule_sets" in result.output
    assert not (tmp_path / "x.roo").exists()


# ---------------------------------------------------------------- the shipped schemes

UK_SCHEMES = sorted(p.name for p in resources.rulesets_dir().glob("uk-*.roo"))


def test_42_schemes_are_shipped_besides_india():
    # the UK tariff's 43 rule-set files but India's (written by hand); australia.json is absent from its data
    assert len(UK_SCHEMES) == 42


@pytest.mark.parametrize("filename", UK_SCHEMES)
def test_each_scheme_is_pinned_by_its_rules(filename: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    # a compact pin: the header dump and one line per rule (key, subdivision, body); the
    # citations are the prose of the data, pinned by the regeneration test below
    crs = originrules.load_ruleset(resources.rulesets_dir() / filename)
    lines = [f"{r.key_text}{' [' + r.subdivision + ']' if r.subdivision else ''}: {expr_text(r.body) if r.translated else 'untranslated'}" for r in crs.ruleset.rules]
    assert "\n".join(lines) == snapshot


@needs_corpus
@pytest.mark.parametrize("scheme", ["eu", "new-zealand", "cptpp"])
def test_the_shipped_ruleset_is_what_the_importer_writes(scheme: str) -> None:
    assert import_uk_tariff(RULE_SETS / f"{scheme}.json").text == (REPO / "rulesets" / f"uk-{scheme}.roo").read_text(encoding="utf-8")


def test_a_shipped_scheme_decides_by_agreement_id():
    # New Zealand 8471: "CTSH ... || RVC40"
    bom = make_bom("847130", [material("board", "847330", "300", "CN")], fob="1000", ex_works="1000", importing_country="GB", exporting_country="NZ")
    d = originrules.check(bom, "UK-NEW-ZEALAND")
    assert d.originating is True
    assert d.rule.source.startswith("rulesets/uk-new-zealand.roo:")


def test_a_process_description_may_use_every_word_of_the_grammar_but_those_that_end_it():
    # `_free` lists the grammar's keywords (tools/uk_prose_free.py; Lark has no "any token but"): a keyword
    # missing from it would cut process names short wherever it appears
    import re

    text = (REPO / "originrules" / "importers" / "uk_tariff" / "prose.lark").read_text(encoding="utf-8")
    rules = "\n".join(line.split("//")[0] for line in text.splitlines())
    keywords = set(re.findall(r'"([^"\n]+)"', rules))
    free = re.search(r"^_free:(.*?)(?=^\S)", rules, re.DOTALL | re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert keywords - set(re.findall(r'"([^"\n]+)"', free)) == {"provided", "manufacture", "production", "until", ".", ";"}  # "." and ";" are ignored


def test_an_entry_the_grammar_cannot_read_is_an_untranslated_arm_beside_the_others():
    # EU TCA 8507 (battery packs): the first entry's "active cathode materials" name no codes;
    # the others are read, so a product meeting one of them is decided
    from originrules.importers.uk_tariff import translate_rule_set

    rs = {"heading": "8507", "min": "8507000000", "max": "8507999999", "rules": [
        {"rule": "CTH: All non-originating materials used in the production of the good have undergone a change in tariff classification at the 4-digit level (tariff heading) except from non-originating active cathode materials."},
        {"rule": "A maximum of 30% of the ex-works price (EXW) is made up of non-originating parts (MAXNOM)."},
        {"rule": "CTSH (until 31 December 2023)."},
    ]}
    body, _, why = translate_rule_set(rs)
    assert body is not None and body.startswith('untranslated "CTH: All non-originating')
    assert body.endswith(" or VNM <= 30% or (CTSH) until 2023-12-31")
    assert why  # and the report counts the rule set as not (wholly) translated


def test_other_materials_of_the_products_own_heading_are_an_allowance_and_no_other_heading_is():
    prose = ("Manufacture from materials of any heading, except that of the product. However, other materials of heading 8302 "
             "may be used, provided that their total value does not exceed 20% of the ex-works price of the product.")
    assert translate_entry(prose, own="8302")[0] == "CTH allowing 20%"
    with pytest.raises(Untranslatable):
        translate_entry(prose, own="8303")  # not the product's heading: the language has no such allowance
    with pytest.raises(Untranslatable):
        translate_entry(prose)  # a rule set of several headings: "the product's" is not one code


def _read_as_ruleset(prose: str, key: str, own: str | None = None):  # type: ignore[no-untyped-def]
    """The importer's rule for the prose, and a test ruleset holding it under `key` (to decide BOMs by);
    `own`: the rule set's code, for "the product's heading"."""
    rule, used = translate_entry(prose, own=own)
    declared = "".join(f"codes {u.split(' | ')[0]}\n" for u in sorted(used) if " = " in u)  # the sets the rule names by what they are
    return rule, ruleset(f'{declared}{key}: {rule}\n    source "PEM {key}"\n')


def _verdict(crs, product: str, one_material: dict):  # type: ignore[no-untyped-def]
    """The verdict on a product of ex-works price 1000 made from that one material, under the test ruleset."""
    from originrules.engine import check

    return check(make_bom(product, [one_material]), crs).verdict


def test_excepted_materials_a_however_lets_in_are_limited_by_their_value_and_the_others_stay_excepted():
    # PEM lists, 3704: "Manufacture from materials of any heading, except those of heading 3701 and
    # heading 3702. However, materials of heading 3702 may be used, provided that their total value
    # does not exceed 30% of the ex-works price of the product."
    prose = ("Manufacture from materials of any heading, except those of heading 3701 and heading 3702. However, materials of "
             "heading 3702 may be used, provided that their total value does not exceed 30% of the ex-works price of the product.")
    rule, crs = _read_as_ruleset(prose, "3704")
    assert rule == "manufacture except 3701 and VNM from 3702 <= 30%"

    def film_from(code: str, value: str):  # type: ignore[no-untyped-def]
        return _verdict(crs, "370400", material("1", code, value, "CN"))

    assert film_from("370210", "300") == "originating"  # 30%: within the limit
    assert film_from("370210", "310") == "not originating"  # above it
    assert film_from("370110", "150") == "not originating"  # 3701 stays excepted (15%, above the 10% tolerance)


def test_a_however_that_also_names_codes_the_main_rule_allowed_adds_a_way_and_takes_none_away():
    # 3004: "except that of the product. However, materials of heading 3003 and heading 3004 may be
    # used, provided that their total value does not exceed 20%": the change of heading still suffices
    prose = ("Manufacture from materials of any heading, except that of the product. However, materials of heading 3003 and "
             "heading 3004 may be used, provided that their total value does not exceed 20% of the ex-works price of the product.")
    assert translate_entry(prose, own="3004")[0] == "(CTH or VNM from 3003, 3004 <= 20%)"
    with pytest.raises(Untranslatable):
        translate_entry(prose)  # a rule set of several headings: which is "the product's" is not one code
    # read knowing the rule set's codes, when the however allows all of them: each product's own heading is let in
    assert translate_entry(prose, span=("3003", "3004"))[0] == "(CTH or VNM from 3003, 3004 <= 20%)"
    with pytest.raises(Untranslatable):
        translate_entry(prose, span=("3002", "3004"))  # 3002 is not allowed: its products' own materials are not let in


def test_the_value_of_materials_classified_in_the_products_heading_is_of_the_rule_sets_own_heading():
    prose = "Manufacture in which the value of any materials classified in the same heading as the product does not exceed 20% of the ex-works price of the product."
    assert translate_entry(prose, own="8501")[0] == "VNM from 8501 <= 20%"
    with pytest.raises(Untranslatable):
        translate_entry(prose)  # a rule set of several headings: which is "the same" is not one code


def test_a_set_originates_when_its_non_originating_items_are_at_most_15_percent_of_its_price():
    # PEM lists, 9605 (travel sets for personal toilet): "Each item in the set must satisfy the rule which
    # would apply to it if it were not included in the set. However, non-originating articles may be
    # incorporated, provided that their total value does not exceed 15% of the ex-works price of the set";
    # the articles on sets say the same. A set's BOM lists its items, each originating or not by its own rule.
    prose = ("Each item in the set must satisfy the rule which would apply to it if it were not included in the set. However, "
             "non-originating articles may be incorporated, provided that their total value does not exceed 15% of the ex-works price of the set.")
    rule, crs = _read_as_ruleset(prose, "9605")
    assert rule == "VNM <= 15%"
    from originrules.engine import check

    def travel_set(comb: str):  # type: ignore[no-untyped-def]
        items = [material("cream", "330499", "400", "IN", originating=True), material("comb", "960329", comb, "CN")]
        return check(make_bom("960500", items, ex_works="1000"), crs).verdict

    assert travel_set("150") == "originating"
    assert travel_set("151") == "not originating"
    tools = ("Manufacture in which all the materials used are classified within a heading other than heading 8202 to heading 8205. However, "
             "tools of heading 8202 to heading 8205 may be incorporated into the set, provided that their total value does not exceed 15% of the ex-works price of the set.")
    assert translate_entry(tools)[0] == "VNM from 8202-8205 <= 15%"


def test_a_heading_written_with_three_digits_is_left_untranslated_not_guessed():
    # UK-Cameroon 2934: "the value of all the materials of heading 932, 2933 and 2934 used may not exceed
    # 20%" (2932, most likely; once read as 0932, a heading the HS does not have)
    with pytest.raises(Untranslatable, match="heading 932"):
        translate_entry("Manufacture from materials of any heading. However, the value of all the materials of heading 932, 2933 and 2934 "
                        "used may not exceed 20% of the ex-works price of the product.")


def test_colour_lakes_may_use_their_own_headings_materials_up_to_20_percent_but_never_those_of_3203_or_3204():
    # PEM lists, 3205: "Manufacture from materials of any heading, except heading 3203, heading 3204 and
    # heading 3205. However, materials of heading 3205 may be used, provided that their total value does
    # not exceed 20% of the ex-works price of the product." (Read until 2026-11 as an allowance on the
    # whole exception: 3203 and 3204 passed up to 20% too.)
    prose = ("Manufacture from materials of any heading, except heading 3203, heading 3204 and heading 3205. However, materials of "
             "heading 3205 may be used, provided that their total value does not exceed 20% of the ex-works price of the product.")
    rule, crs = _read_as_ruleset(prose, "3205", own="3205")
    assert rule == "manufacture except 3203, 3204 and VNM from 3205 <= 20%"

    def lake_from(code: str, value: str):  # type: ignore[no-untyped-def]
        return _verdict(crs, "320500", material("1", code, value, "CN"))

    assert lake_from("320500", "200") == "originating"  # its own heading, at the limit
    assert lake_from("320500", "210") == "not originating"
    assert lake_from("320300", "150") == "not originating"  # 3203 stays excepted (15%: above the 10% tolerance)


def test_shoes_may_use_foreign_outer_soles_but_not_foreign_uppers_affixed_to_inner_soles():
    # UK-Albania, 6401-6405: "Manufacture from materials of any heading, except from assemblies of uppers
    # affixed to inner soles or to other sole components of heading 6406". Heading 6406 also holds outer
    # soles and heels, which may be used; the assemblies are among 6406.10's uppers, and which they are
    # the BOM says. (Read until 2026-11 as every material of 6406.)
    from originrules.engine import check

    def shoe(code: str, **attributes: bool):  # type: ignore[no-untyped-def]
        part = material("part", code, "400", "CN", **({"attributes": attributes} if attributes else {}))
        leather = material("leather", "410711", "300", "AL", originating=True)
        return check(make_bom("640399", [part, leather], importing_country="GB", exporting_country="AL"), "UK-ALBANIA")

    assert shoe("640620").originating is True  # outer soles of rubber
    name = "assemblies_of_uppers_affixed_to_inner_soles_or_to_other_sole_components"
    assert shoe("640610", **{name: True}).originating is False
    assert shoe("640610", **{name: False}).originating is True  # uppers alone
    undecided = shoe("640610")  # the answer names what the BOM must say
    assert undecided.originating is None and f"materials[0].attributes.{name}" in undecided.reasons[0]


def test_tapioca_may_be_made_from_foreign_manioc_starch_but_not_from_foreign_potato_starch():
    # UK-Albania, 1903: "Manufacture from materials of any heading, except potato starch of heading 1108"
    # (potato starch is 1108.13; read until 2026-11 as every starch of 1108)
    from originrules.engine import check

    def tapioca(starch: str):  # type: ignore[no-untyped-def]
        bom = make_bom("190300", [material("starch", starch, "600", "TH")], importing_country="GB", exporting_country="AL")
        return check(bom, "UK-ALBANIA").originating

    assert tapioca("110814") is True  # manioc (cassava) starch
    assert tapioca("110813") is False


def test_materials_of_the_same_description_as_the_product_are_held_to_20_percent_and_the_headings_others_are_free():
    # PEM lists, 3002 (blood fractions): "Manufacture from materials of any heading, including other
    # materials of heading 3002. However, materials of the same description as the product may be used,
    # provided that their total value does not exceed 20% of the ex-works price of the product."
    # (Read until 2026-11 as an allowance on a rule nothing fails: the 20% held nothing back.)
    prose = ("Manufacture from materials of any heading, including other materials of heading 3002. However, materials of the same "
             "description as the product may be used, provided that their total value does not exceed 20% of the ex-works price of the product.")
    rule, crs = _read_as_ruleset(prose, "3002")
    assert rule == "manufacture and VNM from materials_of_the_same_description_as_the_product <= 20%"

    def fraction_from(value: str, same_description: bool):  # type: ignore[no-untyped-def]
        attributes = {"materials_of_the_same_description_as_the_product": same_description}
        return _verdict(crs, "300212", material("serum", "300212", value, "CH", attributes=attributes))

    assert fraction_from("200", same_description=True) == "originating"  # 20%: at the limit
    assert fraction_from("210", same_description=True) == "not originating"  # above it
    assert fraction_from("900", same_description=False) == "originating"  # another material of heading 3002: free


def test_worked_carving_materials_of_the_same_heading_are_of_the_rule_sets_own_heading():
    prose = "Manufacture from 'worked' carving materials of the same heading as the product."
    assert translate_entry(prose, own="9601")[0] == "manufacture from 9601"
    assert translate_entry("Manufacture from worked carving materials of the same heading.", own="9602")[0] == "manufacture from 9602"
    with pytest.raises(Untranslatable):
        translate_entry(prose)  # a rule set of several headings: which is "the same" is not one code


def test_worked_stones_under_a_shipped_scheme_originate_from_what_the_bom_says_are_unworked_stones():
    # UK-Albania, ex 7103 (worked precious or semi-precious stones): "Manufacture from unworked precious or semi-precious stones"
    from originrules.engine import check

    def ring_stone(attributes):  # type: ignore[no-untyped-def]
        chosen = "ex 7103: Worked precious or semi-precious stones (natural, synthetic or reconstructed)"
        bom = make_bom("710391", [material("rough", "710310", "600", "ZA", **({"attributes": attributes} if attributes else {}))],
                       importing_country="GB", exporting_country="AL", subdivision=chosen)
        return check(bom, "UK-ALBANIA")

    assert ring_stone({"unworked_precious_or_semi_precious_stones": True}).originating is True
    assert ring_stone({"unworked_precious_or_semi_precious_stones": False}).originating is False
    undecided = ring_stone(None)
    assert undecided.originating is None and "materials[0].attributes" in undecided.reasons[0]


def test_a_material_the_hs_has_no_exact_code_for_is_what_the_bom_says_it_is():
    # "textile covered" rubber thread would be 5604's own goods beside 4007's: no code is guessed
    rule, used = translate_entry("Manufacture from rubber thread or cord, textile covered.")
    assert rule == "manufacture from rubber_thread_or_cord_textile_covered"
    assert used == {"rubber_thread_or_cord_textile_covered = chapters 01-97 where rubber_thread_or_cord_textile_covered | rubber thread or cord, textile covered"}
    # handles of base metal are 8211.95, another heading than 8214's: the BOM says which materials are such handles
    assert translate_entry("Manufacture from materials of any heading, except that of the product. However, handles of base metal may be used.")[0] == "CTH allowing handles_of_base_metal"
    # the HS has no code for "unworked" stones apart from "simply sawn" ones
    assert translate_entry("Manufacture from unworked precious or semi-precious stones.")[0] == "manufacture from unworked_precious_or_semi_precious_stones"
    # a phrase that names codes or lists several materials, or too long to be an attribute's name, is not made a name
    with pytest.raises(Untranslatable):
        translate_entry("Manufacture from a thermoplastic partial salt which is a copolymer of ethylene and metacrylic acid partly neutralised with metal ions, mainly zinc and sodium.")
    with pytest.raises(Untranslatable):
        translate_entry("Manufacture from: - coir yarn or jute yarn, - synthetic or artificial filament yarn, - natural fibres, or - man-made staple fibres, not carded or combed or otherwise processed for spinning jute fabric may be used as a backing.")


def test_semi_manufactured_silver_originates_from_unwrought_silver_but_not_from_silver_powder() -> None:
    # PEM lists, 7106 "Semi-manufactured or in powder form": "Manufacture from unwrought precious
    # metals"; the same lists set powder beside the semi-manufactured forms, not the unwrought
    from originrules.engine import check

    rule, used = translate_entry("Manufacture from unwrought precious metals.")
    codes, meaning = next((c, m) for n, c, m in MATERIALS.values() if n in used)
    crs = ruleset(f"codes unwrought_precious_metals = {codes}\n    source {json.dumps(meaning)}\n710692: {rule}\n    source \"PEM 7106\"\n")

    def bar_from(code: str):  # type: ignore[no-untyped-def]
        return check(make_bom("710692", [material("1", code, "800", "CN")]), crs)

    assert bar_from("710691").verdict == "originating"
    assert bar_from("710610").verdict == "not originating"


def test_at_least_70_percent_by_weight_is_originating_reads_as_a_weight_share():
    prose = "Manufacture in which at least 70% by weight of the unmanufactured tobacco or tobacco refuse of heading 2401 used is originating."
    assert translate_entry(prose)[0] == "VNM(materials_weight) from 2401 <= 30%"


def test_the_eu_tca_battery_rule_is_decided_on_the_decision_date():
    # UK-EU 8507 (battery cells): "... || A maximum of 70% of the ex-works price (EXW) is made up of
    # non-originating parts (MAXNOM) (until 31 December 2023)"
    import datetime as dt

    cells = "Battery cells, battery modules and parts thereof, intended to be incorporated into an electric accumulator of a kind used as the primary source of electrical power for propulsion of vehicles of headings 8702, 8703 and 8704"
    bom = make_bom("850760", [material("cells", "850790", "600", "CN")], fob=None, ex_works="1000", subdivision=cells, exporting_country="GB", importing_country="FR")
    assert originrules.check(bom, "UK-EU", on=dt.date(2023, 6, 1)).originating is True  # 60% <= 70%, in force then
    later = originrules.check(bom, "UK-EU", on=dt.date(2024, 6, 1))
    assert later.originating is None  # the dated arms ended; only the untranslated "active cathode" arm could still be met
    assert "translation" in later.reasons[0]


@pytest.mark.parametrize(("data", "where"), [
    ({"rule_sets": [{"heading": "01", "min": "x", "rules": "oops"}]}, "rule_sets[0].rules"),
    ({"rule_sets": [{"heading": "01", "rules": [{"rule": 5}]}]}, "rule_sets[0].rules[0]"),
    ({"rule_sets": [7]}, "rule_sets[0]"),
])
def test_a_rule_set_of_the_wrong_shape_is_refused_with_its_json_path(tmp_path: Path, data: object, where: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "uk-tariff", str(bad), "-o", str(tmp_path / "x.roo")])
    assert result.exit_code == 2 and f": {where}:" in result.output
    assert not (tmp_path / "x.roo").exists()


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["heading", "subdivision", "min", "max", "rules", "rule"]), inner, max_size=5), max_leaves=20)


@settings(max_examples=60, deadline=None)
@given(rule_sets=st.lists(_JSON, max_size=4))
def test_any_json_is_imported_or_refused_never_a_crash(tmp_path_factory: pytest.TempPathFactory, rule_sets: list[object]) -> None:
    from originrules.errors import OriginrulesError

    path = tmp_path_factory.mktemp("fuzz") / "scheme.json"
    path.write_text(json.dumps({"rule_sets": rule_sets}), encoding="utf-8")
    try:
        import_uk_tariff(path)
    except OriginrulesError as e:
        assert all(p.code == "IMP002" for p in e.problems)


def test_a_parse_from_a_worker_process_keeps_every_position_the_writer_reads():
    # the import parses a scheme's entries on every core; Lark's own pickling of a tree drops the
    # positions process names and described materials are cut from, so the trees travel as tuples
    from lark import Tree

    from originrules.importers.uk_tariff import prose as uk_tariff

    text = uk_tariff.normalise("Printing accompanied by at least two preparatory or finishing operations, provided that the value of "
                               "the unprinted fabric used does not exceed 47.5% of the ex-works price of the product.")[0]
    direct, travelled = uk_tariff._grammar().parse(text), uk_tariff._unpack(uk_tariff._parse_template(text))

    def positions(node):  # type: ignore[no-untyped-def]
        if isinstance(node, Tree):
            return (node.data, node.meta.start_pos, node.meta.end_pos, [positions(c) for c in node.children])
        return (node.type, str(node), node.start_pos, node.end_pos)

    assert positions(travelled) == positions(direct)


def test_an_import_where_no_worker_process_can_start_parses_on_one_core(monkeypatch):  # type: ignore[no-untyped-def]
    from originrules.importers.uk_tariff import prose as uk_tariff

    def no_pool():  # type: ignore[no-untyped-def]
        raise OSError("no semaphores in this sandbox")

    monkeypatch.setattr(uk_tariff, "_pool", no_pool)
    monkeypatch.setattr(uk_tariff, "_TREES", {})
    monkeypatch.setattr(uk_tariff, "_workers", lambda: 2)
    words = ["slate", "mica", "jute", "cork", "felt", "wax", "gum", "lac", "tar", "oak", "ash", "elm", "fir", "yew", "bone", "horn",
             "ivory", "amber", "coral", "pearl", "shell", "clay", "sand", "lime", "salt", "soda", "alum", "borax", "talc", "chalk",
             "flint", "jade", "onyx", "opal", "ruby", "agate", "basalt", "marble", "granite", "gneiss"]
    rule_sets = [{"heading": "6802", "min": "6802000000", "max": "6802999999", "rules": [{"rule": f"Manufacture from worked {w}."}]} for w in words]
    uk_tariff._preparse(rule_sets)  # falls back: nothing parsed ahead, no error
    assert uk_tariff._TREES == {}
    assert uk_tariff.translate_entry("Manufacture from worked mica.")[0] == "manufacture from worked_mica"
