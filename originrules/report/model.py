"""What a report says, independent of how it is printed: text, Markdown and HTML all render this.

A report is a list of blocks: headings, key-value facts, lines of the test tree, and tables.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from originrules import __version__
from originrules.compile import Trace
from originrules.compile import money as plain_money
from originrules.engine import Decision, material_statuses
from originrules.numbers import exact_sum
from originrules.safetext import ESCAPES

# Control characters from a BOM (an ANSI escape sequence in a description could rewrite the
# terminal of whoever reads the report, or `cat`s a file) are shown as visible escapes in every
# format; only the new line is ours to use.
# Bidi overrides and zero-width characters likewise (originrules.safetext).
CONTROLS = ESCAPES


def visible(block: Block) -> Block:
    """The block with every control character in its texts shown as an escape (for the terminal,
    where our own colour codes are added afterwards)."""

    def v(x: Any) -> Any:
        if isinstance(x, str):
            return x.translate(CONTROLS).replace("\n", "\\n")  # one block, one line: no forged lines
        if isinstance(x, tuple):
            return tuple(v(i) for i in x)
        return x

    return msgspec.structs.replace(block, **{name: v(getattr(block, name)) for name in block.__struct_fields__})

EXPLAIN_MODES = ("auto", "full", "fails")
TERMINAL_ROWS = 200  # materials a terminal report lists; the others are counted, and listed in the files
MARKS = {True: "met", False: "NOT MET", None: "unknown"}  # a test's result, in every format


class _Part(msgspec.Struct, frozen=True):
    """A block's base: msgspec Structs are built in C when the module loads (attrs classes write
    and compile their methods then, a few milliseconds each, on every command-line check)."""


class Heading(_Part):
    text: str
    level: int = 2


class Facts(_Part):
    rows: tuple[tuple[str, str], ...]


class TreeLine(_Part):
    depth: int
    passed: bool | None
    text: str
    notes: tuple[str, ...] = ()


class Table(_Part):
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


class Paragraph(_Part):
    text: str
    passed: bool | None = None  # colours the verdict line


class Banner(_Part):
    """A notice the reader must not miss, above everything else: a what-if is hypothetical."""

    text: str


Block = Heading | Facts | TreeLine | Table | Paragraph | Banner


def what_if_banner(decision: Decision) -> list[Block]:
    changes = decision.bom.what_if
    if not changes:
        return []
    return [Banner(f"HYPOTHETICAL: a what-if, not the bill of materials as declared. Changed: {'; '.join(changes)}.")]


def money(value: Any, currency: str | None = None) -> str:
    """A money value (Decimal or its string, as traces hold them), with its currency."""
    text = plain_money(Decimal(value))
    return f"{text} {currency}" if currency else text


def _keep(t: Trace, mode: str) -> bool:
    return mode == "full" or t.passed is not True


def _tree(t: Trace, depth: int, mode: str, currency: str | None, out: list[Block]) -> None:
    if not _keep(t, mode):
        return
    notes = []
    for f in t.detail.get("failing_materials", ()):
        notes.append(f"material {f['id']} (HS {f['hs_code']}, {money(f['value'])}): {f['reason']}")
    dm = t.detail.get("de_minimis")
    if dm:
        if dm.get("applied"):
            notes.append(
                f"de minimis: {money(dm['value'])} within {dm['percent']}% of {dm['basis']} ({money(dm['limit'])}); "
                f"absorbed {', '.join(dm['absorbed'])}; {money(dm['left'])} of tolerance left"
            )
        elif dm.get("reason"):
            notes.append(f"de minimis not applied: {dm['reason']}")
    room = t.detail.get("headroom")
    if room and not (t.test == "value" and t.children):  # a group shows its options' headroom
        if room["kind"] == "could_add":
            notes.append(f"headroom: {money(room['amount'], currency)} more non-originating value before this fails")
        else:
            extra = f" ({room['note']})" if room.get("note") else ""
            notes.append(f"to meet it: re-source {money(room['amount'], currency)} of non-originating value as originating{extra}")
    if t.passed is None and t.detail.get("missing"):
        notes.append(f"needs: {', '.join(t.detail['missing'])}")
    out.append(TreeLine(depth, t.passed, t.text, tuple(notes)))
    for c in _children(t):
        _tree(c, depth + 1, mode, currency, out)


def _children(t: Trace) -> list[Trace]:
    """A test's parts as a reader wants them: an "all of" inside an "all of" (or an "any of"
    inside an "any of") says nothing of its own, so its parts join its parent's."""
    out: list[Trace] = []
    for c in t.children:
        if t.test in ("and", "or") and c.test == t.test:
            out.extend(_children(c))
        else:
            out.append(c)
    return out


