"""Find and load ruleset files: the shipped ones by agreement code or alias (case-insensitively),
or any file by path. Compiling is the compiler's (originrules/compile)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from originrules import resources
from originrules.compile import CompiledRuleset, compile_ruleset
from originrules.errors import Problem, RulesetError, UnknownAgreement
from originrules.lang import ast


def load_file(path: str | Path, cite_as: str | None = None) -> CompiledRuleset:
    """Load, check and compile one `.roo` file. `cite_as` is the name used in citations."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesetError(Problem(f"cannot read ruleset: {e}", str(path), "ORL100")) from None
    return compile_ruleset(_parsed(text, cite_as or str(path)))


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

_HEADER = re.compile(r"^\s*agreement\s+(\w+)", re.M)
_ALIASES = re.compile(r"^\s*aliases\s+([\w ,]+?)\s*(?:source|inferred|#|$)", re.M)


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Code -> (file, aliases) of every shipped ruleset, read from the headers without parsing."""
    out = {}
    for path in sorted(resources.rulesets_dir().glob("*.roo")):
        head = path.read_text(encoding="utf-8")[:20_000]
        code = _HEADER.search(head)
        if code:
            aliases = _ALIASES.search(head[code.end():])
            names = tuple(a.strip() for a in aliases.group(1).split(",")) if aliases else ()
            out[code.group(1)] = (path, names)
    return out


@functools.cache
def _load_shipped(code: str) -> CompiledRuleset:
    path, _ = _catalogue()[code]
    crs = load_file(path, f"rulesets/{path.name}")
    if crs.agreement.code != code:  # pragma: no cover - the header scan and the parser disagree
        raise RulesetError(Problem(f"header scan read {code}, the parser {crs.agreement.code}", str(path), "ORL100"))
    return crs


def shipped() -> dict[str, CompiledRuleset]:
    """Every shipped ruleset, by agreement code."""
    return {code: _load_shipped(code) for code in _catalogue()}


def find(name: str) -> CompiledRuleset:
    """The ruleset whose code or alias is `name`, case-insensitively. Only that file is read."""
    wanted = name.strip().upper()
    for code, (_, aliases) in _catalogue().items():
        if wanted == code.upper() or wanted in (a.upper() for a in aliases):
            crs = _load_shipped(code)
            if wanted == crs.agreement.code.upper() or wanted in (a.upper() for a in crs.agreement.aliases):
                return crs
    known = ", ".join(code + (f" ({', '.join(aliases)})" if aliases else "") for code, (_, aliases) in _catalogue().items())
    raise UnknownAgreement(Problem(f"unknown agreement {name!r}; known: {known}", code="CLI001"))
