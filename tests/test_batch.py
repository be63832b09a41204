"""Catalogues: batch over JSON Lines, CSV and Excel, in input order, errors as records; Dask gives
the same records; the BOM schema is in step with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import originrules
from originrules.bom import MATERIAL_FIELDS, PRODUCT_FIELDS
from originrules.cli import main
from originrules.inputs import bom_schema
from tests.conftest import REPO

EXAMPLES = sorted((REPO / "examples").glob("*-uae*.json"))


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    lines = [json.dumps(json.loads(p.read_text(encoding="utf-8"))) for p in EXAMPLES] * 3
    lines.insert(2, '{"product": {"hs_code": "87"}, "materials": []}')  # bad: line 3
    lines.insert(4, "")  # a blank line is skipped
    path = tmp_path / "catalogue.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batch_writes_one_record_per_bom_in_input_order_and_goes_on_after_errors(catalogue: Path, tmp_path: Path):
    out = tmp_path / "decisions.jsonl"
    result = run("batch", str(catalogue), "--agreement", "UAE", "-o", str(out))
    assert result.exit_code == 2  # there was an error record (bad input)
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 6, 7, 8]
    assert "product.hs_code: expected an HS code of 6 to 10 digits" in records[2]["error"]
    assert [r.get("verdict") for r in records if "error" not in r] == ["not originating", "originating"] * 3
    assert "7 decisions: 3 originating, 3 not originating, 0 undetermined, 0 on a route no agreement covers, 1 errors" in result.output
    assert "UAE: 1 error, 3 not originating, 3 originating" in result.output


def test_batch_with_two_jobs_gives_the_same_bytes(catalogue: Path, tmp_path: Path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run("batch", str(catalogue), "-a", "UAE", "-o", str(one))
    run("batch", str(catalogue), "-a", "UAE", "-o", str(two), "--jobs", "2")
    assert one.read_bytes() == two.read_bytes()


def test_batch_csv_summary(catalogue: Path, tmp_path: Path):
    out = tmp_path / "summary.csv"
    run("batch", str(catalogue), "-a", "UAE", "-o", str(out))
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "line,agreement,hs_code,verdict,rule,rule_source,reasons,warnings,decision_id,error"
    assert rows[1].startswith("1,UAE,871120,not originating,87,rulesets/india-uae-cepa.roo:")


def test_a_record_that_does_not_originate_says_which_tests_failed_with_their_figures(catalogue: Path, tmp_path: Path):
    out = tmp_path / "decisions.jsonl"
    run("batch", str(catalogue), "-a", "UAE", "-o", str(out))
    failing = next(json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if '"not originating"' in x)
    # the failing motorcycle: VA 36.24% on FOB, 33.81% on ex-works (examples/README.md)
    assert any(r.startswith("rule 87: VA build-down on FOB = ") and r.endswith("not met") for r in failing["reasons"])


def test_without_an_agreement_each_bom_is_decided_under_every_agreement_on_its_route(tmp_path: Path):
    uae = json.loads((REPO / "examples" / "motorcycle-uae.json").read_text(encoding="utf-8"))
    uk = json.loads((REPO / "examples" / "car-uk.json").read_text(encoding="utf-8"))
    nowhere = json.loads(json.dumps(uae))
    nowhere["product"]["importing_country"] = "US"
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in (uae, uk, nowhere)) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    result = run("batch", str(path), "-o", str(out))
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    # India to the UK: the CETA and the UK's DCTS (India is a beneficiary); not the GSP, which
    # applied until 2023-06-18
    assert [(r["line"], r["agreement"], r["verdict"]) for r in records] == [
        (1, "UAE", "originating"), (2, "UK", "originating"), (2, "UK-DCTS-GENERAL-ENHANCED", "originating"), (3, None, "not covered"),
    ]
    assert records[3]["reasons"] == ["no shipped agreement covers IN to US"]
    assert result.exit_code == 0
    assert "UAE: 1 originating" in result.output and "UK: 1 originating" in result.output and "1 on a route no agreement covers" in result.output


def test_check_reads_the_csv_and_excel_templates():
    csv_path = REPO / "examples" / "motorcycle-uae.csv"
    from_csv = originrules.check(originrules.inputs.load(csv_path), "UAE")
    from_json = originrules.check(originrules.load_bom(REPO / "examples" / "motorcycle-uae.json"), "UAE")
    assert (from_csv.originating, from_csv.trace.to_dict()) == (from_json.originating, from_json.trace.to_dict())
    xlsx = originrules.inputs.load(REPO / "examples" / "motorcycle-uae.xlsx")
    assert xlsx.materials == from_json.bom.materials and xlsx.product.fob == from_json.bom.product.fob
    assert run("check", str(csv_path), "-a", "UAE").exit_code == 0


def test_csv_errors_name_the_row(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("type,id,hs_code,value,origin,fob\nproduct,,871120,,,1000\nmaterial,1,840991,abc,JP,\nmaterial,2,30559,5,NO,\n", encoding="utf-8")
    result = run("check", str(path), "-a", "UAE")
    assert result.exit_code == 2
    assert "row 3 (materials[0].value: expected a non-negative number, got \"abc\")" in result.output


def test_a_csv_code_that_lost_its_leading_zero_is_restored(tmp_path: Path):
    path = tmp_path / "fish.csv"
    path.write_text("type,id,hs_code,value,origin,fob\nproduct,,160420,,,100\nmaterial,1,30559,40,NO,\n", encoding="utf-8")
    d = originrules.check(originrules.inputs.load(path), "UAE")
    assert d.bom.materials[0].hs_code == "030559"
    assert any("read as 030559" in w for w in d.warnings)


def test_csv_intermediates_by_parent_and_cycles(tmp_path: Path):
    ok = tmp_path / "ok.csv"
    ok.write_text("type,id,hs_code,value,origin,parent,fob,ex_works\nproduct,,871120,,,,1000,1000\nmaterial,frame,871410,400,IN,,,\nmaterial,tube,730630,300,CN,frame,,\n", encoding="utf-8")
    bom = originrules.inputs.load(ok)
    assert bom.materials[0].materials[0].id == "tube"
    cyc = tmp_path / "cycle.csv"
    cyc.write_text("type,id,hs_code,value,origin,parent,fob\nproduct,,871120,,,,1000\nmaterial,a,871410,1,IN,b,\nmaterial,b,871410,1,IN,a,\n", encoding="utf-8")
    result = run("check", str(cyc), "-a", "UAE")
    assert result.exit_code == 2 and "is its own ancestor" in result.output


def test_the_bom_schema_is_in_step_with_the_loader():
    schema = bom_schema()
    assert set(schema["properties"]["product"]["properties"]) == set(PRODUCT_FIELDS)
    assert set(schema["$defs"]["material"]["properties"]) == set(MATERIAL_FIELDS)
    import jsonschema

    for path in (REPO / "examples").glob("*.json"):
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"product": {"hs_code": "871120", "colour": "red"}, "materials": []}, schema)
    assert json.loads(run("schema", "bom").output) == schema


def test_dask_bag_on_the_synchronous_scheduler_matches_batch(catalogue: Path, tmp_path: Path):
    import dask
    import dask.bag as db

    import originrules.scale as ors

    out = tmp_path / "decisions.jsonl"
    run("batch", str(catalogue), "-a", "UAE", "-o", str(out))
    expected = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    lines = [(n, t) for n, t in enumerate(catalogue.read_text(encoding="utf-8").splitlines(), start=1) if t.strip()]
    bag = db.from_sequence(lines, npartitions=3)
    with dask.config.set(scheduler="synchronous"):
        got = ors.check_bag(bag, "UAE").compute()
    assert got == expected


def test_excel_numbers_are_read_as_typed_and_codes_that_became_numbers_are_repaired(tmp_path: Path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["type", "id", "hs_code", "value", "origin", "originating", "fob", "ex_works"])
    sheet.append(["product", None, 160420, None, None, None, 1090.1, 1050])  # numbers, as a spreadsheet keeps them
    sheet.append(["material", 1, 30559, 100.1, "NO", None, None, None])
    sheet.append(["material", 2, 160300, 0.3, "IN", True, None, None])
    path = tmp_path / "fish.xlsx"
    book.save(path)
    bom = originrules.inputs.load(path)
    assert str(bom.product.fob) == "1090.1" and str(bom.materials[0].value) == "100.1" and str(bom.materials[1].value) == "0.3"
    assert bom.product.hs_code == "160420" and bom.materials[0].hs_code == "030559"
    assert bom.materials[0].id == "1" and bom.materials[1].originating is True
    assert any("read as 030559" in w for w in bom.warnings)


def test_a_line_that_is_not_utf8_is_one_error_record(tmp_path: Path):
    good = json.dumps(json.loads((REPO / "examples" / "motorcycle-uae.json").read_text(encoding="utf-8")))
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good.encode() + b"\n\xff\xfe bad\n" + good.encode() + b"\n")
    out = tmp_path / "out.jsonl"
    result = run("batch", str(path), "-a", "UAE", "-o", str(out))
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r.get("verdict", "error") for r in records] == ["originating", "error", "originating"]
    assert "line 2 is not UTF-8" in records[1]["error"]
    assert result.exit_code == 2


def test_a_missing_catalogue_writes_nothing(tmp_path: Path):
    out = tmp_path / "out.jsonl"
    result = run("batch", str(tmp_path / "none.jsonl"), "-a", "UAE", "-o", str(out))
    assert result.exit_code == 2 and "no such file" in result.output and not out.exists()


def test_the_partition_function_for_dataframes_and_spark_gives_the_batch_records(catalogue: Path, tmp_path: Path):
    import pandas as pd

    import originrules.scale as ors

    out = tmp_path / "decisions.jsonl"
    run("batch", str(catalogue), "-a", "UAE", "-o", str(out))
    expected = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    lines = [(n, t) for n, t in enumerate(catalogue.read_text(encoding="utf-8").splitlines(), start=1) if t.strip()]
    frame = pd.DataFrame({"line": [n for n, _ in lines], "bom": [t for _, t in lines]})
    got = ors.check_partition(frame, "UAE", column="bom", line_column="line")
    assert list(got["line"]) == [r["line"] for r in expected]
    assert list(got["verdict"].fillna("error")) == [r.get("verdict", "error") for r in expected]
    assert list(got["decision_id"].dropna()) == [r["decision_id"] for r in expected if "decision_id" in r]