def _material_results(trace: Trace | None) -> tuple[dict[str, list[str]], set[str]]:
    """Per material id: the tariff-shift tests it failed; and the ids de minimis absorbed."""
    failed: dict[str, list[str]] = {}
    absorbed: set[str] = set()

    def walk(t: Trace) -> None:
        for f in t.detail.get("failing_materials", ()):
            failed.setdefault(f["id"], []).append(f"{t.text.split(':')[0]} fails: {f['reason']}")
        dm = t.detail.get("de_minimis") or {}
        absorbed.update(dm.get("absorbed", ()))
        for c in t.children:
            walk(c)

    if trace:
        walk(trace)
    return failed, absorbed


def build(decision: Decision, explain: str = "auto", advice: Any = None, terminal: bool = False) -> list[Block]:
    """The blocks of a decision report. explain "auto": everything for an originating good, only
    the failing path otherwise. For the terminal (`terminal`), the materials table is capped at
    TERMINAL_ROWS (it says how many rows it leaves out) and the advice names the command-line
    flags that try it; documents for an auditor name no flags."""
    d, p = decision, decision.bom.product
    mode = explain if explain != "auto" else ("full" if d.originating else "fails")
    max_rows = TERMINAL_ROWS if terminal else None
    out: list[Block] = what_if_banner(d)
    what = f"{p.description} (HS {p.hs_code})" if p.description else f"HS {p.hs_code}"
    out.append(Paragraph(f"{d.verdict.upper()}: {what}", d.originating))
    facts = [("agreement", f"{d.agreement.code}, {d.agreement.name}")]
    if d.rule:
        r = d.rule
        facts.append(("rule", f"{r.key}" + (f' "{r.description}"' if r.description else "") + f": {r.text}"))
        if r.expanded:
            facts.append(("in full", r.expanded))
        facts.append(("written at", r.source))
        if r.legal_source:
            facts.append(("legal source", r.legal_source))
        if r.inferred:
            facts.append(("caution", "this rule is marked inferred in the ruleset: check it against the annex"
                          + (f". The ruleset's note: {r.inferred_note}" if r.inferred_note else "")))
        other = d.alternative_reading()
        if other:
            facts.append(("other reading", f"{other['rule']}: {other['verdict']} under it"
                          + (" — THE VERDICT WOULD CHANGE" if other["changes"] else " (the same verdict)")))
    for reason in d.reasons:
        facts.append(("why undetermined" if d.originating is None else "reason", reason))
    for c in d.choices:
        facts.append(("choice", f'subdivision "{c.subdivision}": {c.text} ({c.source})'))
    out.append(Facts(tuple(facts)))
    if d.trace:
        out.append(Heading("Tests" + ((" (failing path only; --explain full shows all)" if terminal else " (failing path only)") if mode == "fails" else "")))
        _tree(d.trace, 0, mode, p.currency, out)
    rooms = d.headroom()
    if rooms:
        out.append(Heading("Headroom"))
        rows = []
        for h in rooms:
            if h["kind"] == "tolerance" and h["passed"] is False:
                # the failing materials are over the tolerance (or barred from it): nothing is "left"
                over = f"{money(h['failing'])} of materials fail it, {money(h['failing'] - h['limit'])} over" if h.get("failing") is not None else "the materials that fail it are over"
                rows.append((h["test"], "not met", f"{over} the tolerance of {money(h['limit'])}: re-source them as originating, or use materials that make the change"))
            elif h["kind"] == "tolerance":
                rows.append((h["test"], "tolerance", f"used {money(h['used'])} of {money(h['limit'])}; {money(h['left'])} left"))
            elif h["kind"] == "could_add":
                rows.append((h["test"], "met", f"could add {money(h['amount'], p.currency)} of non-originating value"))
            elif d.originating:  # another alternative is met: nothing must be done
                rows.append((h["test"], "not met", f"not needed (another alternative is met); alone it would need {money(h['amount'], p.currency)} re-sourced as originating"
                             + (f" ({h['note']})" if h.get("note") else "")))
            else:
                rows.append((h["test"], "not met", f"must re-source {money(h['amount'], p.currency)} as originating" + (f" ({h['note']})" if h.get("note") else "")))
        overall = _overall_headroom(d, rooms, p.currency)
        if overall:
            out.append(Paragraph(overall))
        out.append(Table(("test", "result", "headroom"), tuple(rows)))
    if advice is not None:
        out.append(Heading("Advice"))
        out.append(Paragraph(advice.message))
        if terminal and advice.what_if:
            import shlex  # only for a product the advisor has a what-if for

            out.append(Paragraph("To see it: " + " ".join(f"--what-if {shlex.quote(c)}" for c in advice.what_if)))
    if d.bom.materials:
        failed, absorbed = _material_results(d.trace)
        everything = d.bom.materials
        # the materials that do not count as originating, from what the check started from (a
        # terminal report of a 200,000-material BOM then builds a status for the rows it shows)
        non = [m for m in d.bom.undeclared if m.id not in d.assumed] if d.assumed else list(d.bom.undeclared)
        total = exact_sum(m.value for m in non)
        out.append(Heading("Materials"))
        out.append(Paragraph(f"{len(everything)} materials, of which {len(non)} non-originating ({money(total, p.currency)})"))
        listed = non if mode == "fails" else list(everything)
        originating_left_out = len(everything) - len(listed)
        if max_rows is not None and len(listed) > max_rows:
            # the materials a test failed on first: they are what the reader needs to see
            listed = sorted(listed, key=lambda m: m.id not in failed)[:max_rows]
        statuses = d.materials if len(listed) == len(everything) else material_statuses(d.bom, d.assumed, listed)
        rows = []
        for m in statuses:
            shift = "; ".join(failed.get(m.id, [])) or ("-" if m.originating else "passes")
            # a material the declarations register decided shows what it said (the declaration used, or why none)
            status = m.why if m.id in d.bom.register or not m.originating else "originating"
            rows.append((m.id, m.description, m.hs_code or "-", money(m.value), status, shift, "yes" if m.id in absorbed else ""))
        out.append(Table(("id", "description", "HS", "value", "origin status", "tariff shift", "de minimis"), tuple(rows)))
        capped = len(everything) - originating_left_out - len(rows)
        why = []
        if originating_left_out:
            why.append(f"{originating_left_out} originating (only non-originating materials can make a rule fail)")
        if capped:
            why.append(f"{capped} more beyond the first {max_rows}, failing ones first (the JSON, Markdown and HTML reports list every material)")
        if why:
            out.append(Paragraph(f"Not listed: {'; '.join(why)}."))
    if d.warnings:
        out.append(Heading("Warnings"))
        out.extend(Paragraph(w) for w in d.warnings)
    out.append(Heading("Record"))
    out.append(
        Facts(
            (
                ("decision id", d.decision_id),
                ("originrules", __version__),
                ("ruleset", f"{d.ruleset.path} sha256 {d.ruleset.sha256}"),
                ("input", f"sha256 {d.input_sha256}"),
                *((("what-if changes", "; ".join(d.bom.what_if)),) if d.bom.what_if else ()),
            )
        )
    )
    return out



def _overall_headroom(d: Any, rooms: list[dict[str, Any]], currency: str | None) -> str | None:
    """One line for the whole product. Originating: the least room any met value test leaves
    (true whether the tests are alternatives or all required). Not originating: the re-sourcing
    its one failing value test needs (with several, whether they are alternatives or all required
    decides the answer: the table gives each)."""
    if d.originating:
        room = [h for h in rooms if h["kind"] == "could_add"]
        if not room:
            return None
        least = min(room, key=lambda h: h["amount"])
        return f"Overall: originating; {money(least['amount'], currency)} more non-originating value keeps every value test met (the closest: {least['test']})."
    need = [h for h in rooms if h["kind"] not in ("could_add", "tolerance") and h.get("amount") is not None]
    if d.originating is False and len(need) == 1:
        return f"Overall: not originating; {money(need[0]['amount'], currency)} of non-originating value re-sourced as originating would meet {need[0]['test']}."
    return None
