"""Renderers of a Decision: text for a compliance officer, JSON for programs, Markdown and HTML
to file, and the CAROTAR 2020 worksheet an Indian importer must be able to produce."""

from __future__ import annotations

from typing import Any

from originrules.engine import Decision
from originrules.report.model import EXPLAIN_MODES, build

FORMATS = ("text", "json", "markdown", "html", "carotar")


def render(decision: Decision, fmt: str = "text", *, colour: bool = False, explain: str = "auto", advice: Any = None, duty: Any = None) -> str:
    """The decision as `fmt`: text, json, markdown, html or carotar. Same input, same bytes.
    `duty` (the duty question answered, as `check --duty` asks it) joins the JSON."""
    if explain not in EXPLAIN_MODES:
        raise ValueError(f"unknown explain mode {explain!r}; choose one of {', '.join(EXPLAIN_MODES)}")
    title = f"Origin determination: {decision.bom.product.description or 'HS ' + decision.bom.product.hs_code}"
    if fmt == "json":
        data = decision.to_dict()
        if advice is not None:
            data["advice"] = advice.to_dict()
        if duty is not None:
            data["duty"] = duty
        return pretty_json(data)
    # each renderer is imported when asked for
    if fmt == "carotar":
        from originrules.report.carotar import carotar_blocks
        from originrules.report.markup import render_markdown

        return render_markdown(carotar_blocks(decision), "CAROTAR 2020 origin worksheet")
    blocks = build(decision, explain, advice, terminal=fmt == "text")
    if fmt == "text":
        from originrules.report.text import render_text

        return render_text(blocks, colour=colour)
    if fmt in ("markdown", "html"):
        from originrules.report.markup import render_html, render_markdown

        return render_markdown(blocks, title) if fmt == "markdown" else render_html(blocks, title)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def pretty_json(data: Any) -> str:
    """JSON as `json.dumps(data, indent=2, ensure_ascii=False)` writes it, byte for byte, in C:
    the standard library's pretty printer runs in Python, 2 ms for one decision."""
    import msgspec

    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode("utf-8") + "\n"


def html_fragment(decision: Decision, explain: str = "auto", advice: Any = None) -> str:
    """The HTML report's body, for a page with its own head (the web workspace)."""
    from originrules.report.markup import render_html_fragment

    return render_html_fragment(build(decision, explain, advice))


def explain(decision: Decision, mode: str = "auto") -> str:
    """The decision in plain words (the text report). mode: "full", "fails" or "auto"."""
    return render(decision, "text", explain=mode)


__all__ = ["EXPLAIN_MODES", "FORMATS", "explain", "html_fragment", "render"]
