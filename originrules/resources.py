"""Find the grammar and the shipped rulesets, from a wheel or from a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # In a wheel, grammar/ and rulesets/ are copied into the package (pyproject.toml,
    # force-include); in a source checkout they sit beside it at the top of the repo.
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def grammar_path() -> Path:
    return _data_dir("grammar") / "originrules.lark"


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


def rulesets_dir() -> Path:
    return _data_dir("rulesets")
