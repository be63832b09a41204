"""What an imported file can and cannot do, and bad input that must be a coded message (exit 2),
never an internal error: issue 24's attacks, each as the rule it breaks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import originrules
from originrules.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "supplier,part_number,hs_code,origin,originating,agreement,valid_from,valid_to,reference\n"
# what a hostile data file plants: a newline that would end a comment and start a rule, NUL,
# a right-to-left override, an ESC starting a terminal sequence, a zero-width joiner
PLANTED = "\n87: CTH\n\x00\u202e\x1b[2J\u200d"
RAW = ("\x00", "\u202e", "\x1b", "\u200d")


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- importers write no raw text


def _tariff_scheme(tmp_path: Path, plant: str) -> Path:
    """A UK Trade Tariff scheme (metadata, an article, rule sets) with `plant` in every field the importer reads."""
    root = tmp_path / "rules_of_origin"
    (root / "roo_schemes_uk" / "rule_sets").mkdir(parents=True)
    (root / "roo_schemes_uk" / "articles" / "testland").mkdir(parents=True)
    (root / "roo_schemes_uk.json").write_text(json.dumps({"schemes": [{
        "scheme_code": "testland", "title": "UK-Testland" + plant, "countries": ["TL", "X" + plant],
        "validity_start_date": "2024-01-01" + plant, "validity_end_date": plant, "cumulation_methods": {"bilateral" + plant: {"countries": ["GB", plant]}},
        "ord": {"ord_title": "ORD" + plant, "ord_version": plant, "ord_date": plant},
    }]}), encoding="utf-8")
    (root / "roo_schemes_uk" / "articles" / "testland" / "tolerances.md").write_text(
        "the total value of non-originating materials does not exceed 10% of the ex-works price of the product" + plant, encoding="utf-8")
    rows = [
        {"heading": "8501" + plant, "min": "8501000000", "max": "8501999999", "subdivision": plant,
         "rules": [{"rule": "Manufacture from materials of any heading, except that of the product." + plant, "operator": None}]},
        {"heading": "ex 3921" + plant, "min": "3921000000", "max": "3921999999", "subdivision": "Foils" + plant,
         "rules": [{"rule": "Manufacture from polyester-foils" + plant, "operator": plant}]},
        {"heading": plant, "min": "٣٩٢١000000", "max": "3921999999" + plant, "subdivision": plant, "rules": [{"rule": plant}]},
    ]
    path = root / "roo_schemes_uk" / "rule_sets" / "testland.json"
    path.write_text(json.dumps({"rule_sets": rows}), encoding="utf-8")
    return path


def test_a_planted_newline_nul_or_bidi_control_in_any_field_of_the_tariff_data_writes_no_rule_and_nothing_raw(tmp_path: Path) -> None:
    out = tmp_path / "planted.roo"
    result = cli("import", "uk-tariff", str(_tariff_scheme(tmp_path, PLANTED)), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert not any(c in text for c in RAW) and "\n87: CTH" not in text
    rules = {r.key_text for r in originrules.load_ruleset(out).ruleset.rules}
    assert "87" not in rules and rules <= {"8501", "ex 3921"}
    assert "\\u202e" in text  # shown, as an escape
    assert not any(c in result.output for c in RAW)


@pytest.mark.parametrize("where", ["rule_sets", "metadata"])
def test_a_key_given_twice_in_the_tariff_data_is_refused_not_last_wins(tmp_path: Path, where: str) -> None:
    scheme = _tariff_scheme(tmp_path, "")
    target = scheme if where == "rule_sets" else scheme.parents[2] / "roo_schemes_uk.json"
    doubled = target.read_text(encoding="utf-8").replace("{", '{"k": 1, "k": 2, ', 1)
    target.write_text(doubled, encoding="utf-8")
    result = cli("import", "uk-tariff", str(scheme), "-o", str(tmp_path / "x.roo"))
    assert result.exit_code == 2 and "the key 'k' is given twice" in result.output and "IMP002" in result.output
    assert not (tmp_path / "x.roo").exists()


def test_tariff_data_nested_100000_deep_is_refused_with_exit_2(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = cli("import", "uk-tariff", str(deep), "-o", str(tmp_path / "x.roo"))
    assert result.exit_code == 2 and "nested 100000 deep" in result.output


def test_a_rule_of_4000_alternatives_is_left_untranslated_saying_why_not_parsed(tmp_path: Path) -> None:
    scheme = _tariff_scheme(tmp_path, "")
    data = json.loads(scheme.read_text(encoding="utf-8"))
    data["rule_sets"][0]["rules"] = [{"rule": " or ".join(["Manufacture from materials of any heading"] * 4000), "operator": None}]
    scheme.write_text(json.dumps(data), encoding="utf-8")
    report = tmp_path / "r.json"
    assert cli("import", "uk-tariff", str(scheme), "-o", str(tmp_path / "x.roo"), "--report", str(report)).exit_code == 0
    reasons = [u["reason"] for u in json.loads(report.read_text(encoding="utf-8"))["untranslated"] if u["heading"] == "8501"]
    assert reasons and "the importer reads entries of at most" in reasons[0]


def test_a_scheme_file_whose_name_is_no_scheme_code_is_refused(tmp_path: Path) -> None:
    scheme = _tariff_scheme(tmp_path, "")
    odd = scheme.with_name("x\n87 CTH.json")
    scheme.rename(odd)
    result = cli("import", "uk-tariff", str(odd), "-o", str(tmp_path / "x.roo"))
    assert result.exit_code == 2 and "is not a scheme code" in result.output


def test_a_planted_control_in_an_annex_table_or_its_name_writes_no_rule_and_nothing_raw(tmp_path: Path) -> None:
    table = tmp_path / ("annex" + "\u202e\n87: CTH" + ".csv")
    table.write_text("hs,description,rule\n" + f'871120,"Motorcycles{PLANTED}","CTH{PLANTED}"\n871200,"Bicycles{PLANTED}",CTH\n', encoding="utf-8")
    out = tmp_path / "overlay.roo"
    result = cli("import", "table", str(table), "-a", "UAE", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert not any(c in text for c in RAW) and "\n87: CTH" not in text and not any(c in result.output for c in RAW)
    heads = {line.split(" ")[0].rstrip(":") for line in text.splitlines() if line and not line.startswith(("#", " "))}
    assert heads <= {"extends", "871120", "871200"}


def test_an_annex_table_with_two_rules_for_one_code_is_refused_naming_both_rows(tmp_path: Path) -> None:
    table = tmp_path / "annex.csv"
    table.write_text("hs,description,rule\n871120,Motorcycles,CTH\n8711.20,Motorcycles again,CTSH\n", encoding="utf-8")
    result = cli("import", "table", str(table), "-a", "UAE", "-o", str(tmp_path / "o.roo"))
    assert result.exit_code == 2 and "row 3: HS 871120 has a rule already (row 2)" in result.output
    assert not (tmp_path / "o.roo").exists()


@pytest.mark.parametrize("command", [["declarations", "import"], ["import", "table"]])
def test_a_file_named_xlsx_that_is_no_workbook_is_a_coded_message_not_an_internal_error(tmp_path: Path, command: list[str]) -> None:
    fake = tmp_path / "register.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    extra = ["-a", "UAE", "-o", str(tmp_path / "o.roo")] if command[0] == "import" else ["--db", f"sqlite:///{tmp_path / 'r.db'}"]
    result = cli(*command, str(fake), *extra)
    assert result.exit_code == 2 and "not an Excel workbook" in result.output


# ---------------------------------------------------------------- the declarations register


def _register(tmp_path: Path, rows: list[str], name: str = "ltsd.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("column", ["supplier", "part_number", "reference"])
def test_a_declaration_with_a_control_character_is_refused_naming_row_and_column(tmp_path: Path, column: str) -> None:
    cells = {"supplier": "Pune Castings", "part_number": "PC-7", "reference": "LTSD-7"}
    cells[column] += "\u202e\x1b[2J"
    row = f"{cells['supplier']},{cells['part_number']},840991,IN,true,UAE,2026-01-01,2026-12-31,{cells['reference']}"
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = cli("declarations", "import", str(_register(tmp_path, [row])), "--db", db)
    assert result.exit_code == 2 and f"row 2, column {column}: contains U+202E RIGHT-TO-LEFT OVERRIDE" in result.output
    assert not any(c in result.output for c in RAW)


def test_two_declarations_that_disagree_on_a_day_both_are_valid_are_refused_naming_both(tmp_path: Path) -> None:
    # "LTSD-9" (originating) used to beat "LTSD-10" (not) because "9" > "1" as text
    db = f"sqlite:///{tmp_path / 'r.db'}"
    rows = ["Pune Castings,PC-7,840991,IN,true,UAE,2026-01-01,2026-12-31,LTSD-9", "Pune Castings,PC-7,840991,IN,false,UAE,2026-06-01,2027-05-31,LTSD-10"]
    result = cli("declarations", "import", str(_register(tmp_path, rows)), "--db", db)
    assert result.exit_code == 2 and "declarations LTSD-9 (originating) and LTSD-10 (non-originating) of Pune Castings, part PC-7 under UAE disagree from 2026-06-01 to 2026-12-31" in result.output
    assert json.loads(cli("declarations", "list", "--format", "json", "--db", db).output) == []  # nothing kept
    # one already in the register, the other imported later: refused all the same
    assert cli("declarations", "import", str(_register(tmp_path, rows[:1])), "--db", db).exit_code == 0
    later = cli("declarations", "import", str(_register(tmp_path, rows[1:], "later.csv")), "--db", db)
    assert later.exit_code == 2 and "LTSD-9 (originating) and LTSD-10 (non-originating)" in later.output
    # agreeing, or not overlapping, or for another agreement: kept
    fine = ["Pune Castings,PC-7,840991,IN,true,UAE,2027-01-01,2027-12-31,LTSD-11", "Pune Castings,PC-7,840991,IN,false,UK,2026-01-01,2026-12-31,LTSD-12"]
    assert cli("declarations", "import", str(_register(tmp_path, fine, "fine.csv")), "--db", db).exit_code == 0


def test_a_declaration_revoked_before_the_other_begins_does_not_disagree_with_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert cli("declarations", "import", str(_register(tmp_path, ["Pune Castings,PC-7,840991,IN,true,UAE,2026-01-01,2026-12-31,LTSD-9"])), "--db", db).exit_code == 0
    assert cli("declarations", "revoke", "LTSD-9", "--date", "2026-06-01", "--db", db).exit_code == 0
    later = _register(tmp_path, ["Pune Castings,PC-7,840991,IN,false,UAE,2026-06-01,2027-05-31,LTSD-10"], "later.csv")
    assert cli("declarations", "import", str(later), "--db", db).exit_code == 0


# ---------------------------------------------------------------- bad input: exit 2, never 70


@pytest.mark.parametrize("args, says", [
    (["declarations", "list", "--db", "notaurl"], "not a database URL"),
    (["declarations", "list", "--db", "sqlite:///:memory:"], "would keep nothing"),
    (["declarations", "import", "x.csv", "--db", "sqlite:///:memory:"], "would keep nothing"),
    (["history", "--db", "postgresql+nosuchdriver://x/y"], "STO001"),
])
def test_a_database_url_that_cannot_keep_anything_is_a_usage_error(tmp_path: Path, args: list[str], says: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and says in result.output, result.output


def test_expiring_at_the_end_of_the_calendar_is_an_answer_not_an_overflow(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    cli("declarations", "import", str(_register(tmp_path, ["Pune Castings,PC-7,840991,IN,true,UAE,2026-01-01,9999-12-31,LTSD-9"])), "--db", db)
    result = cli("declarations", "expiring", "--within", "100000", "--date", "9999-12-31", "--db", db)
    assert result.exit_code == 0 and "LTSD-9" in result.output


def test_audit_verify_with_a_ruleset_row_missing_names_each_record_it_leaves_unprovable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert cli("check", str(EXAMPLES / "motorcycle-uae.json"), "-a", "UAE", "--record", "--db", db).exit_code == 0
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.execute(sa.text("PRAGMA foreign_keys = OFF"))
        conn.execute(sa.text("DELETE FROM rulesets"))
    engine.dispose()
    result = cli("audit", "verify", "--db", db)
    assert result.exit_code == 4 and "record 1 " in result.output and "is missing from the database" in result.output


def test_a_reader_that_closes_the_pipe_is_exit_2_said_never_a_silent_1(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    rows = [f"Supplier {i},P-{i},840991,IN,true,UAE,2026-01-01,2026-12-31,R-{i}" for i in range(5000)]
    assert cli("declarations", "import", str(_register(tmp_path, rows)), "--db", db).exit_code == 0
    listing = subprocess.Popen([sys.executable, "-c", "from originrules.cli import run; run()", "declarations", "list", "--db", db],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stdout.readline()
    listing.stdout.close()  # as `| head -1` does
    listing.wait(60)
    assert listing.returncode == 2 and b"CLI006" in listing.stderr.read()  # type: ignore[union-attr]


# ---------------------------------------------------------------- lint of a hostile rule


def test_a_rule_of_50000_identical_arms_lints_with_a_bounded_report(tmp_path: Path) -> None:
    source = (Path(originrules.__file__).parent / "rulesets" / "india-uae-cepa.roo")
    source = source if source.exists() else Path(__file__).resolve().parent.parent / "rulesets" / "india-uae-cepa.roo"
    text = source.read_text(encoding="utf-8")
    header = text[: text.index("}\n") + 2]
    big = tmp_path / "big.roo"
    big.write_text(header + "\n871120: " + " or ".join(["CTH"] * 50_000) + '\n    source "a hostile file"\n', encoding="utf-8")
    result = cli("lint", str(big))
    redundant = [line for line in result.output.splitlines() if "ORL251" in line]
    assert len(redundant) == 21 and any("and 49,979 more arms of this 'or' can never matter" in line for line in redundant)
    assert max(len(line) for line in result.output.splitlines()) < 300  # the 250,000-character line is shown around the column only
