"""Explanations: headroom, the sourcing advisor, what-if, and reports in every format."""

from __future__ import annotations

import json
from decimal import Decimal

import attrs

import pytest

import originrules
from originrules.errors import BomError
from tests.conftest import REPO, make_bom, material, ruleset
from tests.test_examples import ROWS
from tests.test_store import db  # noqa: F401  (the fixture: SQLite and PostgreSQL)


def example(name: str):  # type: ignore[no-untyped-def]
    return originrules.load_bom(REPO / "examples" / name)


def rooms(decision) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {h["test"]: h for h in decision.headroom()}


# ---------------------------------------------------------------- headroom, computed by hand


def test_headroom_of_a_met_value_test_is_how_much_more_non_originating_value_fits():
    # UAE motorcycle: VNM 145. FOB: 45% needs VNM <= 0.55 * 1090 = 599.50, so 454.50 more;
    # ex-works: 40% needs VNM <= 0.60 * 1050 = 630, so 485 more.
    h = rooms(originrules.check(example("motorcycle-uae.json"), "UAE"))
    assert (h["VA(fob) >= 45%"]["kind"], h["VA(fob) >= 45%"]["amount"]) == ("could_add", Decimal("454.50"))
    assert h["VA(ex_works) >= 40%"]["amount"] == Decimal("485.00")


def test_headroom_of_an_unmet_value_test_is_how_much_must_be_re_sourced():
    # VNM 695: FOB needs 695 - 599.50 = 95.50 re-sourced; ex-works 695 - 630 = 65
    h = rooms(originrules.check(example("motorcycle-uae-fail.json"), "UAE"))
    assert (h["VA(fob) >= 45%"]["kind"], h["VA(fob) >= 45%"]["amount"]) == ("must_remove", Decimal("95.50"))
    assert h["VA(ex_works) >= 40%"]["amount"] == Decimal("65.00")


def test_headroom_of_a_maxnom_test():
    rs = ruleset("87: VNM(ex_works) <= 50%\n")
    d = originrules.check(make_bom("870322", [material("a", "840790", "400")], ex_works="1000"), rs)
    assert d.headroom()[0]["kind"] == "could_add" and d.headroom()[0]["amount"] == Decimal("100.00")


def test_headroom_takes_the_producers_best_method():
    # Mauritius 210690 (FOB 1000): VNM 700, VOM 100, labour 100, overhead 50, profit 99.99.
    # Build-down needs 50 re-sourced; build-up (349.99 -> 350) needs only 0.01.
    bom = make_bom("210690", [material("s", "170199", "700"), material("o", "090411", "100", "IN", True)], fob="1000", ex_works=None,
                   costs={"direct_labour": "100", "direct_overhead": "50", "profit": "99.99"})
    d = originrules.check(bom, "MU")
    room = next(h for h in d.headroom() if h["kind"] == "must_remove")
    assert room["amount"] == Decimal("0.01")


def test_tolerance_used_and_left():
    rs = ruleset("87: CTH\n")
    d = originrules.check(make_bom("871120", [material("a", "871190", "60")], fob="1000", ex_works="900"), rs)
    (tol,) = d.headroom()
    assert (tol["kind"], tol["used"], tol["left"], tol["limit"]) == ("tolerance", Decimal(60), Decimal(40), Decimal(100))


# ---------------------------------------------------------------- the advisor, by hand


def test_advisor_finds_the_fewest_materials_then_the_cheapest():
    # VNM 695 must fall by 65 (ex-works) at least: no single material is worth 65; the cheapest
    # pair reaching it is 42 + 24 = 66 (materials 1 and 3, the first such pair in BOM order).
    a = originrules.advise(example("motorcycle-uae-fail.json"), agreement="UAE")
    assert (a.possible, a.materials, str(a.total_value)) == (True, ("1", "3"), "66")


