"""Helpers that let a test state a ruleset and a BOM as briefly as the law states a rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from originrules.bom import Bom, from_dict
from originrules.compile import CompiledRuleset, compile_ruleset
from originrules.lang.resolve import load_text

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

# A neutral test agreement: UAE-like parameters, every value name the seed texts use.
HEADER = """
agreement TST "Test agreement" {
    parties     IN, AE                source "test"
    in_force    2020-01-01            source "test"
    cumulation  bilateral             source "test"
    value_name  VA, RVC, QVC          source "test"
    basis       fob, ex_works         source "test"
    method build_down = (basis - VNM) / basis                        source "test"
    method build_up   = (VOM + direct_labour + direct_overhead) / basis source "test"
    de_minimis  10% of basis except chapters 50-63                   source "test"
    insufficient_operations packing, labelling, simple_assembly       source "test"
}
"""


def load_tool(name: str) -> Any:
    """A script of tools/ as a module (they are not a package), with tools/ importable beside it."""
    import importlib.util
    import sys

    sys.path.insert(0, str(REPO / "tools"))
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def ruleset(rules: str, header: str = HEADER) -> CompiledRuleset:
    return compile_ruleset(load_text(header + rules, "test.roo"))


def material(id: str, hs: str | None, value: str, origin: str = "CN", originating: bool | None = None, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"id": id, "description": f"material {id}", "value": value, "origin": origin}
    if hs is not None:
        m["hs_code"] = hs
    if originating is not None:
        m["originating"] = originating
    m.update(extra)
    return m


def make_bom(hs: str, materials: list[dict[str, Any]], fob: str | None = "1000", ex_works: str | None = "1000", costs: dict[str, str] | None = None, **product: Any) -> Bom:
    p: dict[str, Any] = {"hs_code": hs, "description": "product", "currency": "USD", "exporting_country": "IN", "importing_country": "AE"}
    if fob is not None:
        p["fob"] = fob
    if ex_works is not None:
        p["ex_works"] = ex_works
    p.update(product)
    data: dict[str, Any] = {"product": p, "materials": materials}
    if costs is not None:
        data["costs"] = costs
    return from_dict(data, "test.json")


def D(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


def rule_line(ruleset_file: str, key: str) -> str:
    """`rulesets/<file>:<line>` of the rule with this key, as decisions cite it."""
    for n, line in enumerate((REPO / "rulesets" / ruleset_file).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key} ") or line.startswith(f"{key}:"):
            return f"rulesets/{ruleset_file}:{n}"
    raise AssertionError(f"no rule {key} in {ruleset_file}")
