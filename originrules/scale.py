"""Beyond one machine: the same pure check mapped over a Dask bag or dataframe partitions.

    pip install 'originrules[dask]'

    import dask.bag as db
    import originrules.scale as ors
    bag = db.read_text("s3://bucket/catalogue-*.jsonl")          # one BOM per line
    decisions = ors.check_bag(bag, agreement="UK").compute()     # records, as `originrules batch`

Each record is decided by `originrules.batch.decide`, the function `originrules batch` uses, so
a cluster run and a local batch give the same records. Rulesets are loaded once per worker
process. docs/scale.md shows a cluster run and a PySpark recipe.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from originrules.batch import decide
from originrules.compile import CompiledRuleset
from originrules.registry import find


@functools.lru_cache(maxsize=16)
def _ruleset(agreement: str) -> CompiledRuleset:
    return find(agreement)  # once per worker process


def check_records(lines: Iterable[tuple[int, str] | str], agreement: str, *, explain: bool = False, assume_origin: bool = False) -> list[dict[str, Any]]:
    """Decide each BOM given as JSON text (or (line, JSON text)); numbering starts at 1."""
    crs = _ruleset(agreement)
    out = []
    for n, item in enumerate(lines, start=1):
        line, text = item if isinstance(item, tuple) else (n, item)
        out.append(decide((line, text), crs, explain=explain, assume_origin=assume_origin))
    return out


def check_bag(bag: Any, agreement: str, *, explain: bool = False, assume_origin: bool = False) -> Any:
    """A Dask bag of BOM JSON texts (or (line, text) pairs) -> a bag of decision records."""
    return bag.map_partitions(check_records, agreement, explain=explain, assume_origin=assume_origin)


def check_partition(frame: Any, agreement: str, column: str = "bom", line_column: str | None = None) -> Any:
    """A pandas DataFrame with a column of BOM JSON texts -> a DataFrame of decision records.

    For `dask.dataframe.map_partitions` or PySpark's `mapInPandas` (docs/scale.md).
    """
    import pandas as pd

    lines = frame[line_column] if line_column else range(1, len(frame) + 1)
    records = check_records(list(zip(lines, frame[column])), agreement)
    columns = ["line", "hs_code", "originating", "verdict", "rule", "rule_source", "decision_id", "error"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in records], columns=columns)
