"""Renderers of a Decision: text for a compliance officer, JSON for programs."""

from __future__ import annotations

import json

from originrules.engine import Decision
from originrules.report.text import render_text

FORMATS = ("text", "json")


def render(decision: Decision, fmt: str = "text", colour: bool = False) -> str:
    if fmt == "json":
        return json.dumps(decision.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return render_text(decision, colour=colour)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_text"]
