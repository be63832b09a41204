"""Safe with any file: a ruleset, BOM or cache file is data. Nothing in one can run code, and no
input ends in a traceback, a false verdict or exit 1 (which means only "not originating")."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lark import Lark

import originrules
from originrules import __version__, resources
from originrules.bom import from_dict
from originrules.cli import main, run
from originrules.lang import cache
from originrules.registry import _catalogue

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MOTORCYCLE = EXAMPLES / "motorcycle-uae.json"


class _Plant:
    """A pickle that, if ever loaded, creates the marker file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from originrules.cli import run; run(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_a_planted_pickle_in_every_cache_file_and_the_temp_dir_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    evil = pickle.dumps(_Plant(marker))
    cache_dir, tmp_dir = tmp_path / "cache", tmp_path / "tmp"
    cache_dir.mkdir(mode=0o700)
    tmp_dir.mkdir()
    # every name the ruleset cache could read, now and in the pickle days
    for path, _ in _catalogue().values():
        parts = (__version__, resources.grammar_text(), f"rulesets/{path.name}", path.read_text(encoding="utf-8"))
        key = cache._key(*parts)
        (cache_dir / f"{key}.json").write_bytes(evil)
        (cache_dir / f"{key}.pickle").write_bytes(evil)
    # the file Lark's cache=True would load from the temp directory
    saved = tempfile.tempdir
    try:
        tempfile.tempdir = str(tmp_dir)
        Lark(resources.grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False, cache=True)
    finally:
        tempfile.tempdir = saved
    lark_files = list(tmp_dir.iterdir())
    assert lark_files, "Lark wrote no cache file to plant in"
    for f in lark_files:
        f.write_bytes(evil)

    planted = _cli("check", str(MOTORCYCLE), "-a", "UAE", "--format", "json", env={"ORIGINRULES_CACHE": str(cache_dir), "TMPDIR": str(tmp_dir)})
    clean = _cli("check", str(MOTORCYCLE), "-a", "UAE", "--format", "json", env={"ORIGINRULES_CACHE": "off"})
    assert not marker.exists()
    assert planted.returncode == clean.returncode == 0
    assert planted.stdout == clean.stdout  # the same decision, byte for byte
    assert "ignored" in planted.stderr  # the corrupt entry is noted, then parsed afresh


def test_a_cache_entry_naming_anything_but_an_ast_class_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORIGINRULES_CACHE", str(tmp_path))
    os.chmod(tmp_path, 0o700)
    key = cache._key("k")
    body = json.dumps(["os.system", "echo hi"])  # a node is [class name, fields...]
    head = json.dumps({"format": cache.FORMAT, "key": key, "sha256": __import__("hashlib").sha256(body.encode()).hexdigest()})
    (tmp_path / f"{key}.json").write_text(head + "\n" + body, encoding="utf-8")
    assert cache.cached(("k",), lambda: "fresh") == "fresh"


def test_a_cache_directory_others_can_write_to_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("ORIGINRULES_CACHE", str(shared))
    assert cache.cached(("k",), lambda: ("fresh",)) == ("fresh",)
    assert list(shared.iterdir()) == []
    assert "can be written by others" in capsys.readouterr().err


def test_the_cache_round_trips_every_shipped_ruleset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from originrules.lang.resolve import load_text

    for path, _ in _catalogue().values():
        ruleset = load_text(path.read_text(encoding="utf-8"), f"rulesets/{path.name}")
        assert cache.decode(json.dumps(cache.encode(ruleset))) == ruleset


def test_a_new_cache_directory_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORIGINRULES_CACHE", str(tmp_path / "new"))
    cache.cached(("k",), lambda: ("v",))
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    assert cache.cached(("k",), lambda: ("other",)) == ("v",)  # and it is read back


# ---------------------------------------------------------------- numbers and structure


def _motorcycle() -> dict:  # type: ignore[type-arg]
    return json.loads(MOTORCYCLE.read_text(encoding="utf-8"))


def _check_json(tmp_path: Path, text: str, *extra: str):  # type: ignore[no-untyped-def]
    f = tmp_path / "bom.json"
    f.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["check", str(f), "-a", "UAE", *extra])


HUGE = ["1e999999999", "1" + "0" * 400, '"' + "9" * 5000 + '"', '"0.0000000000001"', "1E-5000"]


