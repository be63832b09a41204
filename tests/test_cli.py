"""The `originrules` command as a user runs it: verdicts, exit codes, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import originrules
from originrules.cli import main
from tests.conftest import REPO, rule_line

EXAMPLE = str(REPO / "examples" / "motorcycle-uae.json")


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_check_prints_the_verdict_first_and_exits_0_when_originating():
    result = run("check", EXAMPLE, "--agreement", "UAE")
    assert result.exit_code == 0
    assert result.output.startswith("ORIGINATING: ")
    assert rule_line("india-uae-cepa.roo", "87") in result.output


def test_check_exits_1_when_not_originating():
    result = run("check", str(REPO / "examples" / "motorcycle-uae-fail.json"), "-a", "uae")
    assert result.exit_code == 1
    assert result.output.startswith("NOT ORIGINATING: ")


def test_check_exits_3_when_undetermined():
    result = run("check", str(REPO / "examples" / "diesel-engine-efta.json"), "-a", "ch")
    assert result.exit_code == 3
    assert "EFTA has no rule for HS 840890" in result.output


def test_json_output_has_the_documented_fields():
    result = run("check", EXAMPLE, "--agreement", "ae", "--format", "json")
    assert result.exit_code == 0
    d = json.loads(result.output)
    assert d["originating"] is True
    assert set(d["agreement"]) >= {"code", "name", "ruleset", "ruleset_sha256"}
    assert d["agreement"]["code"] == "UAE" and len(d["agreement"]["ruleset_sha256"]) == 64
    assert d["product"]["hs_code"] == "871120"
    assert d["rule"]["key"] == "87" and d["rule"]["text"] == "CTH and va(45%)"
    assert d["rule"]["source"] == rule_line("india-uae-cepa.roo", "87")

    def nodes(t):  # type: ignore[no-untyped-def]
        yield t
        for c in t["children"]:
            yield from nodes(c)

    every = list(nodes(d["trace"]))
    assert all({"test", "passed", "text", "children"} <= set(n) for n in every)
    value = next(n for n in every if n["test"] == "value" and n.get("percent"))
    assert {"method", "basis", "percent", "threshold", "operator"} <= set(value)
    assert value["percent"] == "86.70"
    shift = next(n for n in every if n["test"] == "shift")
    assert shift["level"] == "heading" and shift["failing_materials"] == []
    assert d["warnings"] == []


def test_an_unknown_agreement_lists_the_known_ones_and_exits_2():
    result = run("check", EXAMPLE, "--agreement", "XX")
    assert result.exit_code == 2
    assert "unknown agreement 'XX'" in result.output and "UAE (AE)" in result.output


def test_a_broken_bom_names_file_and_path_and_exits_2(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"product": {"hs_code": "871120", "fob": "x"}, "materials": [{"id": "1", "value": "abc", "origin": "IN"}]}')
    result = run("check", str(bad), "-a", "UAE")
    assert result.exit_code == 2
    assert f"{bad}: error: [BOM001] product.fob: expected a non-negative number, got \"x\"" in result.output
    assert 'materials[0].value: expected a non-negative number, got "abc"' in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_is_a_clear_error():
    result = run("check", "no-such-file.json", "-a", "UAE")
    assert result.exit_code == 2
    assert "no-such-file.json: error: [BOM000] no such file" in result.output


def test_a_broken_ruleset_names_line_and_column(tmp_path: Path):
    roo = tmp_path / "x.roo"
    roo.write_text('agreement X "x" {\n parties IN, AE\n value_name VA\n basis fob\n}\n87: CTHH and VA >= 40%\n')
    result = run("check", EXAMPLE, "-a", "X", "--ruleset", str(roo))
    assert result.exit_code == 2
    assert f"{roo}:6:5: error: [ORL201] unknown test CTHH" in result.output
    assert "did you mean CTH?" in result.output


def test_assume_origin_is_named_in_warnings(tmp_path: Path):
    bom = tmp_path / "b.json"
    bom.write_text(json.dumps({"product": {"hs_code": "871120", "fob": "100"}, "materials": [{"id": "pp", "hs_code": "390210", "value": "60", "origin": "AE"}]}))
    result = run("check", str(bom), "-a", "UAE", "--assume-origin", "--format", "json")
    assert json.loads(result.output)["originating"] is True
    assert "origin was to be assumed" in json.loads(result.output)["warnings"][0]


def test_help_explains_exit_codes():
    result = run("--help")
    assert "3 undetermined" in result.output
    assert "--assume-origin" in run("check", "--help").output


def test_agreements_lists_the_shipped_rulesets():
    result = run("agreements", "--format", "json")
    codes = {a["code"] for a in json.loads(result.output)}
    assert {"UAE", "UK", "EFTA"} <= codes


def test_agreements_of_one_party_leave_out_the_uk_schemes_with_third_countries():
    india = json.loads(run("agreements", "--party", "in", "--format", "json").output)
    codes = {a["code"] for a in india}
    assert {"UAE", "UK", "EFTA", "OMAN", "MAURITIUS", "AUSTRALIA", "ASEAN"} <= codes
    assert "UK-JAPAN" not in codes and "UK-EU" not in codes
    assert all("IN" in a["parties"] for a in india)  # the UK's DCTS and GSP schemes name India: they stay
    assert run("agreements", "--party", "India").exit_code == 2


def _installed_executable() -> str | None:
    beside = Path(sys.executable).parent / "originrules"
    return str(beside) if beside.exists() else shutil.which("originrules")


def test_the_installed_executable_runs_from_any_directory(tmp_path: Path):
    exe = _installed_executable()
    if exe is None:
        pytest.skip("originrules is not installed in this environment (pip install .)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([exe, "check", EXAMPLE, "--agreement", "UAE"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ORIGINATING")
    done = subprocess.run([exe, "check", EXAMPLE, "--agreement", "uae", "--format", "json"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(done.stdout)["rule"]["source"] == rule_line("india-uae-cepa.roo", "87")


def test_rules_shows_the_rule_its_place_and_a_plain_reading():
    result = run("rules", "gb", "8704.21", "--format", "json")
    assert result.exit_code == 0
    row = json.loads(result.output)
    (rule,) = row["rules"]
    assert rule["text"] == "CTH and qvc(45%, 50%, 40%)"
    assert rule["source"].startswith("rulesets/india-uk-ceta.roo:")
    assert rule["legal_source"] == "ORD v1.0 PSR: ex Chapter 87"
    assert rule["reading"].startswith("every non-originating material must change heading (CTH) and (either the QVC must be at least 45% of the ex-works price")


def test_rules_lists_the_subdivision_choices():
    result = run("rules", "UK", "711311", "--format", "json")
    subdivisions = [r["subdivision"] for r in json.loads(result.output)["rules"]]
    assert subdivisions == ["Silver jewellery: Plain", "Silver jewellery: Studded with Gemstones", "Silver jewellery: Studded with Diamonds", "Parts"]


def test_rules_compare_puts_every_agreement_side_by_side():
    result = run("rules", "--compare", "870322", "--format", "json")
    rows = {r["agreement"]: r for r in json.loads(result.output)}
    india = {"UAE", "UK", "EFTA", "OMAN", "MAURITIUS", "AUSTRALIA", "ASEAN"}
    uk_schemes = {p.stem.upper() for p in (REPO / "rulesets").glob("uk-*.roo")}
    assert set(rows) == india | uk_schemes
    assert rows["UK-EU"]["rules"][0]["text"]  # the UK's schemes too, e.g. the EU TCA's rule for cars
    assert rows["UK"]["rules"][0]["text"] == "QVC >= 35%"
    assert rows["MAURITIUS"]["rules"] == [] and rows["MAURITIUS"]["message"].startswith("MAURITIUS has no rule encoded for chapter 87 yet")
    assert "--ruleset FILE" in rows["MAURITIUS"]["message"]  # and what the user can do


def test_rules_says_when_a_chapter_has_rules_but_none_for_the_code():
    # the UAE ruleset holds 7102 and ex 711319 of chapter 71, not 7103
    message = json.loads(run("rules", "UAE", "7103", "--format", "json").output)["message"]
    assert "has rules in chapter 71" in message and "none covering HS 7103" in message


def test_rules_with_no_rule_exits_3_and_bad_code_exits_2():
    assert run("rules", "EFTA", "840890").exit_code == 3
    bad = run("rules", "UK", "87x3")
    assert bad.exit_code == 2 and "is not an HS code" in bad.output


def test_check_refuses_an_agreement_not_yet_in_force_on_the_date():
    result = run("check", str(REPO / "examples" / "car-uk.json"), "-a", "UK", "--date", "2026-07-14")
    assert result.exit_code == 2
    assert "UK (India–UK Comprehensive Economic and Trade Agreement) is not in force on 2026-07-14" in result.output
    assert run("check", str(REPO / "examples" / "car-uk.json"), "-a", "UK", "--date", "2026-07-15").exit_code == 0


def test_agreements_says_how_many_values_are_inferred():
    rows = {a["code"]: a for a in json.loads(run("agreements", "--format", "json").output)}
    india = {"UAE", "UK", "EFTA", "OMAN", "MAURITIUS", "AUSTRALIA", "ASEAN"}
    uk_schemes = {p.stem.upper() for p in (REPO / "rulesets").glob("uk-*.roo")}
    assert set(rows) == india | uk_schemes
    assert rows["UK"]["rules"] == rows["UK"]["translated"] == 313
    # an imported scheme says how much of it is translated; the rest answer undetermined
    assert 0 < rows["UK-EU"]["translated"] < rows["UK-EU"]["rules"] == 352
    assert rows["AUSTRALIA"]["inferred"] >= 2
    assert rows["MAURITIUS"]["in_force"] == "2021-04-01"


def test_rules_compare_narrowed_to_one_partys_agreements():
    out = CliRunner().invoke(main, ["rules", "--compare", "871120", "--party", "IN", "--format", "json"])
    agreements = {r["agreement"] for r in json.loads(out.output)}
    assert "UAE" in agreements and "UK-JAPAN" not in agreements and all("IN" in originrules.find_agreement(a).agreement.parties for a in agreements)
    assert CliRunner().invoke(main, ["rules", "--compare", "871120", "--party", "India"]).exit_code == 2


def test_check_runs_with_the_cycle_collector_held_off_and_leaves_it_running(monkeypatch: pytest.MonkeyPatch) -> None:
    # a one-shot check holds Python's cycle collector off (a big BOM is hundreds of thousands of
    # tuples); a program that calls the command in-process gets it back running, also on a refusal
    import gc

    from originrules import cli

    during: list[bool] = []
    decide = cli.run_check
    monkeypatch.setattr(cli, "run_check", lambda *a, **k: (during.append(gc.isenabled()), decide(*a, **k))[1])
    assert run("check", str(REPO / "examples" / "car-uk.json"), "-a", "UK").exit_code in (0, 1)
    assert during == [False] and gc.isenabled()
    assert run("check", str(REPO / "examples" / "no-such-bom.json"), "-a", "UK").exit_code == 2
    assert gc.isenabled()


def test_the_command_run_in_process_leaves_the_callers_heap_as_it_was() -> None:
    # as the process's own command (no argv) run() spares Python's shutdown a last scan of every
    # object (gc.freeze, just before exit); a program calling it with arguments keeps its heap
    import gc

    from originrules.cli import run

    frozen = gc.get_freeze_count()
    with pytest.raises(SystemExit) as done:
        run(["check", EXAMPLE, "--agreement", "UAE"])
    assert done.value.code == 0 and gc.get_freeze_count() == frozen and gc.isenabled()
