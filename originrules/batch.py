"""Check a whole catalogue: one decision per BOM, in input order, errors as records.

The same pure function, `decide`, serves `originrules batch` (processes on one machine) and
`originrules.scale` (Dask, Spark): a record in, a JSON-ready record out.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from originrules.bom import Bom, loads
from originrules.compile import CompiledRuleset
from originrules.engine import check
from originrules.errors import OriginrulesError, Problem
from originrules.inputs import input_format, read_rows, rows_to_boms
from originrules.registry import find, load_file

SUMMARY_COLUMNS = ("line", "hs_code", "verdict", "rule", "rule_source", "reasons", "warnings", "decision_id", "error")


def decide(item: tuple[int, str | Bom | OriginrulesError], crs: CompiledRuleset, *, explain: bool = False, assume_origin: bool = False) -> dict[str, Any]:
    """(line, JSON text or BOM or its loading error) -> the decision record, or an error record."""
    line, source = item
    try:
        if isinstance(source, OriginrulesError):
            raise source
        bom = loads(source, f"line {line}") if isinstance(source, str) else source
        decision = check(bom, crs, explain=explain, assume_origin=assume_origin)
    except OriginrulesError as e:
        return {"line": line, "error": e.render()}
    if explain:
        return {"line": line, **decision.to_dict()}
    return {
        "line": line,
        "hs_code": bom.product.hs_code,
        "originating": decision.originating,
        "verdict": decision.verdict,
        "rule": decision.rule.key if decision.rule else None,
        "rule_source": decision.rule.source if decision.rule else None,
        "reasons": list(decision.reasons),
        "warnings": list(decision.warnings),
        "decision_id": decision.decision_id,
    }


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
        self.by_rule: dict[str, Counter[str]] = {}

    def add(self, record: dict[str, Any]) -> None:
        """Count a summary record (as `_work` makes them: `rule` is the rule's key)."""
        verdict = "error" if "error" in record else record["verdict"]
        self.verdicts[verdict] += 1
        if record.get("rule") is not None:
            self.by_rule.setdefault(str(record["rule"]), Counter())[verdict] += 1

    def to_dict(self) -> dict[str, Any]:
        keys = ("originating", "not originating", "undetermined", "error")
        return {
            "total": sum(self.verdicts.values()),
            **{k: self.verdicts.get(k, 0) for k in keys},
            "by_rule": {rule: dict(sorted(c.items())) for rule, c in sorted(self.by_rule.items())},
        }


_WORKER: dict[str, Any] = {}


def _init_worker(agreement: str, ruleset: str | None, explain: bool, assume_origin: bool) -> None:
    _WORKER["crs"] = load_file(ruleset) if ruleset else find(agreement)
    _WORKER["opts"] = {"explain": explain, "assume_origin": assume_origin}


def _work(item: tuple[int, str | Bom | OriginrulesError]) -> tuple[dict[str, Any], str]:
    """What the parent needs: the record's summary fields (small, cheap to send between
    processes) and its JSON line, which the parent writes as it is."""
    record = decide(item, _WORKER["crs"], **_WORKER["opts"])
    rule = record.get("rule")
    brief = {k: record[k] for k in ("line", "verdict", "error", "reasons", "warnings", "decision_id", "hs_code", "rule_source") if k in record}
    brief["rule"] = rule.get("key") if isinstance(rule, dict) else rule
    if "product" in record:
        brief["hs_code"] = record["product"]["hs_code"]
        brief["rule_source"] = rule.get("source") if isinstance(rule, dict) else None
    return brief, _dumps(record)


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def run(
    items: Iterable[tuple[int, str | Bom | OriginrulesError]],
    agreement: str,
    *,
    ruleset: str | None = None,
    jobs: int = 1,
    explain: bool = False,
    assume_origin: bool = False,
) -> Iterator[tuple[dict[str, Any], str]]:
    """(record, JSON line) per BOM, in input order, using `jobs` processes."""
    if jobs <= 1:
        _init_worker(agreement, ruleset, explain, assume_origin)
        yield from map(_work, items)
        return
    _init_worker(agreement, ruleset, explain, assume_origin)  # fail early, in this process, on a bad agreement
    with multiprocessing.get_context().Pool(jobs, _init_worker, (agreement, ruleset, explain, assume_origin)) as pool:
        yield from pool.imap(_work, items, chunksize=256)


def summary_row(record: dict[str, Any]) -> list[str]:
    """A summary record (as `_work` makes them) as a row of SUMMARY_COLUMNS, each cell safe to
    open in a spreadsheet."""
    return [_cell(c) for c in _row(record)]


def _cell(text: str) -> str:
    # a cell starting with = + - @ (or a tab / carriage return) is a formula to Excel and
    # LibreOffice: BOM text such as "=HYPERLINK(...)" is shown as text, quoted (OWASP's advice)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(record: dict[str, Any]) -> list[str]:
    if "error" in record:
        return [str(record["line"]), "", "error", "", "", "", "", "", record["error"]]
    return [
        str(record["line"]), record["hs_code"], record["verdict"], record["rule"] or "", record["rule_source"] or "",
        "; ".join(record["reasons"]), "; ".join(record["warnings"]), record["decision_id"], "",
    ]
