"""The examples' expected verdicts, as listed in examples/README.md, are what originrules gives."""

from __future__ import annotations

import re

import pytest

import originrules
from tests.conftest import REPO

ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| (?P<agreement>[\w-]+) \| (?P<verdict>[a-z ]+) \| (?P<exit>\d) \|")
ROWS = [m.groupdict() for line in (REPO / "examples" / "README.md").read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))]


def test_every_example_file_is_listed():
    listed = {r["file"] for r in ROWS}
    on_disk = {p.name for p in (REPO / "examples").glob("*.json")}
    assert listed == on_disk


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_example_verdict(row: dict[str, str]) -> None:
    decision = originrules.check(originrules.load_bom(REPO / "examples" / row["file"]), row["agreement"])
    assert (decision.verdict, decision.exit_code) == (row["verdict"], int(row["exit"]))


def test_the_motorcycle_figures_in_the_readme():
    d = originrules.check(originrules.load_bom(REPO / "examples" / "motorcycle-uae.json"), "UAE")
    assert d.to_dict()["materials"]["non_originating_value"] == "145"
    text = (REPO / "examples" / "README.md").read_text(encoding="utf-8")
    assert "86.70%" in text
    assert "VA build-down on FOB = (1,090.00 - 145.00) / 1,090.00 = 86.70% >= 45%  met" in originrules.render(d, "text")
