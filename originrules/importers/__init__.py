"""Annex texts and tables -> ruleset text (`originrules import ...`): translators with a grammar
of the legal phrasings, never a lookup table of whole sentences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from originrules.errors import OriginrulesError, Problem

MAX_DEPTH = 64  # nesting of JSON arrays and objects an importer reads (the tariff's data nests 4 deep)


def strict_json(path: Path, code: str) -> Any:
    """A JSON data file, read strictly: a key given twice in one object, nesting past MAX_DEPTH,
    or text that is not JSON is refused with the file named (never "the last key wins", never
    a RecursionError)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise OriginrulesError(Problem(f"cannot read: {e.strerror if isinstance(e, OSError) else 'not UTF-8 text'}", str(path), code)) from None
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise OriginrulesError(Problem(f"nested {depth} deep (at most {MAX_DEPTH}): not a data file of this kind", str(path), code))
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except _Duplicate as e:
        raise OriginrulesError(Problem(f"the key {e.args[0]!r} is given twice in one object: which one counts would be a guess", str(path), code)) from None
    except ValueError as e:
        raise OriginrulesError(Problem(f"not JSON: {e}", str(path), code)) from None


class _Duplicate(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k[:80])
        out[k] = v
    return out


def _depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings (counted before parsing, so that a hostile
    file cannot exhaust the parser's recursion)."""
    deepest = level = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            level += 1
            deepest = max(deepest, level)
        elif c in "]}":
            level -= 1
    return deepest
