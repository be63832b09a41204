"""The house: data flows one way. The layers contract in pyproject.toml ([tool.importlinter])
says which module may import which; this test runs it with the others."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_module_imports_only_from_the_layers_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(REPO)
    assert lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_the_engine_never_reaches_up_to_the_reports() -> None:
    # the circle the layers replaced: a Decision is data, report/ renders it
    engine = (REPO / "originrules" / "engine.py").read_text(encoding="utf-8")
    assert "originrules.report" not in engine and "from originrules import report" not in engine
