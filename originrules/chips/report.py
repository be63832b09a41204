"""A chip decision in words: text, JSON, Markdown and HTML, as origin decisions are shown."""

from __future__ import annotations

import html
import json
from typing import Any

from originrules.chips.decide import ChipDecision
from originrules.safetext import one_line

FORMATS = ("text", "json", "markdown", "html")


def parts(d: ChipDecision) -> tuple[str, list[tuple[str, str]], list[str], list[str]]:
    """(headline, facts, trail lines, caveats): what every format shows."""
    data = d.to_dict()
    unit = next(iter(d.regime.units))
    head = ("HYPOTHETICAL: " if d.what_if else "") + f"{d.verdict.upper()}: {d.order.destination}, {sum(i.quantity for i in d.order.items):,} chips under {d.regime.code}"
    facts = [
        ("regime", f"{d.regime.name} [{d.regime.path}]"),
        ("decided as on", d.on.isoformat()),
        ("authorization", f"{d.authorization or '-'}" + (f" (step {d.step.name!r})" if d.step else "")),
        ("cite", (d.step.cite if d.step else None) or "-"),
        ("TPP", f"{d.tpp_total:,} ({data[f'{unit.lower()}_equivalents']} {unit}-equivalents, for display)"),
    ]
    for it in data["items"]:
        facts.append(("item", f"{it['quantity']:,} x {it['chip']} ({it['eccn']}, TPP {it['tpp_each']:,} each: {it['tpp_source']}" + (f"; inferred: {it['inferred']}" if it["inferred"] else "") + ")"))
    if d.draws:
        w = d.draws
        remaining = "unknown" if w["remaining"] is None else f"{w['remaining']:,}"
        facts.append(("draws on", f"{w['limit']} ({w['allowance']:,} TPP per {' per '.join(w['per'])}): used before {w['used_before'] if w['used_before'] is None else format(w['used_before'], ',')}, this order {w['this_order']:,}, remaining {remaining}"
                      + (f"; {w['note']}" if w.get("note") else "") + (f"; inferred: {w['inferred']}" if w.get("inferred") else "")))
    if d.missing:
        facts.append(("missing", ", ".join(d.missing)))
    facts.append(("decision id", d.decision_id))
    trail = [f"[{ {True: 'holds', False: 'no', None: 'unknown'}[t.held] }] {t.step}: {t.reason}" for t in d.trail]
    return head, facts, trail, list(d.caveats)


def render(d: ChipDecision, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"
    head, facts, trail, caveats = parts(d)
    if fmt == "text":
        width = max(len(k) for k, _ in facts) + 1
        out = [one_line(head), *(f"{k + ':':<{width}} {one_line(v)}" for k, v in facts), "", "Steps (in order; the first that holds decides):",
               *(f"  {one_line(t)}" for t in trail), "", "Caveats:", *(f"  - {one_line(c)}" for c in caveats)]
        return "\n".join(out) + "\n"
    if fmt == "markdown":
        out = [f"# {head}", "", *(f"- **{k}**: {v}" for k, v in facts), "", "## Steps", "", *(f"1. {t}" for t in trail), "", "## Caveats", "", *(f"- {c}" for c in caveats)]
        return "\n".join(out) + "\n"
    if fmt == "html":
        e = html.escape
        rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
        return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(head)}</title></head><body>'
                f'<h1 class="verdict">{e(head)}</h1><table>{rows}</table><h2>Steps</h2><ol>{"".join(f"<li>{e(t)}</li>" for t in trail)}</ol>'
                f'<h2>Caveats</h2><ul>{"".join(f"<li>{e(c)}</li>" for c in caveats)}</ul></body></html>\n')
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def listing(regime: Any) -> list[dict[str, Any]]:
    unit_name, unit = next(iter(regime.units.items()))
    return [{"chip": c.model, "eccn": c.eccn, "tpp": c.tpp, f"{unit_name.lower()}_equivalents": f"{c.tpp / unit.value:.2f}", "basis": c.basis,
             "controlled": c.eccn in regime.controlled.value, "source": c.source, "inferred": c.inferred} for c in regime.chips.values()]
