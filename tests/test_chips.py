"""AI-chip export scenarios under the US AI-diffusion framework (issue 26), through the command
line as a user runs it (`--format json`). Each test reads as the rule it checks; the figures come
from rulesets/us-ai-diffusion-2025.regime, never from this file's arithmetic alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import originrules.chips as chips
from originrules.cli import main
from tests.test_store import db  # noqa: F401  (the fixture: SQLite and PostgreSQL)

H100 = "NVIDIA H100 SXM"


def order(destination: str = "IN", quantity: int = 1000, hq: str | None = "IN", prior: int | None = 0, chip: str = H100, **end_user: Any) -> dict[str, Any]:
    user = {"name": "Buyer", "type": end_user.pop("type", "data_center_operator"), "veu": end_user.pop("veu", "none"), **({"hq_country": hq} if hq else {})}
    out: dict[str, Any] = {"exporter": {"name": "Acme Semiconductors", "country": "US"}, "destination": destination, "date": "2025-03-01",
                           "end_user": user, "items": [{"chip": chip, "quantity": quantity}], **end_user}
    if prior is not None:
        out["prior_tpp_this_year"] = prior
    return out


def run(tmp_path: Path, data: dict[str, Any], *args: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["chips", "check", str(path), "--format", "json", *args])
    return result.exit_code, (json.loads(result.output) if result.output.startswith("{") else {"error": result.output})


def test_1000_h100_to_india_fit_the_low_processing_performance_exception(tmp_path: Path) -> None:
    # LPP: 26,900,000 TPP per consignee per calendar year; 1,000 x 15,832 = 15,832,000
    code, d = run(tmp_path, order("IN", 1000))
    assert (code, d["licence_required"], d["authorization"], d["tpp_total"]) == (0, False, "LPP", 15_832_000)
    assert d["draws"]["limit"] == "lpp" and d["draws"]["remaining"] == 26_900_000 - 15_832_000
    assert d["h100_equivalents"] == "1000.00"


def test_2000_h100_to_india_need_a_licence_and_draw_on_the_country_allocation(tmp_path: Path) -> None:
    code, d = run(tmp_path, order("IN", 2000, country_tpp_used=100_000_000))
    assert (code, d["licence_required"], d["authorization"]) == (1, True, "licence_required")
    assert d["draws"]["limit"] == "country_allocation" and d["draws"]["remaining"] == 790_000_000 - 100_000_000 - 31_664_000


@pytest.mark.parametrize("destination", ["CN", "MO"])
def test_china_or_macau_is_a_licence_with_a_presumption_of_denial(tmp_path: Path, destination: str) -> None:
    code, d = run(tmp_path, order(destination, 10, hq=destination))
    assert (code, d["authorization"]) == (1, "presumption_of_denial")


def test_germany_with_a_german_headquartered_buyer_is_aia(tmp_path: Path) -> None:
    code, d = run(tmp_path, order("DE", 50_000, hq="DE"))
    assert (code, d["licence_required"], d["authorization"]) == (0, False, "AIA")


def test_germany_with_a_buyer_headquartered_in_china_needs_a_licence(tmp_path: Path) -> None:
    # 15 CFR 744.23: an entity headquartered in D:5 or Macau needs a licence wherever it is located
    code, d = run(tmp_path, order("DE", 10, hq="CN"))
    assert (code, d["licence_required"], d["authorization"]) == (1, True, "presumption_of_denial")


def test_the_lpp_count_includes_the_years_earlier_receipts_and_its_limit_is_reached_exactly(tmp_path: Path) -> None:
    at_limit = 26_900_000 - 15_832_000  # earlier receipts that bring this order exactly to 26,900,000
    assert run(tmp_path, order("IN", 1000, prior=at_limit))[1]["authorization"] == "LPP"
    assert run(tmp_path, order("IN", 1000, prior=at_limit + 1))[1]["authorization"] == "licence_required"


def test_an_order_through_a_distributor_cannot_use_lpp(tmp_path: Path) -> None:
    assert run(tmp_path, order("IN", 10, type="distributor"))[1]["authorization"] == "licence_required"


def test_a_missing_headquarters_leaves_the_answer_undetermined_and_names_it(tmp_path: Path) -> None:
    code, d = run(tmp_path, order("DE", 10, hq=None))
    assert (code, d["verdict"], d["missing"]) == (3, "undetermined", ["end_user.hq_country"])


def test_an_unknown_chip_or_a_negative_quantity_is_a_bad_order(tmp_path: Path) -> None:
    code, d = run(tmp_path, order("IN", 10, chip="NVIDIA H999"))
    assert code == 2 and f"{tmp_path / 'order.json'}: items[0].chip" in d["error"] and "unknown chip 'NVIDIA H999'" in d["error"]
    code, d = run(tmp_path, order("IN", -5))
    assert code == 2 and "items[0].quantity" in d["error"] and "expected a whole number of chips, 1 or more, got '-5'" in d["error"]


def test_the_reported_500_h100_proposal_runs_as_a_marked_what_if(tmp_path: Path) -> None:
    code, d = run(tmp_path, order("IN", 1000), "--what-if", "lpp_h100_equivalents=500")
    assert (code, d["authorization"], d["hypothetical"]) == (1, "licence_required", ["lpp_h100_equivalents=500"])
    assert d["caveats"][0].startswith("HYPOTHETICAL: lpp_h100_equivalents=500")
    assert any(t["step"] == "LPP" and "lpp 7,916,000" in t["reason"] for t in d["trail"])  # 500 x 15,832
    path = tmp_path / "order.json"
    text = CliRunner().invoke(main, ["chips", "check", str(path), "--what-if", "lpp_h100_equivalents=500"]).output
    assert text.startswith("HYPOTHETICAL: LICENCE REQUIRED")


def test_every_answer_says_the_framework_was_rescinded_and_never_enforced(tmp_path: Path) -> None:
    for data in (order("IN", 1000), order("DE", 10, hq="DE"), order("CN", 1, hq="CN")):
        assert any("never enforced" in c for c in run(tmp_path, data)[1]["caveats"])


def test_the_regime_file_lints_and_every_figure_carries_its_source() -> None:
    out = CliRunner().invoke(main, ["chips", "lint"])
    assert out.exit_code == 0 and "every figure sourced" in out.output
    regime = chips.load()
    assert all(f.source for f in (*regime.dates.values(), *regime.units.values(), *regime.groups.values(), *regime.limits.values()))
    assert all(c.source for c in regime.chips.values()) and regime.limits["lpp"].value == 26_900_000


def test_a_regime_figure_without_a_source_is_refused(tmp_path: Path) -> None:
    from originrules.chips.regime import CHIPS_MARK, load_text

    text = chips.load().text.replace('limit lpp = 26900000 tpp per consignee per calendar_year\n    source', 'limit lpp = 26900000 tpp per consignee per calendar_year\n    # source', 1)
    with pytest.raises(Exception, match="limit lpp has no source"):
        load_text(text, "x.regime")
    assert CHIPS_MARK in chips.load().text


def test_the_library_answers_as_the_command_line_and_every_format_renders(tmp_path: Path) -> None:
    d = chips.check(order("IN", 1000))
    assert d.to_dict() == run(tmp_path, order("IN", 1000))[1]
    for fmt in chips.FORMATS:
        assert "LPP" in chips.render(d, fmt)
    listed = json.loads(CliRunner().invoke(main, ["chips", "list", "--format", "json"]).output)
    assert {"chip": H100, "tpp": 15832} .items() <= next(c for c in listed if c["chip"] == H100).items()


def test_a_recorded_answer_is_in_the_history_and_audit_verify_reproduces_it(tmp_path: Path, db: str) -> None:  # noqa: F811
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order("IN", 1000)), encoding="utf-8")
    assert CliRunner().invoke(main, ["chips", "check", str(path), "--record", "--db", db]).exit_code == 0
    assert CliRunner().invoke(main, ["chips", "check", str(path), "--record", "--db", db, "--what-if", "lpp_h100_equivalents=500"]).exit_code == 1
    rows = json.loads(CliRunner().invoke(main, ["history", "--format", "json", "--db", db]).output)
    assert [(r["agreement"], r["verdict"], r["what_if"]) for r in rows] == [
        ("US-AI-DIFFUSION-2025", "no licence required", []), ("US-AI-DIFFUSION-2025", "licence required", ["lpp_h100_equivalents=500"])]
    verified = CliRunner().invoke(main, ["audit", "verify", "--db", db])
    assert verified.exit_code == 0 and "2 records, 2 reproduced, 0 not" in verified.output


def test_the_workspace_decides_an_order_and_says_the_framework_was_never_enforced(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from originrules.web.app import create_app

    client = TestClient(create_app(f"sqlite:///{tmp_path / 'w.db'}"), base_url="http://127.0.0.1:8000")
    assert "never enforced" in client.get("/chips").text
    token = client.cookies["csrf"]
    body = json.dumps(order("IN", 1000)).encode()
    page = client.post(f"/chips?csrf={token}", files={"order": ("order.json", body, "application/json")}, data={"what_if": "lpp_h100_equivalents=500"})
    assert page.status_code == 200 and "HYPOTHETICAL: LICENCE REQUIRED: IN, 1,000 chips" in page.text
    bad = client.post(f"/chips?csrf={token}", files={"order": ("order.json", json.dumps(order("IN", -1)).encode(), "application/json")})
    assert bad.status_code == 400 and "items[0].quantity" in bad.text


def test_the_installed_command_answers_as_the_tests_do(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).with_name("originrules")  # the console script `pip install` wrote beside this Python
    assert script.is_file(), "originrules is not installed in this environment"
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order("IN", 2000)), encoding="utf-8")
    done = subprocess.run([str(script), "chips", "check", str(path), "--format", "json"], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and json.loads(done.stdout)["authorization"] == "licence_required"