@pytest.mark.parametrize("number", HUGE)
def test_a_material_value_outside_the_limits_is_refused_with_its_path(tmp_path: Path, number: str) -> None:
    text = json.dumps(_motorcycle()).replace(f'"value": "{_motorcycle()["materials"][0]["value"]}"', f'"value": {number}', 1)
    result = _check_json(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert "materials[0].value" in result.output and "BOM005" in result.output


def test_an_ex_works_outside_the_limits_is_refused(tmp_path: Path) -> None:
    bom = _motorcycle()
    bom["product"]["ex_works"] = "1" + "0" * 5000
    result = _check_json(tmp_path, json.dumps(bom))
    assert result.exit_code == 2 and "product.ex_works" in result.output


def test_trailing_zeros_past_twelve_places_are_only_a_long_way_of_writing_a_number(tmp_path: Path) -> None:
    bom = _motorcycle()
    value = bom["materials"][0]["value"]
    bom["materials"][0]["value"] = value + ("" if "." in value else ".") + "0" * 30
    assert originrules.check(from_dict(bom), "UAE").originating is originrules.check(from_dict(_motorcycle()), "UAE").originating


def test_a_csv_cell_outside_the_limits_names_its_row(tmp_path: Path) -> None:
    f = tmp_path / "bom.csv"
    f.write_text("type,id,hs_code,value,origin,fob\nproduct,,871120,,,1000\nmaterial,1,840991," + "9" * 400 + ",JP,\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(f), "-a", "UAE"])
    assert result.exit_code == 2 and "row 3" in result.output and "BOM005" in result.output


def test_an_xlsx_cell_outside_the_limits_is_refused(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["type", "id", "hs_code", "value", "origin", "fob"])
    sheet.append(["product", None, "871120", None, None, 1000])
    sheet.append(["material", 1, "840991", 1e300, "JP", None])
    book.save(tmp_path / "bom.xlsx")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "bom.xlsx"), "-a", "UAE"])
    assert result.exit_code == 2 and "materials[0].value" in result.output


@pytest.mark.parametrize("value", ["1e999999999", "9" * 400, "1E+5000"])
def test_a_what_if_value_outside_the_limits_is_refused(value: str) -> None:
    mid = _motorcycle()["materials"][0]["id"]
    result = CliRunner().invoke(main, ["check", str(MOTORCYCLE), "-a", "UAE", "--what-if", f"{mid}.value={value}"])
    assert result.exit_code == 2 and "value" in result.output


def test_a_customs_value_outside_the_limits_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["check", str(MOTORCYCLE), "-a", "UAE", "--duty", "--customs-value", "1e9999"])
    assert result.exit_code == 2 and "limits" in result.output


def test_a_ruleset_percentage_outside_the_limits_is_refused_with_its_line(tmp_path: Path) -> None:
    text = resources.rulesets_dir().joinpath("india-uae-cepa.roo").read_text(encoding="utf-8") + "\n8401: VA >= 40." + "0" * 30 + "1%\n"
    f = tmp_path / "x.roo"
    f.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(MOTORCYCLE), "-a", "UAE", "--ruleset", str(f)])
    assert result.exit_code == 2 and "ORL106" in result.output and f"x.roo:{text.count(chr(10))}:" in result.output


def test_json_nested_100000_deep_is_refused_with_the_path(tmp_path: Path) -> None:
    result = _check_json(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert result.exit_code == 2 and "BOM006" in result.output and "nested more than 64" in result.output


def test_a_chain_of_5000_sub_assemblies_is_refused_with_the_path(tmp_path: Path) -> None:
    bom = _motorcycle()
    text = json.dumps(bom)
    chain = '{"id": "s", "hs_code": "871410", "value": "1", "origin": "IN", "materials": [' * 5000 + '{"id": "x", "hs_code": "871410", "value": "1", "origin": "IN"}' + "]}" * 5000
    text = text.replace('"materials": [', '"materials": [' + chain + ", ", 1)
    result = _check_json(tmp_path, text)
    assert result.exit_code == 2 and "materials[0].materials[0]" in result.output


def test_a_chain_of_5000_sub_assemblies_in_csv_is_refused_with_its_row(tmp_path: Path) -> None:
    rows = ["type,id,hs_code,value,origin,fob,parent", "product,,871120,,,1000,"]
    rows += [f"material,m{i},871410,1,IN,,{'m' + str(i - 1) if i else ''}" for i in range(5000)]
    f = tmp_path / "bom.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(f), "-a", "UAE"])
    assert result.exit_code == 2 and "more than 10 levels" in result.output


def test_a_key_given_twice_is_refused_naming_key_and_path(tmp_path: Path) -> None:
    text = json.dumps(_motorcycle()).replace('"origin": ', '"origin": "CN", "origin": ', 1)
    result = _check_json(tmp_path, text)
    assert result.exit_code == 2 and "materials[0].origin" in result.output and "'origin' given twice" in result.output


# ---------------------------------------------------------------- HS codes


@pytest.mark.parametrize("code", ["999999", "0000", "77"])
def test_a_material_code_not_in_the_nomenclature_is_refused_not_passed_through_cth(tmp_path: Path, code: str) -> None:
    bom = _motorcycle()
    bom["materials"][0]["hs_code"] = code
    result = _check_json(tmp_path, json.dumps(bom))
    assert result.exit_code == 2, result.output
    assert "BOM007" in result.output and "materials[0].hs_code" in result.output and bom["materials"][0]["id"] in result.output


def test_a_national_line_is_checked_on_its_first_six_digits(tmp_path: Path) -> None:
    bom = _motorcycle()
    bom["product"]["hs_code"] = "87112010"
    assert _check_json(tmp_path, json.dumps(bom)).exit_code == 0
    bom["product"]["hs_code"] = "87112910"
    assert _check_json(tmp_path, json.dumps(bom)).exit_code == 2


def test_a_code_is_checked_against_the_agreements_own_edition() -> None:
    from originrules.hs import known

    # 851712 (telephones for cellular networks) was split into 851713/851714 by HS 2022
    assert known("851712", "2017") and not known("851712", "2022")
    assert known("851713", "2022") and not known("851713", "2017")


# ---------------------------------------------------------------- exit codes and output


def test_an_internal_error_exits_70_with_the_input_digest_never_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import originrules.cli as cli

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "run_check", broken)
    with pytest.raises(SystemExit) as exit_:
        run(["check", str(MOTORCYCLE), "-a", "UAE"])
    err = capsys.readouterr().err
    assert exit_.value.code == 70
    assert "internal error" in err and "sha256" in err and "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        run(["--debug", "check", str(MOTORCYCLE), "-a", "UAE"])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_writing_to_a_full_disk_is_an_error_not_exit_0() -> None:
    for args in (["-o", "/dev/full"], []):
        code = "import sys; from originrules.cli import run; run(sys.argv[1:])"
        stdout = open("/dev/full", "w") if not args else None  # noqa: SIM115
        try:
            done = subprocess.run([sys.executable, "-c", code, "check", str(MOTORCYCLE), "-a", "UAE", *args], stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60)
        finally:
            if stdout:
                stdout.close()
        assert done.returncode == 2 and "CLI006" in done.stderr, done.stderr


