"""Render report blocks as Markdown, or as one self-contained, printable HTML page."""

from __future__ import annotations

from html import escape

from originrules.report.model import CONTROLS, MARKS, Banner, Block, Facts, Heading, Paragraph, Table, TreeLine

_MD = str.maketrans({"\\": "\\\\", "<": "&lt;", "[": "\\[", "]": "\\]", "`": "\\`", "\n": " ", "\r": " "})


def md(text: str) -> str:
    """Text as Markdown that shows it and does nothing else: no HTML tag (`<script>`), no link or
    image (`[x](javascript:...)`), no code span, no new line that could start a heading."""
    return text.translate(_MD)


def _md_cell(text: str) -> str:
    return md(text).replace("|", "\\|")


def render_markdown(blocks: list[Block], title: str) -> str:
    out = [f"# {md(title)}", ""]
    for b in blocks:
        if isinstance(b, Banner):
            out.extend([f"> **{md(b.text)}**", ""])
        elif isinstance(b, Heading):
            out.extend(["", f"{'#' * b.level} {md(b.text)}", ""])
        elif isinstance(b, Paragraph):
            out.extend([f"**{md(b.text)}**" if b.passed is not None or b.text.startswith("UNDETERMINED") else md(b.text), ""])
        elif isinstance(b, Facts):
            out.extend(f"- **{md(k)}**: {md(v)}" for k, v in b.rows)
            out.append("")
        elif isinstance(b, TreeLine):
            out.append(f"{'  ' * b.depth}- [{MARKS[b.passed]}] {md(b.text)}")
            out.extend(f"{'  ' * (b.depth + 1)}- {md(n)}" for n in b.notes)
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md_cell(c) for c in b.columns) + " |")
            out.append("|" + "---|" * len(b.columns))
            out.extend("| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b.rows)
            out.append("")
    return ("\n".join(out).rstrip() + "\n").translate(CONTROLS)


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; border-bottom: 1px solid #ccc; margin-top: 1.6rem; }
.verdict { font-size: 1.2rem; font-weight: 700; padding: .5rem .8rem; border-radius: 4px; }
.ok { background: #e3f4e6; color: #15602b; } .no { background: #fbe4e4; color: #8a1616; } .unknown { background: #fff4d6; color: #6b4e00; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
ul.tree { list-style: none; padding-left: 1.2rem; margin: 0; } .tag { font-weight: 700; font-size: .8rem; }
.tag.ok, .tag.no, .tag.unknown { padding: 0 .3rem; border-radius: 3px; } .note { color: #555; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; } th, td { border: 1px solid #ccc; padding: .25rem .4rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } .banner { font-weight: 700; padding: .5rem .8rem; border: 2px dashed #8a5a00; background: #fff4d6; color: #6b4e00; } @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""
_CLASS = {True: "ok", False: "no", None: "unknown"}


def render_html(blocks: list[Block], title: str) -> str:
    """One self-contained, printable page."""
    head = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>", f"<style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>"]
    return ("\n".join([*head, *_html_blocks(blocks), "</body></html>"]) + "\n").translate(CONTROLS)


def render_html_fragment(blocks: list[Block]) -> str:
    """The report's body, for a page that has its own head and style sheet (the web workspace)."""
    return "\n".join(_html_blocks(blocks)).translate(CONTROLS)


def _html_blocks(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    open_depth = -1
    for b in blocks:
        if not isinstance(b, TreeLine) and open_depth >= 0:
            out.append("</li></ul>" * (open_depth + 1))
            open_depth = -1
        if isinstance(b, Banner):
            out.append(f'<p class="banner">{escape(b.text)}</p>')
        elif isinstance(b, Heading):
            out.append(f"<h{b.level}>{escape(b.text)}</h{b.level}>")
        elif isinstance(b, Paragraph):
            if b.passed is not None or b.text.startswith("UNDETERMINED"):
                out.append(f'<p class="verdict {_CLASS[b.passed]}">{escape(b.text)}</p>')
            else:
                out.append(f"<p>{escape(b.text)}</p>")
        elif isinstance(b, Facts):
            out.append("<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in b.rows) + "</dl>")
        elif isinstance(b, TreeLine):
            if b.depth > open_depth:
                out.append('<ul class="tree"><li>' * (b.depth - open_depth))
            else:
                out.append("</li></ul>" * (open_depth - b.depth) + "</li><li>")
            open_depth = b.depth
            notes = "".join(f'<div class="note">{escape(n)}</div>' for n in b.notes)
            out.append(f'<span class="tag {_CLASS[b.passed]}">{MARKS[b.passed]}</span> {escape(b.text)}{notes}')
        elif isinstance(b, Table):
            head = "".join(f"<th>{escape(c)}</th>" for c in b.columns)
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if open_depth >= 0:
        out.append("</li></ul>" * (open_depth + 1))
    return out
