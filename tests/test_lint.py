"""Tools for rule writers: errors that teach, lint, fmt, `originrules test`, and robustness."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from originrules import resources
from originrules.cli import main
from originrules.errors import RulesetError
from originrules.lang.check import lint_text
from originrules.lang.format import format_text, structure
from originrules.lang.parser import parse
from originrules.lang.resolve import load_text
from originrules.lang.syntax_errors import SAMPLES
from tests.conftest import HEADER, REPO

ALL_SAMPLES = [(code, s) for code, (_, _, samples) in SAMPLES.items() for s in samples]
LARK_NAMES = re.compile(r"__ANON|\bRPAR\b|\bLPAR\b|\$END|\bCOLON\b|\bNAME\b|\bPERCENT\b")


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- syntax errors that teach


def test_there_are_at_least_25_sample_bad_inputs():
    assert len(ALL_SAMPLES) >= 25


@pytest.mark.parametrize("code,source", ALL_SAMPLES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(ALL_SAMPLES)])
def test_each_sample_bad_input_gets_its_message_in_words(code: str, source: str):
    with pytest.raises(RulesetError) as e:
        parse(source, "bad.roo")
    problem = e.value.problems[0]
    assert problem.code == code
    assert problem.where.startswith("bad.roo:")
    assert "^" in problem.excerpt  # the line, and a caret under the column
    assert not LARK_NAMES.search(problem.message + problem.hint)


def test_an_unmatched_syntax_error_still_speaks_words():
    with pytest.raises(RulesetError) as e:
        parse(HEADER + '87: CTH\n"x"', "bad.roo")
    assert not LARK_NAMES.search(e.value.render())


def test_every_error_code_is_documented():
    used = set()
    for path in (REPO / "originrules").rglob("*.py"):
        used |= set(re.findall(r'"((?:ORL|BOM|CLI|TST|DEC|STO|WEB|IMP)\d{3})"', path.read_text(encoding="utf-8")))
    documented = set(re.findall(r"\| ((?:ORL|BOM|CLI|TST|DEC|STO|WEB|IMP)\d{3}) \|", (REPO / "docs" / "errors.md").read_text(encoding="utf-8")))
    assert used - documented == set()
    assert len(used) > 50


# ---------------------------------------------------------------- lint

BAD = """agreement X "x" {
    parties IN, AE
    value_name VA          source "s"
    basis fob              source "s"
    method build_down = (basis - VNM) / basis   source "s"
}
let unused = WO     source "s"
87: CTHH or CTH or (CTH and VA(buld_down) >= 140%)   source "s"
8716: CTH or CTH    source "s"
8799: WO            source "s"
8716: CTSH          source "s"
01: WO  source "s"  inferred
"""


def codes_of(problems):  # type: ignore[no-untyped-def]
    return [(p.code, p.severity, p.where) for p in problems]


def test_lint_reports_every_problem_with_code_severity_place_and_hint():
    problems = lint_text(BAD, "bad.roo", nomenclature={"87", "8716", "01"})
    found = {(code, sev) for code, sev, _ in codes_of(problems)}
    assert {
        ("ORL201", "error"),  # CTHH
        ("ORL229", "error"),  # buld_down
        ("ORL221", "error"),  # 140%
        ("ORL241", "error"),  # 8716 twice
        ("ORL250", "warning"),  # unused sub-rule
        ("ORL251", "warning"),  # CTH or CTH; CTH or (CTH and ...)
        ("ORL252", "warning"),  # parties without a source
        ("ORL254", "warning"),  # inferred without a reason
        ("ORL260", "warning"),  # 8799 is not an HS code
    } <= found
    by_code = {p.code: p for p in problems}
    assert by_code["ORL201"].hint == "did you mean CTH?"
    assert by_code["ORL229"].hint == "did you mean build_down?"
    assert by_code["ORL201"].where == "bad.roo:8:5"
    assert [p.severity for p in problems] == sorted((p.severity for p in problems), key=["error", "warning", "note"].index)


def test_every_shipped_ruleset_lints_clean():
    result = run("lint", str(resources.rulesets_dir()), "--format", "json")
    problems = json.loads(result.output)
    assert [p for p in problems if p["severity"] == "error"] == []
    hand_written = [p for p in problems if p["severity"] == "warning" and "/uk-" not in p["where"]]
    assert hand_written == []
    # the imported schemes warn only of what the annex data itself holds: prose not yet
    # translated, arms the data repeats, ranges of codes the HS no longer has
    assert {p["code"] for p in problems if p["severity"] == "warning"} <= {"ORL280", "ORL251", "ORL260"}


def test_lint_exit_codes(tmp_path: Path):
    bad = tmp_path / "bad.roo"
    bad.write_text(BAD, encoding="utf-8")
    result = run("lint", str(bad), "--format", "json")
    assert result.exit_code == 1
    assert {"code", "severity", "where", "message", "hint"} <= set(json.loads(result.output)[0])
    assert run("lint", str(tmp_path / "missing.roo")).exit_code == 2
    (tmp_path / "latin1.roo").write_bytes(b"\xff\xfe")
    assert run("lint", str(tmp_path / "latin1.roo")).exit_code == 2


def test_lint_against_the_hs_nomenclature(shared: Path):
    # the rulesets written by hand (the imported schemes keep the codes the tariff's data gives)
    hand_written = [str(p) for p in SHIPPED]
    result = run("lint", *hand_written, "--hs-nomenclature", str(shared / "data" / "hs" / "harmonized-system-2022.csv"), "--format", "json")
    assert [p for p in json.loads(result.output) if p["code"] == "ORL260"] == []


# ---------------------------------------------------------------- fmt

# rules and tariff schedules written by hand; the 42 UK schemes are written through format_text by the
# importer, and test_shipped_rulesets_are_in_the_canonical_layout holds every file to it (each would
# otherwise be parsed four times here: minutes of CI for nothing the layout check does not already say)
SHIPPED = sorted(p for p in resources.rulesets_dir().rglob("*.roo") if not p.name.startswith("uk-"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_fmt_keeps_the_meaning_and_is_idempotent_on_shipped_rulesets(path: Path):
    text = path.read_text(encoding="utf-8")
    once = format_text(text, path.name)
    assert format_text(once, path.name) == once
    assert structure(parse(once)) == structure(parse(text))
    assert once.count("#") == text.count("#")  # every comment kept


def test_shipped_rulesets_are_in_the_canonical_layout():
    result = run("fmt", "--check", str(resources.rulesets_dir()))
    assert result.exit_code == 0, result.output


def test_fmt_check_diff_and_rewrite(tmp_path: Path):
    roo = tmp_path / "x.roo"
    roo.write_text(HEADER + "# vehicles\n87   :CTH   and(VA>=40%or WO)   # trailing\n", encoding="utf-8")
    assert run("fmt", "--check", str(roo)).exit_code == 1
    diff = run("fmt", "--diff", str(roo))
    assert diff.exit_code == 1 and "+87: CTH and (VA >= 40% or WO)  # trailing" in diff.output
    assert run("fmt", str(roo)).exit_code == 0
    assert "87: CTH and (VA >= 40% or WO)  # trailing\n" in roo.read_text(encoding="utf-8")
    assert run("fmt", "--check", str(roo)).exit_code == 0


def test_fmt_refuses_a_file_that_does_not_parse(tmp_path: Path):
    roo = tmp_path / "x.roo"
    roo.write_text(HEADER + "87: CTH and\n", encoding="utf-8")
    result = run("fmt", str(roo))
    assert result.exit_code == 2 and "ORL110" in result.output
    assert roo.read_text(encoding="utf-8").endswith("87: CTH and\n")  # untouched


# generated rules: random bodies, random spacing and comments
names = st.sampled_from(["CTH", "CTSH", "CC", "WO", "VA >= 40%", "VA(build_down, fob) >= 45.5%", "VNM <= 50%", "process(blending)", "CTH except 8407, 8701-8705", "CC except chapter 04", "CC without tolerance for chapters 10-11"])


def bodies(depth: int = 3):  # type: ignore[no-untyped-def]
    if depth == 0:
        return names
    sub = bodies(depth - 1)
    return st.one_of(names, st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"))


spaces = st.sampled_from([" ", "  ", "\n    ", "\t"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["87", "8716", "871639", "ex 8401", "8701-8705", "01, 02"]), bodies(), spaces, st.booleans()), min_size=1, max_size=5, unique_by=lambda t: t[0]))
def test_fmt_on_generated_rules(rules: list[tuple[str, str, str, bool]]) -> None:
    text = HEADER
    for key, body, space, comment in rules:
        text += f"{key}:{space}{body}" + ("  # note" if comment else "") + "\n"
    once = format_text(text)
    assert format_text(once) == once
    assert structure(parse(once)) == structure(parse(text))


# ---------------------------------------------------------------- originrules test


def test_the_shipped_cases_pass_and_cover_every_or_arm():
    result = run("test", "--coverage", "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 0, [c for c in report["cases"] if not c["passed"]]
    assert report["failed"] == 0 and report["passed"] >= 50
    agreements = {Path(c["file"]).stem for c in report["cases"]}
    assert agreements == {"uae", "uk", "efta", "oman", "mauritius", "australia", "asean"}
    for cov in report["coverage"]:
        assert cov["or_arms_never_met"] == [], cov["ruleset"]


def test_every_chapter_87_and_engine_rule_has_a_case():
    import originrules

    result = json.loads(run("test", "--coverage", "--format", "json").output)
    reached = {c["ruleset"]: c for c in result["coverage"]}
    for crs in originrules.agreements().values():
        if crs.ruleset.path.startswith("rulesets/uk-"):
            continue  # imported whole from the UK tariff; tests/test_uk_tariff.py and the independent check hold them
        for rule in crs.ruleset.rules:
            if any(k.codes.low[:2] == "87" or k.codes.low[:4] in ("8407", "8408", "8409", "8483") for k in rule.keys):
                assert f"{rule.key_text} (line {rule.span.line})" not in reached[crs.ruleset.path]["rules_not_reached"]


def test_a_failing_case_shows_the_values_and_exits_1(tmp_path: Path):
    cases = tmp_path / "c.yaml"
    cases.write_text(
        "agreement: UAE\ncases:\n  - name: wrong on purpose\n    bom: {product: {hs_code: '870322', fob: 1000.10}, materials: [{id: e, hs_code: '840790', value: 700.05, origin: JP}]}\n    expect: originating\n",
        encoding="utf-8",
    )
    result = run("test", str(cases))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "expected originating, got" in result.output
    assert "(1,000.10 - 700.05) / 1,000.10" in result.output  # exact decimals from YAML
    assert result.output.splitlines()[-1] == "0 passed, 1 failed"


def test_a_broken_case_file_exits_2(tmp_path: Path):
    (tmp_path / "c.yaml").write_text("cases: [{name: x, expect: maybe, agreement: UAE, bom: {}}]\n", encoding="utf-8")
    result = run("test", str(tmp_path))
    assert result.exit_code == 2 and "TST003" in result.output


# ---------------------------------------------------------------- robustness


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_our_errors(data: bytes) -> None:
    try:
        load_text(data.decode("utf-8", errors="replace"), "fuzz.roo")
    except RulesetError:
        pass


TOKENS = ["agreement", "X", '"x"', "{", "}", "parties", "IN", ",", "AE", "value_name", "VA", "basis", "fob", "87", "8716", "-", ":", "CTH",
          "and", "or", "(", ")", ">=", "40%", "except", "let", "=", "source", "inferred", "ex", "general", "VNM", "<=", "from", "without", "tolerance", "for", "process", "method", "/", "+", "*", "0.5", "\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_sequences_raise_only_our_errors(tokens: list[str]) -> None:
    for text in (" ".join(tokens), HEADER + " ".join(tokens)):
        try:
            load_text(text, "fuzz.roo")
        except RulesetError:
            pass


@pytest.mark.parametrize("depth", [50, 101, 5_000, 100_000])
def test_deep_nesting_is_refused_cleanly(depth: int):
    text = HEADER + "87: " + "(" * depth + "CTH" + ")" * depth + "\n"
    if depth <= 100:
        assert load_text(text).rules[0].text.startswith("(")
    else:
        with pytest.raises(RulesetError) as e:
            load_text(text)
        assert e.value.problems[0].code == "ORL104"


def test_long_chains_and_deep_sub_rules():
    chain = " and ".join(["CTH"] * 3000)
    assert load_text(HEADER + f"87: {chain}\n").rules[0].key_text == "87"
    lets = "".join(f"let l{i} = l{i + 1}\n" for i in range(60)) + "let l60 = CTH\n87: l0\n"
    with pytest.raises(RulesetError) as e:
        load_text(HEADER + lets)
    assert "ORL244" in e.value.render()
