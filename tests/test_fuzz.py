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