def test_a_failed_write_leaves_no_half_file(tmp_path: Path) -> None:
    target = tmp_path / "locked" / "report.html"
    target.parent.mkdir()
    os.chmod(target.parent, 0o500)
    try:
        result = CliRunner().invoke(main, ["check", str(MOTORCYCLE), "-a", "UAE", "--format", "html", "-o", str(target)])
    finally:
        os.chmod(target.parent, 0o700)
    if os.geteuid() == 0:  # root writes anyway: then the whole report is there
        assert result.exit_code == 0 and target.read_text(encoding="utf-8").endswith("</html>\n")
    else:
        assert result.exit_code == 2 and "CLI006" in result.output
    assert [p.name for p in target.parent.iterdir()] in ([], ["report.html"])


# ---------------------------------------------------------------- reports escape user text

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "![i](javascript:alert(1))", "\x1b[2J\x1b[31mcleared", "line\n# heading", "`code` | pipe"]


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html", "carotar"])
def test_every_format_escapes_hostile_descriptions_and_ids(fmt: str) -> None:
    bom = _motorcycle()
    bom["product"]["description"] = " ".join(HOSTILE)
    for i, m in enumerate(bom["materials"][:len(HOSTILE)]):
        m["description"] = HOSTILE[i]
        m["id"] = HOSTILE[i] + str(i)
    d = originrules.check(from_dict(bom), "UAE")
    out = originrules.render(d, fmt, explain="full")
    assert "\x1b" not in out
    if fmt == "json":
        data = json.loads(out)
        assert data["bom"]["product"]["description"] == " ".join(HOSTILE) if "bom" in data else True
        return
    if fmt == "text":  # plain text shows the text as it is, on one line
        assert "\n# heading" not in out
        return
    assert "<script" not in out and "<img" not in out and "<a " not in out
    if fmt in ("markdown", "carotar"):
        assert "](javascript:" not in out.replace("\\](javascript:", "")  # a link needs an unescaped ]
        assert "\n# heading" not in out


def test_a_batch_summary_cell_that_would_be_a_spreadsheet_formula_is_quoted() -> None:
    from originrules.batch import summary_row

    row = summary_row({"line": 3, "error": '=HYPERLINK("http://x","y")'})
    assert row[-1] == "'=HYPERLINK(\"http://x\",\"y\")" and row[0] == "3"


@pytest.mark.parametrize("verb", [["check", str(MOTORCYCLE), "-a", "UAE"], ["batch", str(MOTORCYCLE), "-a", "UAE"]])
def test_writing_a_report_to_a_device_writes_into_it_and_never_replaces_it(verb: list[str]) -> None:
    import stat

    # as root, a rename over /dev/null would replace the device with a file: found when a
    # benchmark ran `batch -o /dev/null` and PostgreSQL could no longer start
    CliRunner().invoke(main, [*verb, "-o", os.devnull])
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
