"""Render report blocks as plain text (colour only when asked: on a terminal)."""

from __future__ import annotations

import textwrap

import click

from originrules.report.model import MARKS, Banner, Block, Facts, Heading, Paragraph, Table, TreeLine, visible

_COLOUR = {True: "green", False: "red", None: "yellow"}
_MAX_CELL = 60  # characters; a longer cell wraps onto the lines below, in its column


def render_text(blocks: list[Block], colour: bool = False) -> str:
    def style(text: str, passed: bool | None, bold: bool = False) -> str:
        return click.style(text, fg=_COLOUR[passed], bold=bold) if colour else text

    out: list[str] = []
    for b in map(visible, blocks):  # control characters made visible before our colours are added
        if isinstance(b, Banner):
            out.append(style(b.text, None, bold=True))
        elif isinstance(b, Heading):
            out.extend(["", f"{b.text}:"])
        elif isinstance(b, Paragraph):
            if b.passed is not None or b.text.split(":")[0] in ("UNDETERMINED",):
                head, _, rest = b.text.partition(":")
                out.append(style(head, b.passed, bold=True) + ":" + rest)
            else:
                out.append(b.text)
        elif isinstance(b, Facts):
            width = max(len(k) for k, _ in b.rows)
            out.extend(f"{k + ':':<{width + 1}} {v}" for k, v in b.rows)
        elif isinstance(b, TreeLine):
            pad = "  " * (b.depth + 1)
            out.append(f"{pad}[{style(MARKS[b.passed], b.passed)}] {b.text}")
            out.extend(f"{pad}    {n}" for n in b.notes)
        elif isinstance(b, Table):
            widths = [min(max(len(c), *(len(r[i]) for r in b.rows)) if b.rows else len(c), _MAX_CELL) for i, c in enumerate(b.columns)]
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(b.columns, widths)).rstrip())
            for r in b.rows:
                # a long cell wraps onto the lines below in its column, never cut with "…": the last
                # words of a headroom or a material's status are the ones that matter
                wrapped = [textwrap.wrap(v, w, break_long_words=True, break_on_hyphens=False) or [""] for v, w in zip(r, widths)]
                for i in range(max(map(len, wrapped))):
                    out.append("  " + "  ".join((c[i] if i < len(c) else "").ljust(w) for c, w in zip(wrapped, widths)).rstrip())
    return "\n".join(out) + "\n"
