"""What a compliance officer meets in the first hour: advice that can be run, what-ifs that say
they are hypothetical, the route taken from the BOM, Python that behaves like the files."""

from __future__ import annotations

import json
import re
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import originrules
from originrules.cli import main
from originrules.errors import BomError
from tests.test_examples import ROWS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FAILING = [r for r in ROWS if r["verdict"] == "not originating"]


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- advice you can run


@pytest.mark.parametrize("row", FAILING, ids=[r["file"] for r in FAILING])
def test_the_advice_is_the_what_if_flags_that_make_the_product_originate(row: dict[str, str]) -> None:
    bom = originrules.load_bom(EXAMPLES / row["file"])
    advice = originrules.advise(bom, row["agreement"])
    assert advice.possible and advice.what_if
    text = run("check", str(EXAMPLES / row["file"]), "-a", row["agreement"]).output
    line = next(x for x in text.splitlines() if x.startswith("To see it: "))
    flags = shlex.split(line.removeprefix("To see it: "))
    result = run("check", str(EXAMPLES / row["file"]), "-a", row["agreement"], *flags)
    assert result.exit_code == 0, result.output  # the promised verdict: originating
    assert result.output.startswith("HYPOTHETICAL")


def test_a_material_from_outside_the_zone_is_first_re_sourced_from_a_party() -> None:
    bom = originrules.load_bom(EXAMPLES / "motorcycle-uae-fail.json")
    advice = originrules.advise(bom, "UAE")
    zone = originrules.find_agreement("UAE").agreement.zone
    for mid in advice.materials:
        m = next(x for x in bom.materials if x.id == mid)
        if m.origin not in zone:
            assert f"{mid}.origin=IN" in advice.what_if  # the exporter, a party
        assert f"{mid}.originating=true" in advice.what_if


def test_documents_for_an_auditor_name_no_command_line_flags() -> None:
    bom = originrules.load_bom(EXAMPLES / "motorcycle-uae-fail.json")
    d = originrules.check(bom, "UAE")
    advice = originrules.advise(bom, "UAE", decision=d)
    for fmt in ("html", "markdown", "carotar"):
        assert not re.search(r"--[a-z]", originrules.render(d, fmt, advice=advice))
    assert "--what-if" in originrules.render(d, "text", advice=advice)


# ---------------------------------------------------------------- honest what-ifs


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "carotar"])
def test_every_what_if_report_says_it_is_hypothetical(fmt: str) -> None:
    bom = originrules.what_if(originrules.load_bom(EXAMPLES / "motorcycle-uae.json"), ["1.value=50"])
    out = originrules.render(originrules.check(bom, "UAE"), fmt)
    assert "HYPOTHETICAL" in out and "1.value=50" in out


def test_a_what_if_decision_lists_its_changes_in_json_and_in_its_record() -> None:
    path = str(EXAMPLES / "motorcycle-uae.json")
    real = json.loads(run("check", path, "-a", "UAE", "--format", "json").output)
    hypothetical = json.loads(run("check", path, "-a", "UAE", "--format", "json", "--what-if", "product.fob=2000").output)
    assert "what_if" not in real and hypothetical["what_if"] == ["product.fob=2000"]
    assert hypothetical["decision_id"] != real["decision_id"]
    assert hypothetical["product"]["fob"] == "2000"


def test_product_prices_and_costs_can_be_changed_in_a_what_if() -> None:
    bom = originrules.load_bom(EXAMPLES / "motorcycle-uae-fail.json")
    changed = originrules.what_if(bom, ["product.fob=5000", "product.ex_works=4800", "costs.direct_labour=10"])
    assert (changed.product.fob, changed.product.ex_works, changed.costs["direct_labour"]) == (Decimal(5000), Decimal(4800), Decimal(10))
    # a product sold for far more leaves the same non-originating value well under the threshold
    assert originrules.check(changed, "UAE").originating is True


def test_a_bad_what_if_names_what_may_be_changed() -> None:
    result = run("check", str(EXAMPLES / "motorcycle-uae.json"), "-a", "UAE", "--what-if", "product.hs_code=1")
    assert result.exit_code == 2 and "product.{ex_works,fob}" in result.output and "CLI003" in result.output


# ---------------------------------------------------------------- CAROTAR is for imports into India


def test_the_carotar_worksheet_says_it_does_not_apply_to_an_export_from_india() -> None:
    d = originrules.check(originrules.load_bom(EXAMPLES / "motorcycle-uae.json"), "UAE")
    assert "NOT APPLICABLE" in originrules.render(d, "carotar")


def test_the_carotar_worksheet_applies_to_an_import_into_india() -> None:
    data = json.loads((EXAMPLES / "car-uk.json").read_text(encoding="utf-8"))
    data["product"]["exporting_country"], data["product"]["importing_country"] = "GB", "IN"
    d = originrules.check(data, "UK")
    assert "NOT APPLICABLE" not in originrules.render(d, "carotar")


# ---------------------------------------------------------------- Python behaves like the files


def test_check_takes_a_plain_mapping_read_exactly_like_a_file() -> None:
    data = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    assert originrules.check(data, "UAE").originating is True
    data["materials"][0]["value"] = "abc"
    with pytest.raises(BomError) as caught:
        originrules.check(data, "UAE")
    assert caught.value.code == "BOM001"
    assert "materials[0].value" in str(caught.value) and "[BOM001]" not in str(caught.value)


def test_check_needs_an_agreement() -> None:
    with pytest.raises(TypeError):
        originrules.check(originrules.load_bom(EXAMPLES / "motorcycle-uae.json"))  # type: ignore[call-arg]


def test_headroom_amounts_are_decimals() -> None:
    d = originrules.check(originrules.load_bom(EXAMPLES / "motorcycle-uae.json"), "UAE")
    assert all(isinstance(h["amount"], Decimal) for h in d.headroom() if "amount" in h)


# ---------------------------------------------------------------- reports a reader can follow


def test_the_rule_line_shows_every_alternative_of_its_sub_rules() -> None:
    # UAE: va(p) = VA(fob) >= p or VA(ex_works) >= p - 5%; "va(45%)" alone hides the 40% ex-works arm
    d = originrules.check(originrules.load_bom(EXAMPLES / "motorcycle-uae.json"), "UAE")
    assert d.rule.expanded == "CTH and (VA(fob) >= 45% or VA(ex_works) >= 40%)"
    assert "in full:      CTH and (VA(fob) >= 45% or VA(ex_works) >= 40%)" in originrules.render(d, "text")


def test_an_all_of_inside_an_all_of_is_one_list() -> None:
    from tests.conftest import make_bom, material, ruleset

    rs = ruleset('let both = CTH and VA >= 40%\n    source "t"\n87: both and process(assembly)\n    source "t"\n')
    d = originrules.check(make_bom("871120", [material("a", "840991", "100")], processes=["assembly"]), rs)
    text = originrules.render(d, "text", explain="full")
    # the insufficient-operations check and the rule's own parts make one "all of"; the
    # sub-rule `both` keeps its own (it names a group the reader can find in the ruleset)
    assert text.count("all of") == 2, text


def test_a_failing_tariff_shift_says_how_far_over_the_tolerance_it_is_not_what_is_left() -> None:
    d = originrules.check(originrules.load_bom(EXAMPLES / "diesel-engine-uk-fail.json"), "UK")
    row = next(line for line in originrules.render(d, "markdown").splitlines() if line.startswith("| CTH"))
    assert "not met" in row and " over the tolerance of " in row and " left" not in row
