"""A whole rule-set file of the UK Online Trade Tariff into a ruleset and its import report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs

from originrules.errors import OriginrulesError, Problem
from originrules.importers import strict_json
from originrules.importers.uk_tariff.header import _bases, agreement_id, _explicit_ex_works, _header, _scheme_info
from originrules.importers.uk_tariff.materials import DESCRIBED, MATERIALS, STAGES
from originrules.importers.uk_tariff.prose import ANY_OTHER, _preparse, _quote, _subdivision_name, groups, key_of, normalise, prose, translate_rule_set
from originrules.importers.uk_tariff.report import _shape_problems
from originrules.safetext import one_line


# ---------------------------------------------------------------- a whole rule-set file


@attrs.frozen
class Imported:
    text: str  # the ruleset
    report: dict[str, Any]  # rule_sets, translated, untranslated: [{heading, subdivision, prose, reason}]


_SCHEME_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.IGNORECASE | re.ASCII)

def _overlapping(rule_sets: list[dict[str, Any]]) -> dict[int, str]:
    """The rule sets whose key overlaps another's at the same level ("ex 3917" beside
    "3916-3921 ▸ Other"), each with a distinct subdivision name a BOM can choose by."""
    keyed = sorted(((k, rs) for rs in rule_sets if (k := key_of(rs))), key=lambda x: (x[0][0], x[0][1]))
    marked: list[dict[str, Any]] = []
    for i, ((d1, lo1, hi1), rs1) in enumerate(keyed):
        for (d2, lo2, hi2), rs2 in keyed[i + 1 :]:
            if d2 != d1 or lo2 > hi1:
                break
            marked.extend(r for r in (rs1, rs2) if not any(r is m for m in marked))
    names: dict[int, str] = {}
    used: set[str] = set()
    for rs in marked:
        heading = str(rs.get("heading") or "")
        name = " ".join(str(rs.get("subdivision") or heading).split()) or heading
        if name in used:
            name = f"{heading}: {name}"
        n = 2
        base = name
        while name in used:
            name, n = f"{base} ({n})", n + 1
        used.add(name)
        names[id(rs)] = name
    return names

def import_uk_tariff(path: str | Path) -> Imported:
    """Read a rule-set file of the UK Online Trade Tariff and write the ruleset (see the module docstring)."""
    p = Path(path)
    data = strict_json(p, "IMP002")
    if not _SCHEME_CODE.fullmatch(p.stem):
        # the file's name becomes the agreement's code (UK-<name>) in the ruleset
        raise OriginrulesError(Problem(f"the file's name {one_line(p.stem)[:80]!r} is not a scheme code (letters, digits, - and _)", str(path), "IMP002", "name the file rule_sets/<scheme>.json"))
    rule_sets = data.get("rule_sets") if isinstance(data, dict) else None
    if not isinstance(rule_sets, list):
        raise OriginrulesError(Problem("not a UK Trade Tariff rule-set file: no list at rule_sets", f"{path}: rule_sets", "IMP002", "the file is rule_sets/<scheme>.json of the trade-tariff-backend"))
    problems = [Problem(f"not a UK Trade Tariff rule set: {why}", f"{path}: {where}", "IMP002") for where, why in _shape_problems(rule_sets)]
    if problems:
        raise OriginrulesError(problems[:20])
    # a rule set the source lists twice, word for word, is imported once (twice, it would be two
    # rules for one code, which the ruleset's own lint refuses)
    unique = list({json.dumps(rs, sort_keys=True): rs for rs in rule_sets}.values())
    repeated = len(rule_sets) - len(unique)
    rule_sets = unique
    code = p.stem
    info = _scheme_info(p, code)
    articles = p.parent.parent / "articles" / code
    _preparse(rule_sets)
    cache: dict[tuple[str, str | None, bool], Any] = {}
    translated: list[tuple[dict[str, Any], str | None, str | None, str]] = []  # (rule set, subdivision, body, why)
    stages: set[str] = set()
    for rs in rule_sets:
        for described, entries in groups(rs):
            body, used, why = translate_rule_set(rs, cache, None if described is None else entries)
            stages |= used
            first = next((e for e in entries if normalise(e)[1] == described), None) if described != ANY_OTHER else None
            translated.append((rs, None if described is None else _subdivision_name(first, rs), body, why))
    not_found: list[str] = []
    if not info:
        not_found.append(f"scheme metadata: no entry '{code}' in a roo_schemes_uk.json beside or above the file: the ruleset names GB alone as party, no cumulation partner and no dates in force")
    if not articles.is_dir():
        not_found.append(f"articles: no folder articles/{code} beside the rule sets: no provision read from them")
    header = _header(code, info, articles, rule_sets, not_found)
    out = [header]
    named = {name: (codes, meaning) for name, codes, meaning in MATERIALS.values()}
    for name in sorted(stages):
        if " = " in name:  # a qualified set the rule's own words define: "NAME = CODES where ... | words"
            definition, words = name.split(" | ", 1)
            said = definition.split(" = ")[0]
            note = (f"the attribute's name is the importer's: a BOM says \"{said}\": true on each material that is {words} (for 'manufacture from', also at an earlier stage of it)"
                    if definition.endswith(f" where {said}") else "the attribute's name is the importer's; a BOM gives it in the material's attributes")
            if words in DESCRIBED:  # named within a code: why that code
                note += f"; the code is the importer's reading of the HS: {DESCRIBED[words][2]}"
            out.append(f"codes {definition}\n    source {_quote(f'{code} PSR: {words}')}\n    inferred {_quote(note)}")
            continue
        if name in named:
            codes, meaning = named[name]
            out.append(f"codes {name} = {codes}\n    source {_quote(meaning)}\n    inferred \"the material's codes are the importer's reading of the HS, not a list in the scheme\"")
            continue
        codes, meaning = STAGES[name]
        out.append(f"codes {name} = {codes}\n    source {_quote('HS 2022 nomenclature; the introductory notes on textiles: ' + meaning)}\n    inferred \"the stage's headings are the importer's reading of the HS, not a list in the scheme\"")
    named_rows = _overlapping(rule_sets)
    two_bases = _bases(rule_sets) == "ex_works, fob"
    untranslated = []
    skipped = []
    chapter = None
    for rs, described, body, why in translated:
        k = key_of(rs)
        text = prose(rs)
        heading = str(rs.get("heading") or "")
        if k is None:
            if not any(s["min"] == rs.get("min") and s["max"] == rs.get("max") and s["heading"] == heading for s in skipped):
                skipped.append({"heading": heading, "min": rs.get("min"), "max": rs.get("max"), "reason": "the code range is not a whole chapter, heading or subheading range"})
            continue
        _, low, high = k
        if low[:2] != chapter:
            chapter = low[:2]
            out.append(f"\n# ---- Chapter {chapter}")
        key = low if low == high else f"{low}-{high}"
        if (heading.startswith("ex ") or described) and low == high:
            key = f"ex {key}"
        subdivision = str(rs.get("subdivision") or "")
        name = ": ".join(n for n in (named_rows.get(id(rs)), described) if n)
        named = f" subdivision {_quote(name)}" if name else ""
        cite = f"{code} PSR {heading}"
        if (body is None or why) and not any(u["_id"] == id(rs) for u in untranslated):
            mine = [t for t in translated if t[0] is rs]  # a rule set written as several rules is reported once
            partly = any(b is not None for _, _, b, _ in mine)
            reason = "; ".join(w for _, _, _, w in mine if w)
            untranslated.append({"_id": id(rs), "heading": heading, "subdivision": subdivision, "prose": text, "reason": reason, "partly": partly})
        if body is None:
            body = f"untranslated {_quote(text)}"  # the prose is quoted there; the citation names the row
        else:
            cite += f": {text}"
            if two_bases:
                body = _explicit_ex_works(body)
        out.append(f"{key}{named}:\n    {body}\n    source {_quote(cite)}")
    for u in untranslated:
        del u["_id"]
        if not u["partly"]:
            del u["partly"]
    ruleset = "\n".join(out) + "\n"
    from originrules.lang.format import format_text

    ruleset = format_text(ruleset, f"{agreement_id(code).lower()}.roo")
    report = {
        "scheme": code,
        "agreement": agreement_id(code),
        "rule_sets": len(rule_sets),
        "translated": len(rule_sets) - len(untranslated) - len(skipped),
        "partly_translated": sum(1 for u in untranslated if u.get("partly")),
        "untranslated": untranslated,
        "skipped": skipped,
        "not_found": not_found,
        "listed_twice": repeated,
    }
    return Imported(ruleset, report)
