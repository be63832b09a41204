"""Find and load ruleset files: the shipped ones by agreement code or alias (case-insensitively),
or any file by path. Compiling is the compiler's (originrules/compile)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import msgspec

from originrules import resources
from originrules.compile import CompiledRuleset, compile_ruleset
from originrules.errors import Problem, RulesetError, UnknownAgreement
from originrules.lang import ast


def load_file(path: str | Path, cite_as: str | None = None) -> CompiledRuleset:
    """Load, check and compile one `.roo` file (or an overlay that `extends` a shipped ruleset).
    `cite_as` is the name used in citations."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesetError(Problem(f"cannot read ruleset: {e}", str(path), "ORL100")) from None
    if extends(text):
        return compile_ruleset(overlay(text, cite_as or str(path))[0])
    return compile_ruleset(_parsed(text, cite_as or str(path)))


# ---------------------------------------------------------------- overlays
# A small file that begins `extends UAE` adds or replaces rules, sub-rules and header lines of a
# shipped ruleset, without copying it. It is read with the base text in front of it (so names
# resolve against the base's header), then each of its rules is cited at its own file and line.

_EXTENDS = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*extends[ \t]+([\w-]+)[ \t]*(?:#[^\n]*)?$", re.MULTILINE)


def extends(text: str) -> str | None:
    """The agreement an overlay extends, if the text is one."""
    m = _EXTENDS.match(text)
    return m.group(1) if m else None


def overlay(text: str, cite_as: str) -> tuple[ast.Ruleset, list[Problem]]:
    """The shipped ruleset with the overlay applied, and a note for everything it overrides."""
    from originrules.lang.parser import parse
    from originrules.lang.resolve import resolve

    name = extends(text) or ""
    base = find(name)  # an unknown agreement is CLI001, with the known ones listed
    base_path, _ = _catalogue()[base.agreement.code]
    base_text = base_path.read_text(encoding="utf-8")
    base_cite = base.ruleset.path
    m = _EXTENDS.match(text)
    own = text[: m.start(1)].replace("extends", "#xtends", 1) + " " * len(m.group(1)) + text[m.end(1):]  # type: ignore[union-attr]
    combined = base_text + "\n" + own
    offset = base_text.count("\n") + 1  # lines of the base before the overlay's first

    def where(line: int) -> str:
        return f"{cite_as}:{line - offset}" if line > offset else f"{base_cite}:{line}"

    statements = parse(combined, cite_as)
    mine = [s for s in statements if _line(s) > offset]
    theirs = [s for s in statements if _line(s) <= offset]
    notes: list[Problem] = []
    replaced_rules = {s[1].key_text: s for s in mine if s[0] == "rule"}
    replaced_lets = {s[1].name: s for s in mine if s[0] == "let"}
    header = next((s for s in mine if s[0] == "agreement"), None)
    merged = []
    for s in theirs:
        if s[0] == "rule" and s[1].key_text in replaced_rules:
            notes.append(_note(where(replaced_rules[s[1].key_text][1].span.line), f"rule {s[1].key_text} overrides {where(s[1].span.line)}"))
            continue
        if s[0] == "let" and s[1].name in replaced_lets:
            notes.append(_note(where(replaced_lets[s[1].name][1].span.line), f"sub-rule {s[1].name} overrides {where(s[1].span.line)}"))
            continue
        if s[0] == "agreement" and header is not None:
            code, title, items, span = s[1]
            new_items = header[1][2]
            keywords = {i.keyword for i in new_items if isinstance(i, ast.Param)}
            for i in items:
                if isinstance(i, ast.Param) and i.keyword in keywords:
                    notes.append(_note(where(next(n.span.line for n in new_items if isinstance(n, ast.Param) and n.keyword == i.keyword)), f"header {i.keyword} overrides {where(i.span.line)}"))
            kept = [i for i in items if not (isinstance(i, ast.Param) and i.keyword in keywords)]
            s = ("agreement", (code, header[1][1] or title, kept + list(new_items), span))
        merged.append(s)
    merged += [s for s in mine if s[0] != "agreement"]
    ruleset, problems = resolve(merged, combined, cite_as)
    problems = [_relocate(p, offset, cite_as, base_cite) for p in problems]
    if ruleset is None:
        raise RulesetError(problems)
    rules = tuple(
        ast.replace(r, span=ast.replace(r.span, line=r.span.line - offset, end_line=r.span.end_line - offset), file=cite_as) if r.span.line > offset else ast.replace(r, file=base_cite)
        for r in ruleset.rules
    )
    return ast.replace(ruleset, rules=rules), notes


def _line(statement: tuple[str, Any]) -> int:
    value = statement[1]
    return value[3].line if statement[0] == "agreement" else value.span.line


def _note(where: str, message: str) -> Problem:
    return Problem(message, where, "ORL270", severity="note")


def _relocate(p: Problem, offset: int, cite_as: str, base_cite: str) -> Problem:
    """A problem's file:line in the file it is in."""
    parts = p.where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit():
        line = int(parts[1])
        where = f"{cite_as}:{line - offset}:{parts[2]}" if line > offset else f"{base_cite}:{line}:{parts[2]}"
        return msgspec.structs.replace(p, where=where)
    return p


def _parsed(text: str, cite_as: str) -> ast.Ruleset:
    """The checked AST of a ruleset text, through the cache (lang/cache.py: plain JSON, no pickle)."""
    from originrules import __version__
    from originrules.lang import cache

    def parse() -> ast.Ruleset:
        from originrules.lang.resolve import load_text  # the parser (and Lark) only on a miss

        return load_text(text, cite_as)

    ruleset = cache.cached((__version__, resources.grammar_text(), cite_as, text), parse)
    if not isinstance(ruleset, ast.Ruleset):  # a sound entry of another shape: parse afresh
        ruleset = parse()
    return ruleset


# ---------------------------------------------------------------- finding agreements

_HEADER = re.compile(r"^\s*agreement\s+([\w-]+)", re.MULTILINE)
_ALIASES = re.compile(r"^\s*aliases\s+([\w ,]+?)\s*(?:source|inferred|#|$)", re.MULTILINE)
_PARTIES = re.compile(r"^\s*parties\s+([A-Z]{2}(?:\s*,\s*[A-Z]{2})*)", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def _scan() -> dict[str, tuple[Path, tuple[str, ...], frozenset[str]]]:
    """Code -> (file, aliases, parties) of every shipped ruleset, read from the headers (the first
    8 KB of each file) without parsing."""
    out = {}
    for path in sorted(resources.rulesets_dir().glob("*.roo")):
        with path.open("rb") as f:  # the header only: a scheme's whole file is up to 1 MB
            head = f.read(8192).decode("utf-8", "ignore")
        if "\n}" not in head:  # a header longer than that: read on
            head = path.read_text(encoding="utf-8")
        code = _HEADER.search(head)
        if code:
            aliases = _ALIASES.search(head[code.end():])
            parties = _PARTIES.search(head)
            out[code.group(1)] = (
                path,
                tuple(a.strip() for a in aliases.group(1).split(",")) if aliases else (),
                frozenset(p.strip() for p in parties.group(1).split(",")) if parties else frozenset(),
            )
    return out


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Code -> (file, aliases) of every shipped ruleset."""
    return {code: (path, aliases) for code, (path, aliases, _) in _scan().items()}


def _load_shipped(code: str) -> CompiledRuleset:
    path, _ = _catalogue()[code]
    crs = _load_named(path.name)
    if crs.agreement.code != code:  # pragma: no cover - the header scan and the parser disagree
        raise RulesetError(Problem(f"header scan read {code}, the parser {crs.agreement.code}", str(path), "ORL100"))
    return crs


@functools.cache
def _load_named(name: str) -> CompiledRuleset:
    """A shipped ruleset by its file name, loaded once per process."""
    return load_file(resources.rulesets_dir() / name, f"rulesets/{name}")


def _named(ruleset: CompiledRuleset, wanted: str) -> bool:
    return wanted == ruleset.agreement.code.upper() or wanted in (a.upper() for a in ruleset.agreement.aliases)


def _indexed(wanted: str) -> CompiledRuleset | None:
    """The ruleset rulesets/index.json lists under the code or alias `wanted`, if its file, once
    loaded, says so itself; None if the index names none (or is missing, or out of date), and the
    headers decide. One check then reads one file, not the headers of all 43."""
    try:
        names = [
            str(e["ruleset"]).removeprefix("rulesets/")
            for e in _index()
            if wanted == str(e["code"]).upper() or wanted in (str(a).upper() for a in e["aliases"])
        ]
    except (KeyError, TypeError):
        return None
    if len(names) != 1 or "/" in names[0] or not names[0].endswith(".roo") or not (resources.rulesets_dir() / names[0]).is_file():
        return None
    crs = _load_named(names[0])
    return crs if _named(crs, wanted) else None


def shipped() -> dict[str, CompiledRuleset]:
    """Every shipped ruleset, by agreement code."""
    return {code: _load_shipped(code) for code in _catalogue()}


def codes(party: str | None = None) -> list[str]:
    """The shipped agreement codes, read from the headers: no ruleset is loaded. With `party`, only
    the agreements that country is a party to."""
    return sorted(code for code, (_, _, parties) in _scan().items() if party is None or party.upper() in parties)


def ruleset_text(cited: str) -> str:
    """The text of a ruleset as decisions cite it: shipped (rulesets/NAME) or a file."""
    path = resources.rulesets_dir() / cited.removeprefix("rulesets/") if cited.startswith("rulesets/") else Path(cited)
    return path.read_text(encoding="utf-8")


INDEX = "index.json"  # rulesets/index.json: `agreements` lists from it (tools/ruleset_index.py writes it)


def _index() -> list[Any]:
    """The entries of rulesets/index.json, as written; none if it is missing or not an index
    (callers check each entry against the file it names)."""
    import json

    try:
        index = json.loads((resources.rulesets_dir() / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = index.get("agreements") if isinstance(index, dict) else None
    return entries if isinstance(entries, list) else []


def summary(crs: CompiledRuleset) -> dict[str, Any]:
    """What `agreements` lists of one ruleset."""
    ag = crs.agreement
    return {
        "code": ag.code,
        "aliases": list(ag.aliases),
        "name": ag.name,
        "parties": list(ag.parties),
        "in_force": ag.in_force.isoformat() if ag.in_force else None,
        "rules": len(crs.rules),
        "translated": sum(r.translated for r in crs.ruleset.rules),
        "source": ag.instrument,
        "ruleset": crs.ruleset.path,
        "inferred": sum(p.provenance.inferred for p in ag.params) + sum(r.provenance.inferred for r in crs.ruleset.rules),
    }


def listing() -> list[dict[str, Any]]:
    """Every shipped agreement as `agreements` lists it, from the index beside the rulesets: each
    entry is taken only if its file's SHA-256 is the one indexed; a ruleset changed since (or not
    in the index) is loaded and summarised afresh. Loading all 43 takes seconds; the index, a
    few milliseconds."""
    import hashlib

    try:
        entries = {e["code"]: e for e in _index()}
    except (KeyError, TypeError):
        entries = {}
    out = []
    for code, (path, _) in _catalogue().items():
        entry = entries.get(code)
        if not (isinstance(entry, dict) and entry.get("sha256") == hashlib.sha256(path.read_bytes()).hexdigest()):
            entry = {**summary(_load_shipped(code)), "sha256": None}
        out.append({k: v for k, v in entry.items() if k != "sha256"})
    return out


def parties() -> list[str]:
    """Every country some shipped agreement names as a party, from the headers."""
    return sorted({p for _, _, named in _scan().values() for p in named})


def on_route(exporter: str, importer: str) -> list[CompiledRuleset]:
    """The shipped rulesets whose parties include both countries. Only those files are read (the
    parties are scanned from the headers; a header the scan cannot read is loaded to be sure)."""
    return [_load_shipped(code) for code, (_, _, parties) in _scan().items() if not parties or {exporter, importer} <= parties]


def find(name: str) -> CompiledRuleset:
    """The ruleset whose code or alias is `name`, case-insensitively. Only that file is read."""
    wanted = name.strip().upper()
    found = _indexed(wanted)
    if found is not None:
        return found
    for code, (_, aliases) in _catalogue().items():
        if wanted == code.upper() or wanted in (a.upper() for a in aliases):
            crs = _load_shipped(code)
            if _named(crs, wanted):
                return crs
    known = ", ".join(code + (f" ({', '.join(aliases)})" if aliases else "") for code, (_, aliases) in _catalogue().items())
    names = [n for code, (_, aliases) in _catalogue().items() for n in (code, *aliases)]
    import difflib  # only here: a did-you-mean or a diff, never on a normal run

    close = difflib.get_close_matches(wanted, names, n=1)
    hint = f"did you mean {close[0]}?" if close else ""
    raise UnknownAgreement(Problem(f"unknown agreement {name!r}; known: {known}", code="CLI001", hint=hint))
