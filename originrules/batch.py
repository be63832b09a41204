"""Check a whole catalogue: one decision per BOM, in input order, errors as records.

The same pure function, `decide`, serves `originrules batch` (processes on one machine) and
`originrules.scale` (Dask, Spark): a record in, a JSON-ready record out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import attrs

from originrules.bom import Bom, loads
from originrules.compile import CompiledRuleset
from originrules.engine import Decision, check
from originrules.errors import OriginrulesError, Problem
from originrules.inputs import input_format, read_rows, rows_to_boms
from originrules.registry import find, load_file, on_route
from originrules.store.rows import batch_record, dumps_line, record_line

SUMMARY_COLUMNS = ("line", "agreement", "hs_code", "verdict", "rule", "rule_source", "reasons", "warnings", "decision_id", "error")
NOT_COVERED = "not covered"  # the verdict of a BOM whose route no shipped agreement covers


# Hooks a batch may set: take materials' status from the declaration register (bom, agreement
# code -> (bom, references used)), and keep each decision (decision, line, references used).
Resolve = Callable[[Bom, str], "tuple[Bom, tuple[str, ...]]"]
Keep = Callable[[Decision, int, "tuple[str, ...]"], None]


def decide(
    item: tuple[int, str | Bom | OriginrulesError], crs: CompiledRuleset, *, explain: bool = False, assume_origin: bool = False,
    resolve: Resolve | None = None, keep: Keep | None = None, on: dt.date | None = None,
) -> dict[str, Any]:
    """(line, JSON text or BOM or its loading error) -> the decision record, or an error record.
    `on`: the day it is decided for (an agreement not in force that day is an error record)."""
    line, source = item
    try:
        return _decide(line, _bom(line, source), crs, explain, assume_origin, resolve, keep, on)
    except OriginrulesError as e:
        return {"line": line, "agreement": crs.agreement.code, "error": e.render()}


def _decide(line: int, bom: Bom, crs: CompiledRuleset, explain: bool, assume_origin: bool, resolve: Resolve | None, keep: Keep | None,
            on: dt.date | None = None) -> dict[str, Any]:
    used: tuple[str, ...] = ()
    if resolve is not None:
        bom, used = resolve(bom, crs.agreement.code)
    decision = check(bom, crs, explain=True if explain else None, assume_origin=assume_origin, on=on)
    if keep is not None:
        keep(decision, line, used)
    return batch_record(line, bom, decision, explain)


def decide_on_route(
    item: tuple[int, str | Bom | OriginrulesError], *, explain: bool = False, assume_origin: bool = False,
    resolve: Resolve | None = None, keep: Keep | None = None, on: dt.date | None = None,
) -> list[dict[str, Any]]:
    """A BOM decided under every shipped agreement that covers its route (product.exporting_country
    to product.importing_country): one record each, or one record saying no agreement covers it."""
    line, source = item
    try:
        bom = _bom(line, source)
    except OriginrulesError as e:
        return [{"line": line, "agreement": None, "error": e.render()}]
    p = bom.product
    on_route = covering(bom, on)
    if not on_route:
        route = f"{p.exporting_country or '?'} to {p.importing_country or '?'}"
        why = (
            f"no shipped agreement covers {route}" if p.exporting_country and p.importing_country
            else "the BOM does not give its route (product.exporting_country and product.importing_country): give them, or -a AGREEMENT"
        )
        return [{"line": line, "agreement": None, "hs_code": p.hs_code, "originating": None, "verdict": NOT_COVERED, "rule": None, "rule_source": None, "reasons": [why], "warnings": [], "decision_id": None}]
    out = []
    for crs in on_route:
        try:
            out.append(_decide(line, bom, crs, explain, assume_origin, resolve, keep, on))
        except OriginrulesError as e:
            out.append({"line": line, "agreement": crs.agreement.code, "error": e.render()})
    return out


def covering(bom: Bom, on: dt.date | None = None) -> list[CompiledRuleset]:
    """The shipped agreements whose parties include the BOM's exporting and importing country,
    in force on the day (default: today)."""
    p = bom.product
    if not (p.exporting_country and p.importing_country) or p.exporting_country == p.importing_country:
        return []
    day = on or dt.date.today()
    return [
        crs for crs in on_route(p.exporting_country, p.importing_country)
        if p.exporting_country in crs.agreement.parties and p.importing_country in crs.agreement.parties
        and (crs.agreement.expires is None or day <= crs.agreement.expires) and (crs.agreement.in_force is None or crs.agreement.in_force <= day)
    ]


def _bom(line: int, source: str | Bom | OriginrulesError) -> Bom:
    if isinstance(source, OriginrulesError):
        raise source
    return loads(source, f"line {line}") if isinstance(source, str) else source


def records(path: str | Path, fmt: str | None = None) -> tuple[Iterator[tuple[int, str | Bom | OriginrulesError]], int | None]:
    """(line or row, the BOM's JSON text, or the BOM, or why it could not be read) for each BOM,
    and how many there are when that is cheap to know. JSON Lines are read as they are checked,
    so a catalogue need not fit in memory; a file that cannot be opened fails here, at once."""
    kind = input_format(path, fmt)
    if kind == "json":  # JSON Lines: one BOM per line
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise OriginrulesError(f"{path}: no such file") from None
        except OSError as e:
            raise OriginrulesError(f"{path}: cannot read: {e}") from None
        return _lines(f, str(path)), None
    rows = read_rows(path, kind)
    first_row: dict[str, int] = {}
    for n, cells in rows:
        first_row.setdefault(cells.get("bom_id", ""), n)
    boms = rows_to_boms(rows, str(path))
    return ((n, bom) for (_, n), bom in zip(first_row.items(), boms)), len(first_row)


def _lines(f: Any, path: str) -> Iterator[tuple[int, str | OriginrulesError]]:
    """Each line, decoded on its own: one bad line is an error record, not the end of the batch."""
    with f:
        for n, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, OriginrulesError(Problem(f"line {n} is not UTF-8 ({e.reason} at byte {e.start})", path, "BOM000"))
                continue
            if text.strip():
                yield n, text


class Summary:
    """Counts by verdict and by rule, as a batch goes."""

    def __init__(self) -> None:
        self.verdicts: Counter[str] = Counter()
        self.by_rule: dict[tuple[str, str], Counter[str]] = {}  # (agreement, rule key)
        self.by_agreement: dict[str, Counter[str]] = {}

    def add(self, record: dict[str, Any]) -> None:
        """Count a summary record (as `_work` makes them: `rule` is the rule's key)."""
        verdict = "error" if "error" in record else record["verdict"]
        self.verdicts[verdict] += 1
        agreement = record.get("agreement")
        if agreement is not None:
            self.by_agreement.setdefault(str(agreement), Counter())[verdict] += 1
        if record.get("rule") is not None:
            self.by_rule.setdefault((str(agreement or ""), str(record["rule"])), Counter())[verdict] += 1

    def merge(self, other: Summary) -> None:
        """Add another part of the batch's counts (a chunk counted in a worker)."""
        self.verdicts.update(other.verdicts)
        for mine, theirs in ((self.by_agreement, other.by_agreement), (self.by_rule, other.by_rule)):
            for key, counts in theirs.items():
                mine.setdefault(key, Counter()).update(counts)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        keys = ("originating", "not originating", "undetermined", NOT_COVERED, "error")
        several = len(self.by_agreement) > 1  # then a rule is named with its agreement

        def rule(key: tuple[str, str]) -> str:
            return f"{key[0]} {key[1]}" if several and key[0] else key[1]

        return {
            "total": sum(self.verdicts.values()),
            **{k: self.verdicts.get(k, 0) for k in keys},
            "by_agreement": {a: dict(sorted(c.items())) for a, c in sorted(self.by_agreement.items())},
            "by_rule": {rule(k): dict(sorted(c.items())) for k, c in sorted(self.by_rule.items(), key=lambda kv: rule(kv[0]))},
        }


_WORKER: dict[str, Any] = {}


def _init_worker(agreement: str | None, ruleset: str | None, explain: bool, assume_origin: bool, db: str | None = None, record: bool = False,
                 on: dt.date | None = None) -> None:
    _WORKER["crs"] = load_file(ruleset) if ruleset else find(agreement) if agreement else None
    _WORKER["opts"] = {"explain": explain, "assume_origin": assume_origin, "on": on}
    _WORKER["day"] = on or dt.date.today()  # declarations valid that day; the agreements in force that day
    _WORKER["db"], _WORKER["record"], _WORKER["store"] = db, record, None


def _store() -> Any:
    if _WORKER["store"] is None:  # opened in the worker, when a BOM first needs it
        from originrules.store import Store

        _WORKER["store"] = Store(_WORKER["db"], create=_WORKER["record"])
    return _WORKER["store"]


def _resolve(bom: Bom, agreement: str) -> tuple[Bom, tuple[str, ...]]:
    if not bom.suppliers:  # the common case: nothing to look up, and no database to load
        return bom, ()
    from originrules.store.declarations import needs_register

    if not needs_register(bom):
        return bom, ()
    resolved = _store().resolve(bom, agreement, _WORKER["day"])
    return resolved.bom, resolved.used


def _work(item: tuple[int, str | Bom | OriginrulesError]) -> tuple[list[tuple[dict[str, Any], str]], list[dict[str, Any]]]:
    """What the parent needs, per record: the summary fields (small, cheap to send between
    processes) and its JSON line, which the parent writes as it is; and, with --record, the
    rows to keep (the parent writes them, in transactions)."""
    _WORKER.setdefault("day", dt.date.today())
    pending: list[tuple[Decision, int, tuple[str, ...]]] = []
    keep = (lambda decision, line, used: pending.append((decision, line, used))) if _WORKER["record"] else None
    hooks = {"resolve": _resolve, "keep": keep}
    crs = _WORKER["crs"]
    records = [decide(item, crs, **_WORKER["opts"], **hooks)] if crs is not None else decide_on_route(item, **_WORKER["opts"], **hooks)
    out = []
    lines: dict[str, str] = {}
    for record in records:
        rule = record.get("rule")
        brief = {k: record[k] for k in ("line", "agreement", "verdict", "error", "reasons", "warnings", "decision_id", "hs_code", "rule_source") if k in record}
        brief["rule"] = rule.get("key") if isinstance(rule, dict) else rule
        if "product" in record:
            brief["hs_code"] = record["product"]["hs_code"]
            brief["rule_source"] = rule.get("source") if isinstance(rule, dict) else None
        text = dumps_line(record)
        if "decision_id" in record:
            lines[record["decision_id"]] = text
        out.append((brief, text))
    kept: list[dict[str, Any]] = []
    if pending:
        from originrules.store.rows import row

        source = item[1] if isinstance(item[1], str) else None  # the line as read: the record's input
        now = dt.datetime.now(dt.timezone.utc)
        for decision, line, used in pending:
            # the record keeps the summary line batch wrote (made again when --explain wrote the whole decision)
            output = record_line(line, decision) if _WORKER["opts"]["explain"] else lines[decision.decision_id]
            kept.append(row(decision, "batch", output, source, _WORKER["day"], used, now, line=line))
    return out, kept


CHUNK = 256  # BOMs a worker decides at a time: one message each way, one write in the parent


@attrs.frozen
class Chunk:
    """A run of consecutive BOMs, decided: what to write, its counts, the rows to keep."""

    text: str
    summary: Summary
    kept: list[dict[str, Any]]
    boms: int


def run(
    items: Iterable[tuple[int, str | Bom | OriginrulesError]],
    agreement: str | None,
    *,
    ruleset: str | None = None,
    jobs: int = 1,
    explain: bool = False,
    assume_origin: bool = False,
    db: str | None = None,
    record: bool = False,
    as_csv: bool = False,
    on: dt.date | None = None,
) -> Iterator[Chunk]:
    """The catalogue decided in chunks, in input order, using `jobs` processes. Without an
    agreement (and ruleset), each BOM is decided under every agreement covering its route. The
    workers write the text (JSON Lines, or CSV summary rows) and count: the parent only writes,
    so two jobs keep two cores busy."""
    args = (agreement, ruleset, explain, assume_origin, db, record, on)
    _init_worker(*args)  # fail early, in this process, on a bad agreement
    chunks = ((chunk, as_csv) for chunk in _chunked(items))
    if jobs <= 1:
        yield from (_work_chunk(c) for c in chunks)
        return
    with multiprocessing.get_context().Pool(jobs, _init_worker, args) as pool:
        yield from pool.imap(_work_chunk, chunks)


def _chunked(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _work_chunk(job: tuple[list[tuple[int, str | Bom | OriginrulesError]], bool]) -> Chunk:
    items, as_csv = job
    summary = Summary()
    buffer = io.StringIO()
    writer = csv.writer(buffer) if as_csv else None
    kept: list[dict[str, Any]] = []
    for item in items:
        records, rows = _work(item)
        for brief, line in records:
            summary.add(brief)
            if writer is not None:
                writer.writerow(summary_row(brief))
            else:
                buffer.write(line + "\n")
        kept.extend(rows)
    return Chunk(buffer.getvalue(), summary, kept, len(items))


def summary_row(record: dict[str, Any]) -> list[str]:
    """A summary record (as `_work` makes them) as a row of SUMMARY_COLUMNS, each cell safe to
    open in a spreadsheet."""
    return [_cell(c) for c in _row(record)]


def _cell(text: str) -> str:
    # a cell starting with = + - @ (or a tab / carriage return) is a formula to Excel and
    # LibreOffice: BOM text such as "=HYPERLINK(...)" is shown as text, quoted (OWASP's advice)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(record: dict[str, Any]) -> list[str]:
    agreement = record.get("agreement") or ""
    if "error" in record:
        return [str(record["line"]), agreement, "", "error", "", "", "", "", "", record["error"]]
    return [
        str(record["line"]), agreement, record["hs_code"], record["verdict"], record["rule"] or "", record["rule_source"] or "",
        "; ".join(record["reasons"]), "; ".join(record["warnings"]), record["decision_id"] or "", "",
    ]
