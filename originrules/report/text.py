"""The text report: verdict first, then the rule and its source, then each test with its numbers."""

from __future__ import annotations

from decimal import Decimal

import click

from originrules.compile import Trace
from originrules.engine import Decision

_MARK = {True: "met", False: "NOT MET", None: "unknown"}
_COLOUR = {True: "green", False: "red", None: "yellow"}


def render_text(decision: Decision, colour: bool = False) -> str:
    def style(text: str, passed: bool | None, bold: bool = False) -> str:
        return click.style(text, fg=_COLOUR[passed], bold=bold) if colour else text

    d, p = decision, decision.bom.product
    out = []
    what = f"{p.description} (HS {p.hs_code})" if p.description else f"HS {p.hs_code}"
    out.append(style(d.verdict.upper(), d.originating, bold=True) + f": {what}")
    out.append(f"agreement: {d.agreement.code}, {d.agreement.name}")
    if d.rule:
        r = d.rule
        desc = f' "{r.description}"' if r.description else ""
        out.append(f"rule {r.key}{desc}: {r.text}")
        out.append(f"  written at {r.source}" + (f"; legal source: {r.legal_source}" if r.legal_source else ""))
        if r.inferred:
            out.append("  this rule is marked inferred in the ruleset: check it against the annex")
    for reason in d.reasons:
        out.append(style(f"why undetermined: {reason}" if d.originating is None else reason, d.originating))
    for c in d.choices:
        out.append(f"  choice: subdivision {c.subdivision!r}: {c.text}  ({c.source})")
    if d.trace:
        out.append("")
        out.append("tests:")
        _trace_lines(d.trace, 1, out, style)
    non = [m for m in d.materials if not m.originating]
    if d.materials:
        total = sum((m.value for m in non), Decimal(0))
        cur = f" {p.currency}" if p.currency else ""
        out.append("")
        out.append(f"materials: {len(d.materials)}, of which {len(non)} non-originating ({total:,.2f}{cur})")
        for m in non:
            out.append(f"  {m.id:>5}  {m.hs_code or '-':<10} {m.value:>14,.2f}  {m.origin:<7} {m.why}: {m.description}")
    if d.warnings:
        out.append("")
        out.append("warnings:")
        out.extend(f"  {w}" for w in d.warnings)
    return "\n".join(out) + "\n"


def _trace_lines(t: Trace, depth: int, out: list[str], style) -> None:  # type: ignore[no-untyped-def]
    pad = "  " * depth
    out.append(f"{pad}[{style(_MARK[t.passed], t.passed)}] {t.text}")
    for f in t.detail.get("failing_materials", ()):
        out.append(f"{pad}    material {f['id']} (HS {f['hs_code']}, {Decimal(f['value']):,.2f}): {f['reason']}")
    dm = t.detail.get("de_minimis")
    if dm:
        if dm.get("applied"):
            out.append(f"{pad}    de minimis: {Decimal(dm['value']):,.2f} within {dm['percent']}% of {dm['basis']} ({Decimal(dm['limit']):,.2f}); absorbed {', '.join(dm['absorbed'])}")
        elif dm.get("reason"):
            out.append(f"{pad}    de minimis not applied: {dm['reason']}")
    if t.passed is None and t.detail.get("missing"):
        out.append(f"{pad}    needs: {', '.join(t.detail['missing'])}")
    for c in t.children:
        _trace_lines(c, depth + 1, out, style)
