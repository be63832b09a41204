"""Each shipped ruleset is pinned by a snapshot of its canonical dump: any change to a rule,
a threshold or a source shows up as a reviewable diff."""

from __future__ import annotations

import re

import pytest

import originrules
from originrules import resources
from originrules.lang.format import dump
from tests.conftest import REPO

SHIPPED = sorted(p.name for p in resources.rulesets_dir().glob("*.roo"))
# the UK's schemes are written by the importer and pinned in tests/test_uk_tariff.py
WRITTEN_BY_HAND = [f for f in SHIPPED if not f.startswith("uk-")]


@pytest.mark.parametrize("filename", WRITTEN_BY_HAND)
def test_ruleset_canonical_dump(filename: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    crs = next(c for c in originrules.agreements().values() if c.ruleset.path == f"rulesets/{filename}")
    assert dump(crs.ruleset) == snapshot


@pytest.mark.parametrize("filename", SHIPPED)
def test_every_legal_parameter_carries_its_source(filename: str) -> None:
    crs = next(c for c in originrules.agreements().values() if c.ruleset.path == f"rulesets/{filename}")
    ag = crs.ruleset.agreement
    unsourced = [p.keyword for p in ag.params if p.keyword != "aliases" and not p.provenance.source]
    assert unsourced == []
    assert [r.key_text for r in crs.ruleset.rules if not r.provenance.source] == []


def test_uae_header_matches_the_notification():
    ag = originrules.find_agreement("ae").agreement
    assert (ag.code, ag.parties, str(ag.in_force), ag.bases) == ("UAE", ("IN", "AE"), "2022-05-01", ("fob", "ex_works"))
    # Rule 3(2)(b): the build-up numerator has no profit term
    assert str(ag.method("build_up").formula) == "(VOM + direct_labour + direct_overhead) / basis"
    # Rule 5(1)(a): 10% by value for every chapter; (b): textiles may use less than 7% by weight
    # *or* 10% by value, so no chapter is excepted and chapters 50-63 have both
    lines = [(d.below, str(d.percent), d.of, str(d.for_codes), str(d.except_codes)) for d in ag.de_minimis]
    assert lines == [(False, "10", "basis", "", ""), (False, "10", "basis", "50-63", ""), (True, "7", "net_weight", "50-63", "")]


def test_uae_ex_works_thresholds_are_five_points_below_fob():
    crs = originrules.find_agreement("UAE")
    va = next(let for let in crs.ruleset.lets if let.name == "va")
    assert re.sub(r"\s+", " ", va.text) == "VA(fob) >= p or VA(ex_works) >= p - 5%"
    rules = {r.key_text: r.text for r in crs.ruleset.rules}
    assert rules["87"] == "CTH and va(45%)"
    assert rules["8716"] == "CTSH and va(40%)"


def test_the_index_agreements_lists_from_is_current_and_says_what_loading_says():
    # `originrules agreements` lists from rulesets/index.json (a ruleset changed since is loaded
    # instead); the index here must be the one tools/ruleset_index.py writes from these rulesets
    from originrules import registry
    from tests.conftest import load_tool

    written = (REPO / "rulesets" / registry.INDEX).read_text(encoding="utf-8")
    assert written == load_tool("ruleset_index").index(), "rulesets/index.json is stale: run python tools/ruleset_index.py"
    assert registry.listing() == [registry.summary(crs) for crs in registry.shipped().values()]


def test_a_ruleset_changed_since_the_index_was_written_is_listed_as_it_now_is(tmp_path, monkeypatch):
    import shutil

    from originrules import registry, resources

    copy = tmp_path / "rulesets"
    shutil.copytree(REPO / "rulesets", copy)
    path = copy / "india-uae-cepa.roo"
    path.write_text(path.read_text(encoding="utf-8").replace('"India–UAE Comprehensive', '"The India–UAE Comprehensive', 1), encoding="utf-8")
    monkeypatch.setattr(resources, "rulesets_dir", lambda: copy)
    for cached in (registry._scan, registry._catalogue, registry._load_named):
        cached.cache_clear()
    try:
        uae = next(r for r in registry.listing() if r["code"] == "UAE")
        assert uae["name"].startswith("The India–UAE")
    finally:
        for cached in (registry._scan, registry._catalogue, registry._load_named):
            cached.cache_clear()