def test_advisor_for_the_uk_car_kit():
    # one material suffices: the 38,000 transmission brings FOB build-down to 35.99%
    a = originrules.advise(example("car-uk-fail.json"), agreement="UK")
    assert a.materials == ("3",)


def test_advisor_re_sources_the_material_that_fails_the_tariff_shift():
    # 'a' (heading 8711) fails CTH beyond tolerance; only re-sourcing it can meet CTH, and it also
    # brings VA to 50%. Re-sourcing the dearer 'b' alone leaves CTH failing.
    rs = ruleset("87: CTH and VA >= 45%\n")
    bom = make_bom("871120", [material("a", "871190", "150"), material("b", "840991", "500")], costs={"direct_labour": "0", "direct_overhead": "0"})
    a = originrules.advise(bom, agreement=rs)
    assert a.materials == ("a",)
    assert originrules.check(originrules.what_if(bom, ["a.origin=IN", "a.originating=true"]), rs).originating is True


def test_advisor_says_when_no_set_exists():
    rs = ruleset("01: WO\n")
    a = originrules.advise(make_bom("010121", [material("f", "230990", "10")]), agreement=rs)
    assert a.possible is False and a.materials == ()
    assert "No set of materials exists" in a.message


def test_advisor_has_nothing_to_say_for_an_originating_product():
    a = originrules.advise(example("motorcycle-uae.json"), agreement="UAE")
    assert a.possible is None and "already originates" in a.message


# ---------------------------------------------------------------- what-if


def test_what_if_changes_the_bom_without_touching_the_file():
    bom = example("motorcycle-uae-fail.json")
    changed = originrules.what_if(bom, ["1.origin=IN", "1.originating=true", "3.origin=IN", "3.originating=true"])
    assert originrules.check(changed, "UAE").originating is True
    assert originrules.check(bom, "UAE").originating is False
    cheaper = originrules.what_if(bom, ["25.value=0", "23.value=0", "22.value=0"])
    assert originrules.check(cheaper, "UAE").originating is True  # VNM 549 -> ex-works VA 47.7%


@pytest.mark.parametrize(
    "change,message",
    [("99.value=1", "no material with id '99'"), ("1.colour=red", "FIELD one of"), ("1.originating=maybe", "true or false"), ("1.value=abc", "expected a non-negative number")],
)
def test_a_bad_what_if_is_a_clear_error(change: str, message: str):
    with pytest.raises(BomError) as e:
        originrules.what_if(example("motorcycle-uae-fail.json"), [change])
    assert message in e.value.render()


# ---------------------------------------------------------------- decision record and formats


def test_same_input_same_bytes_and_a_deterministic_decision_id():
    one = originrules.render(originrules.check(example("car-uk.json"), "UK"), "json")
    two = originrules.render(originrules.check(example("car-uk.json"), "UK"), "json")
    assert one == two
    d = json.loads(one)
    assert len(d["decision_id"]) == 32 and len(d["input_sha256"]) == 64 and d["originrules"] == originrules.__version__


def test_a_changed_bom_changes_the_input_digest_and_the_decision_id():
    a = originrules.check(example("car-uk.json"), "UK")
    b = originrules.check(originrules.what_if(example("car-uk.json"), ["1.value=1"]), "UK")
    assert a.input_sha256 != b.input_sha256 and a.decision_id != b.decision_id


def test_html_is_one_self_contained_page():
    html = originrules.render(originrules.check(example("car-uk.json"), "UK"), "html")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_explain_fails_shows_only_the_failing_path():
    d = originrules.check(example("motorcycle-uae-fail.json"), "UAE")  # CTH is met, VA is not
    fails = originrules.render(d, "text", explain="fails")
    full = originrules.render(d, "text", explain="full")
    assert "[met]" not in fails and "[met]" in full
    assert originrules.explain(d) == fails  # the default for a good that does not originate


