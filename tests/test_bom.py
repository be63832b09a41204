"""A broken BOM is refused with its JSON path and what was expected; a good one is read exactly."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import originrules
from originrules.bom import _canonical, decode, from_dict, loads
from originrules.errors import BomError
from tests.conftest import REPO

EXAMPLES = REPO / "examples"

GOOD: dict[str, Any] = {
    "product": {"hs_code": "8711.20", "description": "motorcycle", "ex_works": "1050", "fob": 1090.10, "currency": "USD"},
    "costs": {"direct_labour": "12.5"},
    "materials": [
        {"id": "1", "description": "engine part", "hs_code": "840991", "value": "42.10", "origin": "JP"},
        {"id": "2", "description": "tank", "hs_code": "8714 10", "value": 26, "origin": "IN", "originating": True},
    ],
}


def broken(path: str, value: Any) -> str:
    data = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = data
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is DELETE:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return json.dumps(data, default=str)


DELETE = object()


def test_a_good_bom_is_read_exactly():
    bom = loads(json.dumps(GOOD), "good.json")
    assert bom.product.hs_code == "871120"
    assert bom.product.fob == Decimal("1090.10")  # a JSON number, read without passing through float
    assert bom.materials[0].value == Decimal("42.10")
    assert bom.materials[1].hs_code == "871410"
    assert bom.materials[0].originating is None  # undeclared: non-originating by default
    assert bom.costs == {"direct_labour": Decimal("12.5")}


CASES = [
    # (what is broken, the file text, the message expected)
    ("not JSON", "{", "not valid JSON"),
    ("top level a list", "[]", "expected a JSON object at the top"),
    ("no product", broken("product", DELETE), "product: is required"),
    ("product not an object", broken("product", "x"), 'product: expected an object, got "x"'),
    ("no product HS code", broken("product.hs_code", DELETE), "product.hs_code: is required"),
    ("product HS code too short", broken("product.hs_code", "8711"), 'product.hs_code: expected an HS code of 6 to 10 digits (dots and spaces allowed), got "8711"'),
    ("product HS code a list", broken("product.hs_code", [871120]), "product.hs_code: expected an HS code as a text"),
    ("unknown product field", broken("product.hscode", "871120"), "product.hscode: unknown field"),
    ("unknown material field", broken("materials.0.orign", "JP"), "materials[0].orign: unknown field"),
    ("unknown role", broken("materials.0.role", "gift"), 'materials[0].role: expected one of accessory'),
    ("currency without a rate", broken("materials.0.currency", "EUR"), "materials[0].currency: EUR has no rate in exchange_rates"),
    ("letters in the HS code", broken("product.hs_code", "87ab20"), "product.hs_code: expected an HS code"),
    ("ex-works not a number", broken("product.ex_works", "abc"), 'product.ex_works: expected a non-negative number, got "abc"'),
    ("negative FOB", broken("product.fob", -5), "product.fob: expected a non-negative number, got -5"),
    ("zero ex-works", broken("product.ex_works", 0), "product.ex_works: must be greater than zero"),
    ("no value basis at all", json.dumps({"product": {"hs_code": "871120"}, "materials": []}), "product: needs ex_works or fob"),
    ("material value a word", broken("materials.0.value", "abc"), 'materials[0].value: expected a non-negative number, got "abc"'),
    ("material value missing", broken("materials.1.value", DELETE), "materials[1].value: is required"),
    ("material value NaN", broken("materials.0.value", "NaN"), 'materials[0].value: expected a non-negative number, got "NaN"'),
    ("material value a boolean", broken("materials.0.value", True), "materials[0].value: expected a non-negative number, got true"),
    ("materials not a list", broken("materials", {}), "materials: expected a list, got an object"),
    ("no materials", broken("materials", DELETE), "materials: is required"),
    ("material not an object", broken("materials.0", 7), "materials[0]: expected an object, got 7"),
    ("bad origin", broken("materials.0.origin", "Japan"), 'materials[0].origin: expected an ISO 3166 alpha-2 country code such as IN or "unknown", got "Japan"'),
    ("missing origin", broken("materials.0.origin", DELETE), "materials[0].origin: is required"),
    ("originating not a boolean", broken("materials.1.originating", "yes"), 'materials[1].originating: expected true or false, got "yes"'),
    ("duplicate material id", broken("materials.1.id", "1"), "materials[1].id: '1' is used twice (also materials[0])"),
    ("material HS code with letters", broken("materials.0.hs_code", "84x9"), "materials[0].hs_code: expected an HS code of 2 to 10 digits"),
    ("unknown cost", broken("costs.labour", "5"), "costs.labour: unknown cost"),
    ("processes not a list", broken("product.processes", "assembly"), "product.processes: expected a list of process names"),
    ("unknown top-level field", broken("matrials", []), "matrials: unknown field"),
    ("originating with unknown origin", broken("materials.1.origin", "unknown"), 'materials[1].originating: is true but origin is "unknown"'),
]


@pytest.mark.parametrize("what,text,message", CASES, ids=[c[0] for c in CASES])
def test_a_broken_bom_names_the_path_and_what_was_expected(what: str, text: str, message: str):
    with pytest.raises(BomError) as e:
        loads(text, "bad.json")
    rendered = e.value.render()
    assert message in rendered
    assert rendered.startswith("bad.json")


def test_every_problem_is_reported_not_only_the_first():
    data = copy.deepcopy(GOOD)
    data["materials"][0]["value"] = "abc"
    data["materials"][1]["origin"] = "Nowhere"
    with pytest.raises(BomError) as e:
        loads(json.dumps(data), "bad.json")
    paths = [p.message.split(":")[0] for p in e.value.problems]
    assert paths == ["materials[0].value", "materials[1].origin"]


def test_originating_from_outside_the_cumulation_zone_is_an_input_error():
    data = copy.deepcopy(GOOD)
    data["materials"][0].update({"origin": "JP", "originating": True})
    bom = loads(json.dumps(data), "bad.json")
    with pytest.raises(BomError) as e:
        originrules.check(bom, "UAE")
    assert "materials[0].originating" in e.value.render()
    assert "outside the cumulation zone" in e.value.render()


# ---------------------------------------------------------------- the two readings agree
# loads() reads the canonical form in C (msgspec) and anything else in full; both must give
# the same BOM, and the fast reading must never accept what the full reading refuses.


_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_numbers = st.one_of(
    st.decimals(min_value=0, max_value=10**15, places=2).map(str),
    st.decimals(min_value=0, max_value=10, places=13).map(str),
    st.sampled_from(["0", "1", "12.5", "999999999999999", "1000000000000000", "0.000000000001", "0.0000000000001", "1.", ".5", "-1", "1e3", "NaN", " 1"]),
    # a JSON number, as people and json.dump write them: marked here, written bare in the text below
    st.one_of(
        st.integers(min_value=-1, max_value=10**16).map(str),
        st.floats(min_value=0, max_value=1e16, allow_nan=False).map(repr),
        st.decimals(min_value=0, max_value=10**6, places=14).map(str),
        st.sampled_from(["1e3", "1.50", "007", "1E+3", "0.0"]),
    ).map(lambda number: f"RAW:{number}"),
)


@st.composite
def _material(draw, i):  # type: ignore[no-untyped-def]
    m = {"id": draw(st.sampled_from([f"m{i}", f"m{i}", "dup", 7]))}
    for key, strategy in (
        ("value", st.one_of(_numbers, st.decimals(min_value=0, max_value=1000, places=2))),
        ("origin", st.sampled_from(["IN", "AE", "CN", "unknown", "Unknown", "in", "ZZ", "IND"])),
        ("hs_code", st.sampled_from(["871410", "8714", "87", "8714.10", "871410100", "87141010", "", "x"])),
        ("description", st.one_of(_texts, st.just(""))),
        ("originating", st.sampled_from([True, False, None])),
    ):
        if key in ("value", "origin") or draw(st.booleans()):
            m[key] = draw(strategy)
    if draw(st.integers(0, 9)) == 0:
        m[draw(st.sampled_from(["role", "currency", "_note", "wholly_obtained"]))] = draw(st.sampled_from(["tool", "USD", "x", True]))
    return m


@st.composite
def _bom_texts(draw):  # type: ignore[no-untyped-def]
    product = {"hs_code": draw(st.sampled_from(["871120", "87112010", "8711", "871120.", "999999"]))}
    for key, strategy in (
        ("description", _texts),
        ("ex_works", _numbers),
        ("fob", _numbers),
        ("exporting_country", st.sampled_from(["IN", "in", "unknown"])),
        ("importing_country", st.sampled_from(["AE", "GB"])),
        ("wholly_obtained", st.booleans()),
        ("processes", st.lists(_texts, max_size=2)),
    ):
        if draw(st.booleans()):
            product[key] = draw(strategy)
    data = {"product": product, "materials": [draw(_material(i)) for i in range(draw(st.integers(0, 5)))]}
    if draw(st.booleans()):
        data["costs"] = {draw(st.sampled_from(["direct_labour", "profit", "other"])): draw(_numbers)}
    if draw(st.booleans()):
        data["exchange_rates"] = {"USD": draw(_numbers)}
    text = json.dumps(data, default=str, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    text = re.sub(r'"RAW:([^"]*)"', r"\1", text)  # the marked numbers, bare
    if draw(st.integers(0, 5)) == 0:  # a repeated key, somewhere
        text = text.replace('"value": ', '"value": "1", "value": ', 1).replace('"hs_code": ', '"hs_code": "87", "hs_code": ', 1)
    return text


@settings(max_examples=300, deadline=None)
@given(_bom_texts())
def test_the_fast_reading_gives_the_full_readings_bom_or_steps_aside(text: str) -> None:
    fast = _canonical(text.encode("utf-8"), "b.json", "digest")
    try:
        full = from_dict(decode(text, "b.json"), "b.json", digest="digest")
    except BomError:
        assert fast is None, "the fast reading accepted a BOM the full reading refuses"
        return
    if fast is not None:
        assert fast == full and fast.materials == full.materials and fast.costs == full.costs


def test_a_canonical_bom_is_read_by_the_fast_reading():
    text = (EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8")
    fast = _canonical(text.encode("utf-8"), "m.json", "d")
    assert fast is not None and fast == from_dict(decode(text), "m.json", digest="d")


def test_a_repeated_key_is_refused_even_where_the_fast_reading_would_keep_the_last():
    text = '{"product": {"hs_code": "871120", "fob": "100"}, "materials": [{"id": "a", "value": "1", "value": "2", "origin": "CN"}]}'
    assert _canonical(text.encode(), "x", "d") is None
    with pytest.raises(BomError, match="'value' given twice"):
        loads(text)


def test_codes_with_dots_and_amounts_as_json_numbers_are_read_by_the_fast_reading():
    # issue 25, item 9: the fast reading held only for canonical input; people write "8714.10" and 18000.50
    data = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    data["product"].update({"hs_code": "8711.20", "fob": 1090, "ex_works": 1050.00})
    for m in data["materials"]:
        m["hs_code"] = m["hs_code"][:4] + "." + m["hs_code"][4:]
        m["value"] = float(m["value"]) if "." in m["value"] else int(m["value"])
    text = json.dumps(data)
    fast = _canonical(text.encode("utf-8"), "m.json", "d")
    assert fast is not None and fast == from_dict(decode(text), "m.json", digest="d") and fast.materials == from_dict(decode(text), "m.json", digest="d").materials
    assert fast.product.hs_code == "871120" and fast.product.ex_works == Decimal("1050.00")


def test_reading_a_bom_holds_the_cycle_collector_off_only_while_it_reads():
    # the collector is held off while a BOM's tuples are built, and is running again afterwards,
    # whether the BOM was read or refused; a caller who turned it off keeps it off
    import gc

    good = json.dumps({"product": {"hs_code": "871120", "fob": "100"}, "materials": [{"id": "a", "hs_code": "7318.15", "value": 5, "origin": "CN"}]})
    try:
        assert gc.isenabled()
        assert loads(good).materials[0].hs_code == "731815"
        assert gc.isenabled()
        with pytest.raises(BomError):
            loads('{"product": {"hs_code": "871120", "fob": "100"}, "materials": [{"id": "a", "value": "-5", "origin": "CN"}]}')
        assert gc.isenabled()
        gc.disable()
        loads(good)
        assert not gc.isenabled()
    finally:
        gc.enable()
