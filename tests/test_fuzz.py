"""Fuzzing: whatever a BOM (JSON or CSV) or a ruleset holds, the only outcomes are a decision or
one of originrules' own errors (exit 2 on the command line). Never a traceback, never exit 1
for bad input. A bounded number of examples per run; what hypothesis finds is kept below as
`@example`s, each a regression test."""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import originrules
from originrules.bom import loads
from originrules.cli import main
from originrules.compile import compile_ruleset
from originrules.errors import OriginrulesError
from originrules.inputs import read_rows, rows_to_boms
from originrules.lang.check import lint_text
from originrules.lang.resolve import load_text
from originrules.report import FORMATS
from originrules.safetext import unsafe_character

from .conftest import HEADER

EXAMPLE = json.loads((Path(__file__).resolve().parent.parent / "examples" / "motorcycle-uae.json").read_text(encoding="utf-8"))
# ORIGINRULES_FUZZ=5000 for a long hunt; CI runs a bounded number each time
FUZZ = settings(max_examples=int(os.environ.get("ORIGINRULES_FUZZ", "120")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e999999999", "-0", "0.0000000000001", "1E+5000", "1" + "0" * 400, "NaN", "Infinity", "1e-7", "12.5"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
scalars = st.one_of(st.none(), st.booleans(), numbers.map(Decimal), numbers, st.text(max_size=12), st.sampled_from(["IN", "AE", "unknown", "871120", "0000", "999999", "8714.10", "30590"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
FIELDS = ["id", "description", "hs_code", "value", "origin", "originating", "wholly_obtained", "role", "currency", "ex_works", "fob", "materials", "bogus"]


def _decide(text: str) -> None:
    """The whole path a BOM takes: read, decide, render every format. Only our errors may escape."""
    try:
        bom = loads(text, "fuzz.json")
        decision = originrules.check(bom, "UAE")
        for fmt in FORMATS:
            originrules.render(decision, fmt, explain="full")
        if decision.originating is False:
            originrules.advise(bom, "UAE")
    except OriginrulesError:
        pass


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


@st.composite
def mutated_boms(draw: Any) -> str:
    """A real BOM with a few fields replaced by anything JSON can hold."""
    bom = json.loads(json.dumps(EXAMPLE))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.sampled_from(["product", "material", "top", "costs"]))
        key = draw(st.sampled_from(FIELDS + ["hs_code", "ex_works", "fob", "importing_country"]))
        value = draw(json_values)
        materials = bom.get("materials")
        if where == "material" and isinstance(materials, list) and materials and all(isinstance(m, dict) for m in materials):
            materials[draw(st.integers(0, len(materials) - 1))][key] = value
        elif where == "product" and isinstance(bom.get("product"), dict):
            bom["product"][key] = value
        elif where == "costs":
            bom["costs"] = {draw(st.sampled_from(["direct_labour", "profit", "x"])): value}
        else:
            bom[draw(st.sampled_from(["materials", "product", "exchange_rates", "_note"]))] = value
    return _dumps(bom)


@FUZZ
@given(mutated_boms())
@example('{"product": {"hs_code": "871120", "fob": "1"}, "materials": [{"id": "a", "hs_code": "999999", "value": "1", "origin": "CN"}]}')
@example('{"product": {"hs_code": "871120", "fob": 1e999999999}, "materials": []}')
@example('{"product": {"hs_code": "871120", "fob": "1", "fob": "2"}, "materials": []}')
def test_any_bom_json_ends_in_a_decision_or_our_error(text: str) -> None:
    _decide(text)


@FUZZ
@given(st.binary(max_size=300))
@example(b"[" * 5000)
@example(b'{"a":' * 3000)
@example(b"\xff\xfe{}")
def test_any_bytes_as_a_bom_file_exit_with_a_verdict_or_2(data: bytes) -> None:
    path = Path(tempfile.mkdtemp()) / "bom.json"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["check", str(path), "-a", "UAE"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output


CSV_CELLS = st.one_of(st.sampled_from(["product", "material", "rate", "871120", "840991", "IN", "CN", "1000", "1e400", "9" * 40, "true", "x", "", "m1", "m2", "USD"]), st.text(max_size=6))


@FUZZ
@given(rows=st.lists(st.lists(CSV_CELLS, min_size=1, max_size=8), max_size=8), header=st.sampled_from(["type,id,hs_code,value,origin,fob,parent", "type,id,hs_code,value,origin,ex_works,currency", "id,value"]))
@example(rows=[["material", "m1", "840991", "1" + "0" * 400, "CN", "", ""]], header="type,id,hs_code,value,origin,fob,parent")
def test_any_bom_csv_ends_in_a_decision_or_our_error(rows: list[list[str]], header: str) -> None:
    path = Path(tempfile.mkdtemp()) / "bom.csv"
    path.write_text(header + "\n" + "\n".join(",".join(json.dumps(c) if "," in c or '"' in c else c for c in r) for r in rows) + "\n", encoding="utf-8")
    try:
        for bom in rows_to_boms(read_rows(path, "csv"), str(path)):
            if isinstance(bom, OriginrulesError):
                continue
            originrules.render(originrules.check(bom, "UAE"), "text")
    except OriginrulesError:
        pass


# ---------------------------------------------------------------- rulesets

TOKENS = ["CTH", "CTSH", "CC", "WO", "VA", "RVC", "VNM", "and", "or", "(", ")", ">=", "<=", ">", "40%", "1e400%", "45.5%", "9" * 30 + "%",
          "except", "from", "chapter", "heading", "8407", "87", "8701-8705", "ex", "let", "va", "(fob)", "(build_down, ex_works)", ",", ":", "\n",
          "general", "source", '"s"', "inferred", "p", "=", "-", "of", "basis", "within", "tolerance", "withheld", "process", "melt"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
@example(["87", ":", "VA", ">=", "9" * 30 + "%"])
@example(["87", ":", "(", "(", "CTH"])
@example(["and", "VA"])  # found by hypothesis: a value test with no comparison was a TypeError
@example(["and", "VNM"])
def test_any_rule_made_of_real_tokens_parses_or_is_our_error(tokens: list[str]) -> None:
    text = HEADER + "87: CTH\n" + " ".join(tokens) + "\n"
    lint_text(text, "fuzz.roo")  # returns problems, never raises
    try:
        crs = compile_ruleset(load_text(text, "fuzz.roo"), eager=True)
    except OriginrulesError:
        return
    try:
        originrules.render(originrules.check(loads(_dumps(EXAMPLE)), crs), "text", explain="full")
    except OriginrulesError:
        pass


@FUZZ
@given(st.text(max_size=400))
@example("agreement X {" * 2000)
@example("87: " + "(" * 100_000)
def test_any_text_as_a_ruleset_is_a_ruleset_or_our_error(text: str) -> None:
    try:
        load_text(text, "fuzz.roo")
    except OriginrulesError:
        pass


# ---------------------------------------------------------------- the declarations reader and the web forms

DECLARATION_CELLS = st.one_of(
    st.text(max_size=14),
    st.sampled_from(["Pune Castings", "PC-7", "840991", "8409.91", "IN", "india", "true", "false", "maybe", "UAE", "uk", "NOPE",
                     "2026-01-01", "2026-13-01", "9999-12-31", "0001-01-01", "LTSD-1", "\u202e", "\x00", "a\nb", '"', "=1+1"]),
)
DECLARATION_HEADER = "supplier,part_number,hs_code,origin,originating,agreement,valid_from,valid_to,reference"


@FUZZ
@given(rows=st.lists(st.lists(DECLARATION_CELLS, min_size=9, max_size=10), max_size=6), header=st.sampled_from([DECLARATION_HEADER, "supplier,reference", ""]))
def test_any_declarations_file_is_imported_whole_or_refused_with_a_coded_message(rows: list[list[str]], header: str) -> None:
    import csv
    import io

    from originrules.store import Store, StoreError

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        buffer.write(header + "\n")
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ltsd.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        store = Store(f"sqlite:///{Path(folder) / 'r.db'}")
        try:
            counts = store.import_declarations(str(path))
        except StoreError as e:
            assert e.code in ("DEC001", "DEC003")
            assert store.declarations() == []  # all or nothing
            counts = None
        kept = store.declarations()
        assert store.engine is not None
        store.engine.dispose()
    if counts is not None:
        assert counts["imported"] == len(kept)
        assert all(unsafe_character(d.supplier + d.part_number + d.reference) is None for d in kept)


FORM_TEXT = st.one_of(st.text(max_size=20), st.sampled_from(["", "[", "[]", "5", '["1.value=abc"]', '["product.fob=1200"]', "null", "{}", "true", "-1", "1e999"]))
FORM_KEYS = st.one_of(st.sampled_from(["m:1:value", "m:1:originating", "m:1:origin", "p:product:fob", "p:product:ex_works", "m:", "p:", "m:1:__class__", "m:x:y:z", "changes", "agreement"]),
                      st.text(min_size=1, max_size=10).map(lambda k: "m:" + k))


@FUZZ
@given(fields=st.dictionaries(FORM_KEYS, FORM_TEXT, max_size=5), query=st.dictionaries(st.sampled_from(["within", "hs", "agreement", "product", "csrf"]), FORM_TEXT, max_size=3))
def test_any_form_or_query_the_workspace_is_sent_is_answered_never_a_server_error(fields: dict[str, str], query: dict[str, str]) -> None:
    import pytest

    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from originrules.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        client = TestClient(create_app(f"sqlite:///{Path(folder) / 'w.db'}"), base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
        client.get("/")
        token = client.cookies["csrf"]
        for path in ("/declarations", "/rules", "/history"):
            assert client.get(path, params=query).status_code in (200, 400), (path, query)
        data = {"bom_json": json.dumps(EXAMPLE), "agreement": "UAE", **fields}
        answer = client.post(f"/what-if?csrf={token}", data=data)
        assert answer.status_code in (200, 400), (fields, answer.status_code, answer.text[:300])