def test_carotar_worksheet_marks_what_the_bom_cannot_fill():
    text = originrules.render(originrules.check(example("car-uk.json"), "UK"), "carotar")
    assert "4. cumulation applied**: yes: 8 (GB)" in text
    assert text.count("(to be filled in by the importer)") >= 5
    assert "originating materials (VOM)" in text


FORMATS = ["text", "json", "markdown", "html", "carotar"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_report_snapshot(row: dict[str, str], fmt: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    bom = example(row["file"])
    decision = originrules.check(bom, row["agreement"])
    advice = originrules.advise(bom, agreement=row["agreement"]) if decision.originating is False else None
    assert originrules.render(decision, fmt, advice=advice) == snapshot


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_html_tags_are_balanced(row: dict[str, str]) -> None:
    from html.parser import HTMLParser

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []
            self.wrong: list[str] = []

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            if tag != "meta":
                self.open.append(tag)

        def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
            if self.open and self.open[-1] == tag:
                self.open.pop()
            else:
                self.wrong.append(tag)

    page = Balance()
    page.feed(originrules.render(originrules.check(example(row["file"]), row["agreement"]), "html", explain="full"))
    assert (page.open, page.wrong) == ([], [])


def test_the_explanation_is_built_when_first_asked_for_and_only_once():
    calls = []
    d = originrules.check(example("motorcycle-uae.json"), "UAE")
    inner = d.explanation

    def counting():  # type: ignore[no-untyped-def]
        calls.append(1)
        return inner()

    object.__setattr__(d, "explanation", counting)
    assert calls == []
    first = originrules.render(d, "json")  # had check() built the trace, this would not call it
    assert originrules.render(d, "json") == first and len(calls) == 1
    assert first == originrules.render(originrules.check(example("motorcycle-uae.json"), "UAE", explain=True), "json")


def test_an_undetermined_decision_names_what_is_missing_without_being_asked():
    bom = example("motorcycle-uae.json")
    bom = attrs.evolve(bom, materials=tuple(m._replace(hs_code=None) if i == 0 else m for i, m in enumerate(bom.materials)), product=attrs.evolve(bom.product, fob=None, ex_works=None))
    d = originrules.check(bom, "UAE")
    assert d.originating is None and d.reasons and "lacks" in d.reasons[0]


def test_the_json_report_is_written_exactly_as_the_standard_librarys_pretty_printer_would():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from originrules.report import pretty_json

    values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=10)

    @settings(max_examples=300, deadline=None)
    @given(values)
    def same(data):  # type: ignore[no-untyped-def]
        assert pretty_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    same()


def test_the_text_report_wraps_long_cells_and_never_tells_an_originating_product_to_re_source():
    # issue 25, item 8: an alternative not met beside one that is needs nothing; a cell is never cut
    from tests.conftest import make_bom, material, ruleset

    rs = ruleset("87: CTH or VA >= 45%\n")
    costs = {"direct_labour": "0", "direct_overhead": "0"}
    bom = make_bom("871120", [material("frame", "871410", "700", "CN", description="A frame " + "with a very long description " * 4)], costs=costs)
    text = originrules.render(originrules.check(bom, rs), "text", explain="full")
    assert "…" not in text
    assert "must re-source" not in text and "not needed (another alternative is met)" in text
    failing = originrules.render(originrules.check(make_bom("871120", [material("frame", "871120", "700", "CN")], costs=costs), rs), "text", explain="full")
    assert "must re-source" in failing


def test_an_inferred_rule_shows_its_note_and_is_decided_under_the_alternative_reading_it_records():
    # issue 25, item 3: UK 8708 "CTH or a QVC ..." is read as alternatives; the ruleset notes the
    # lower-case "a QVC" could continue "CTH and", and records that reading: decided too
    from tests.conftest import make_bom, material

    gearbox = make_bom("870840", [material("casing", "732690", "700", "CN")], exporting_country="IN", importing_country="GB")
    d = originrules.check(gearbox, "UK")
    assert d.originating is True  # CTH met
    assert d.alternative_reading() == {"rule": "CTH and qvc(50%, 55%, 45%)", "verdict": "not originating", "changes": True,
                                       "note": d.rule.inferred_note}
    assert "could continue 'CTH and'" in d.rule.inferred_note
    text = originrules.render(d, "text")
    assert "The ruleset's note: read as alternatives" in text
    assert "other reading: CTH and qvc(50%, 55%, 45%): not originating under it — THE VERDICT WOULD CHANGE" in text
    assert json.loads(originrules.render(d, "json"))["alternative_reading"]["changes"] is True


def test_the_advisor_asks_for_paperwork_before_re_sourcing():
    # issue 25, item 5: four parts bought in India with no declaration held qualify the product once
    # their suppliers declare them; re-sourcing the Chinese housing is the dearer fix
    from tests.conftest import make_bom, material, ruleset

    rs = ruleset("87: VA(build_down, fob) >= 45%\n")
    parts = [material(f"in{i}", "840991", "100", "IN") for i in range(4)]  # origin India, originating not declared
    housing = material("housing", "840991", "450", "CN", False)
    advice = originrules.advise(make_bom("871120", [*parts, housing], fob="1000"), rs)
    assert advice.resourced == () and set(advice.paperwork) <= {"in0", "in1", "in2", "in3"} and advice.paperwork
    assert advice.message.startswith("Obtain origin declarations from the suppliers of")


def test_the_advisor_says_to_renew_an_expired_declaration(db: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from originrules.bom import as_date
    from tests.test_store import ROWS, declarations_file

    store = originrules.Store(db)
    store.import_declarations(str(declarations_file(tmp_path, ROWS[:1])))  # LTSD-7: Pune Castings PC-7, 2026-01-01 to 2026-12-31
    crankcase = material("1", "840991", "600", "IN", supplier="Pune Castings", part_number="PC-7")
    bom = make_bom("871120", [crankcase, material("2", "840991", "100", "CN", False)], fob="1000", importing_country="AE")
    resolved = store.resolve(bom, "UAE", as_date("2027-01-05")).bom
    advice = originrules.advise(resolved, ruleset("87: VA(build_down, fob) >= 45%\n"))
    assert advice.paperwork == ("1",) and advice.resourced == ()
    assert advice.message.startswith("Renew the expired declaration of 1 (") and "LTSD-7 expired on 2026-12-31" in advice.message


def test_a_terminal_report_lists_the_first_200_materials_failing_ones_first_and_counts_the_rest():
    # 250 non-originating materials: 240 change heading, the last 10 (worth 20% of the product) do not.
    # The terminal shows 200 rows with the 10 failing ones at the top, and says how many it left
    # out; the JSON lists every material, each row as the terminal shows it
    from originrules.engine import material_statuses

    rs = ruleset("87: CTH\n")
    passing = [material(f"p{i:03}", "731815", "1") for i in range(240)]
    failing = [material(f"f{i}", "871410", "20") for i in range(10)]  # 200 of 1,000: beyond any tolerance
    d = originrules.check(make_bom("871410", passing + failing), rs)
    text = originrules.render(d, "text")
    rows = [line.split()[0] for line in text.splitlines() if line.strip().startswith(("p", "f")) and "material" in line]
    assert d.originating is False and len(rows) == 200
    assert rows[:10] == [f"f{i}" for i in range(10)] and rows[10] == "p000"
    assert "50 more beyond the first 200, failing ones first" in " ".join(text.split())
    assert "250 materials, of which 250 non-originating" in text
    listed = [m for m in d.bom.materials if m.id in {"f3", "p017"}]
    assert material_statuses(d.bom, d.assumed, listed) == tuple(s for s in d.materials if s.id in {"f3", "p017"})
    assert len(json.loads(originrules.render(d, "json"))["materials"]["items"]) == 250
