"""Source text -> raw syntax tree. The Lark LALR parser is built once and cached."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import msgspec
import lark
from lark import Lark, Token, Transformer, v_args

from originrules import resources
from originrules.errors import Problem, RulesetError
from originrules.hs import CodeRange, CodeSet
from originrules.lang import ast
from originrules.lang.syntax_errors import SAMPLES, examples
from originrules.numbers import limit_message
from originrules.numbers import parse as parse_number

# Words for the tokens a rule writer may be told were expected; Lark's own names
# (RPAR, __ANON_3) mean nothing to a compliance officer.
_TOKEN_WORDS = {
    "NAME": "a name (such as CTH, WO, VA or a sub-rule)",
    "NUMBER": "an HS code or number",
    "PERCENT": "a percentage such as 40%",
    "DATE": "a date such as 2022-05-01",
    "STRING": 'a quoted text such as "Vehicles"',
    "COMP": "a comparison (>=, >, <=, <)",
    "LEVEL": "chapter, heading or subheading",
    "EX": "ex",
    "$END": "the end of the file",
}

MAX_NESTING = 100  # parentheses deeper than this are refused before parsing (docs/language.md)
MAX_SIZE = 5_000_000  # characters in one ruleset file


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    # Built in memory, once per process (about 0.1 s), and only when a ruleset is not in the
    # cache: never `cache=True`, which would load a pickle from the shared temp directory.
    return Lark(
        resources.grammar_text(),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _span(meta: Any) -> ast.Span:
    return ast.Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _unquote(token: Token) -> str:
    return str(token)[1:-1]


def _pct(tok: Token) -> Decimal:
    """A number or percentage as written, within the limits every input number keeps (numbers.py)."""
    number = parse_number(str(tok))
    if number is None:
        raise _TransformProblem(tok, limit_message(tok), "write a percentage or amount of ordinary size", "ORL106")
    return number


def _year(tok: Token) -> int:
    if "." in str(tok) or int(str(tok)) < 1:
        raise _TransformProblem(tok, f"{tok} is not an agreement year", "agreement years are 1, 2, 3, ...")
    return int(str(tok))


def _codes(low: Token, high: Token | None, where: Token) -> CodeRange:
    if "." in low or (high is not None and "." in high):
        raise _TransformProblem(where, f"{low if '.' in low else high!s} is not an HS code", "write codes as digits, e.g. 8407")
    hi = str(high) if high is not None else str(low)
    if len(low) != len(hi):
        raise _TransformProblem(where, f"range {low}-{hi} mixes levels", "both ends of a range need the same number of digits")
    if len(low) not in (2, 4, 6, 8, 10):
        raise _TransformProblem(
            where,
            f"{low} is not a chapter, heading or subheading",
            "use 2 digits for a chapter (04), 4 for a heading (8407), 6 for a subheading (871120)",
        )
    if str(low) > hi:
        raise _TransformProblem(where, f"range {low}-{hi} runs backwards", f"write {hi}-{low}")
    return CodeRange(str(low), hi)


class _TransformProblem(Exception):
    def __init__(self, token: Any, message: str, hint: str = "", code: str = "ORL103"):
        self.line = getattr(token, "line", None) or 0
        self.column = getattr(token, "column", None) or 0
        self.message, self.hint, self.code = message, hint, code


@v_args(inline=True)
class _Build(Transformer):  # type: ignore[type-arg]
    """Lark tree -> tuples of raw AST pieces. Header items become ("keyword", ...) tuples."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self._line_starts: list[int] | None = None
        # `codes` sets declared so far: Lark transforms the statements in file order, so a set is
        # known to every statement after its declaration (the header's ones to every rule)
        self.code_sets: dict[str, CodeSet] = {}

    # -- header
    def name_list(self, *names: Token) -> tuple[str, ...]:
        return tuple(str(n) for n in names)

    def annotation(self, *parts: tuple[str, str | None]) -> ast.Provenance:
        found = dict(parts)
        return ast.Provenance(found.get("source"), "inferred" in found, found.get("inferred"))

    def source(self, text: Token) -> tuple[str, str]:
        return ("source", _unquote(text))

    def inferred(self, note: Token | None = None) -> tuple[str, str | None]:
        return ("inferred", _unquote(note) if note is not None else None)

    def description(self, text: Token) -> tuple[str, str]:
        return ("description", _unquote(text))

    def subdivision(self, text: Token) -> tuple[str, str]:
        return ("subdivision", _unquote(text))

    def _header(kw: str):  # type: ignore[no-untyped-def]
        @v_args(meta=True)
        def build(self, meta, children):  # type: ignore[no-untyped-def]
            *values, prov = children
            # plain strings, not Lark tokens: the AST is cached (agreements.py) without Lark
            values = tuple(str(v) if isinstance(v, Token) else v for v in values)
            return ast.Param(kw, values, prov, _span(meta))

        return build

    aliases = _header("aliases")
    parties = _header("parties")
    in_force = _header("in_force")
    hs_edition = _header("hs_edition")
    cumulation = _header("cumulation")
    value_name = _header("value_name")
    basis = _header("basis")
    method = _header("method")
    de_minimis = _header("de_minimis")
    wo_de_minimis = _header("wo_de_minimis")
    insufficient = _header("insufficient_operations")
    proof = _header("proof")
    treat = _header("treat")

    def instrument(self, text: Token) -> tuple[str, str]:
        return ("instrument", _unquote(text))

    def dm_for(self, codes: CodeSet) -> tuple[str, CodeSet]:
        return ("for", codes)

    def dm_below(self) -> tuple[str, bool]:
        return ("below", True)

    def dm_within(self, name: Token) -> tuple[str, str]:
        return ("within", str(name))

    def dm_covering(self, name: Token) -> tuple[str, str]:
        return ("covering", str(name))

    def dm_except(self, codes: CodeSet) -> tuple[str, CodeSet]:
        return ("except", codes)

    @v_args(meta=True)
    def agreement(self, meta: Any, children: list[Any]) -> tuple[str, Any]:
        code, *rest = children
        name = _unquote(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        return ("agreement", (str(code), name, rest, _span(meta)))

    # -- arithmetic
    def quantity(self, name: Token) -> ast.Arith:
        return ast.Arith("name", name=str(name))

    def constant(self, number: Token) -> ast.Arith:
        return ast.Arith("const", constant=_pct(number))

    def add(self, a: ast.Arith, b: ast.Arith) -> ast.Arith:
        return ast.Arith("+", (a, b))

    def sub(self, a: ast.Arith, b: ast.Arith) -> ast.Arith:
        return ast.Arith("-", (a, b))

    def mul(self, a: ast.Arith, b: ast.Arith) -> ast.Arith:
        return ast.Arith("*", (a, b))

    def div(self, a: ast.Arith, b: ast.Arith) -> ast.Arith:
        return ast.Arith("/", (a, b))

    # -- thresholds and code sets
    def percent(self, tok: Token) -> ast.Threshold:
        return ast.Threshold(((1, _pct(tok)),))

    def param_ref(self, tok: Token) -> ast.Threshold:
        return ast.Threshold(((1, str(tok)),))

    def plus(self, a: ast.Threshold, b: ast.Threshold) -> ast.Threshold:
        return ast.Threshold(a.terms + b.terms)

    def minus(self, a: ast.Threshold, b: ast.Threshold) -> ast.Threshold:
        return ast.Threshold(a.terms + tuple((-s, t) for s, t in b.terms))

    def code_item(self, *toks: Token) -> CodeRange:
        level = None
        if toks and toks[0].type == "LEVEL":
            level, toks = toks[0], toks[1:]
        rng = _codes(toks[0], toks[1] if len(toks) > 1 else None, toks[0])
        if level is not None:
            want = {"chapter": 2, "heading": 4, "subheading": 6}[str(level).rstrip("s")]
            if rng.digits != want:
                raise _TransformProblem(
                    toks[0], f"{rng} is not a {str(level).rstrip('s')}", f"a {str(level).rstrip('s')} has {want} digits"
                )
        return rng

    def code_set(self, *items: CodeRange | CodeSet) -> CodeSet:
        ranges: list[CodeRange] = []
        for item in items:
            ranges.extend(item.ranges if isinstance(item, CodeSet) else (item,))
        named = [i for i in items if isinstance(i, CodeSet)]
        qualified = [i for i in named if i.qualifier is not None]
        if qualified and len(items) > 1:
            raise _TransformProblem(None, f"the qualified code set {qualified[0].written} must be used alone", "declare one set holding every code, with its `where`", "ORL107")
        return CodeSet(tuple(ranges), ", ".join(str(i) for i in items) if named else None, qualified[0].qualifier if qualified else None)

    def code_name(self, name: Token) -> CodeSet:
        found = self.code_sets.get(str(name))
        if found is None:
            known = ", ".join(sorted(self.code_sets)) or "none declared before this line"
            raise _TransformProblem(name, f"unknown code set {name}", f"declare it first: codes {name} = ...; known: {known}", "ORL107")
        return CodeSet(found.ranges, str(name), found.qualifier)

    def qualifier(self, name: Token, op: Token | None = None, number: Token | None = None) -> tuple[str, str, Decimal | None]:
        # `where worked_slate`: the material is so, by the BOM's `"worked_slate": true`
        return (str(name), str(op), _pct(number)) if op is not None and number is not None else (str(name), "is", None)

    @v_args(meta=True)
    def codes_def(self, meta: Any, children: list[Any]) -> tuple[str, ast.CodesDef]:
        name, codes, *rest = children
        prov = rest[-1]
        qualifier = rest[0] if len(rest) == 2 else None
        if str(name) in self.code_sets:
            raise _TransformProblem(name, f"code set {name} is declared twice", "keep one declaration", "ORL107")
        plain = CodeSet(codes.ranges, qualifier=qualifier)
        if qualifier is not None:
            codes = msgspec.structs.replace(codes, qualifier=qualifier)
        self.code_sets[str(name)] = plain
        return ("codes", ast.CodesDef(str(name), plain if codes.written is None else codes, prov, _span(meta)))

    # -- terms
    def string_arg(self, tok: Token) -> ast.Quoted:
        return ast.Quoted(_unquote(tok))

    def call_args(self, *args: Any) -> tuple[str, tuple[Any, ...]]:
        # a lone name (`build_down`, `fob`, a parameter `p`) arrives as a threshold; unwrap it
        return ("args", tuple(_lone_name(a) for a in args))

    def scope(self, codes: CodeSet) -> tuple[str, CodeSet]:
        return ("scope", codes)

    def comparison(self, op: Token, threshold: ast.Threshold) -> tuple[str, tuple[str, ast.Threshold]]:
        return ("comparison", (str(op), threshold))

    def exception(self, codes: CodeSet) -> tuple[str, CodeSet]:
        return ("exception", codes)

    def tolerance(self, codes: CodeSet | None = None) -> tuple[str, CodeSet | bool]:
        return ("tolerance", codes if codes is not None else True)

    def allowance(self, given: Token | CodeSet) -> tuple[str, Decimal | CodeSet]:
        return ("allowance", given if isinstance(given, CodeSet) else _pct(given))

    def until(self, day: Token) -> tuple[str, dt.date]:
        try:
            return ("until", parse_date(str(day)))
        except ValueError:
            raise _TransformProblem(day, f"{day} is not a date", "write a date such as 2023-12-31") from None

    @v_args(meta=True)
    def term(self, meta: Any, children: list[Any]) -> ast.Term:
        name, *rest = children
        parts: dict[str, Any] = {"args": None, "scope": None, "comparison": None, "exception": None, "tolerance": False}
        for part in rest:
            parts[part[0]] = part[1]
        return ast.Term(str(name), **parts, span=_span(meta))

    @v_args(meta=True)
    def dated(self, meta: Any, children: list[Any]) -> ast.Dated:
        expr, (_, until) = children
        return ast.Dated(expr, until, _span(meta))

    @v_args(meta=True)
    def untranslated(self, meta: Any, children: list[Any]) -> ast.Untranslated:
        return ast.Untranslated(_unquote(children[0]), _span(meta))

    @v_args(meta=True)
    def and_expr(self, meta: Any, items: list[Any]) -> ast.And:
        return ast.And(tuple(items), _span(meta))

    @v_args(meta=True)
    def or_expr(self, meta: Any, items: list[Any]) -> ast.Or:
        return ast.Or(tuple(items), _span(meta))

    # -- statements
    def params(self, *names: Token) -> tuple[str, ...]:
        return tuple(str(n) for n in names)

    @v_args(meta=True)
    def let_def(self, meta: Any, children: list[Any]) -> tuple[str, ast.LetDef]:
        name, *rest = children
        params: tuple[str, ...] = rest.pop(0) if isinstance(rest[0], tuple) and all(isinstance(p, str) for p in rest[0]) else ()
        body, prov = rest
        return ("let", ast.LetDef(str(name), params, body, self._body_text(body), prov, _span(meta)))

    def key(self, *toks: Token) -> ast.Key:
        ex = bool(toks) and toks[0].type == "EX"
        nums = toks[1:] if ex else toks
        return ast.Key(_codes(nums[0], nums[1] if len(nums) > 1 else None, nums[0]), ex)

    def rule_keys(self, *keys: ast.Key) -> tuple[ast.Key, ...]:
        return tuple(keys)

    def general_key(self) -> tuple[ast.Key, ...]:
        return ()

    @v_args(meta=True)
    def rule_def(self, meta: Any, children: list[Any]) -> tuple[str, ast.Rule]:
        keys, *rest = children
        named = dict(c for c in rest if isinstance(c, tuple) and len(c) == 2 and c[0] in ("description", "subdivision"))
        other = next((c for c in rest if isinstance(c, tuple) and len(c) == 3 and c[0] == "alternative"), None)
        body, prov = [c for c in rest if not (isinstance(c, tuple) and ((len(c) == 2 and c[0] in named) or c is other))]
        rule = ast.Rule(
            keys, named.get("description"), named.get("subdivision"), body, self._body_text(body), prov, _span(meta),
            alternative=other[1] if other else None, alternative_text=other[2] if other else None,
        )
        return ("rule", rule)

    def alternative(self, expr: Any) -> tuple[str, Any, str]:
        return ("alternative", expr, self._body_text(expr))

    def _body_text(self, body: Any) -> str:
        """The body as written, with parentheses around the whole of it, on one line."""
        if self._line_starts is None:
            self._line_starts = [0]
            for i, ch in enumerate(self.text):
                if ch == "\n":
                    self._line_starts.append(i + 1)
        span = body.span
        start = self._line_starts[span.line - 1] + span.column - 1
        end = self._line_starts[span.end_line - 1] + span.end_column - 1
        while True:  # parentheses around the whole body are not part of any node's span
            before = self.text[:start].rstrip()
            after = self.text[end:].lstrip()
            if before.endswith("(") and after.startswith(")"):
                start = len(before) - 1
                end = len(self.text) - len(after) + 1
            else:
                break
        lines = self.text[start:end].split("\n")
        return " ".join(line.split("#")[0].strip() for line in lines).strip()

    # -- tariff schedules: ("schedule", ...) and ("tariff_line", ...) statements
    exporters = _header("exporters")
    years = _header("years")
    category = _header("category")

    @v_args(meta=True)
    def schedule(self, meta: Any, children: list[Any]) -> tuple[str, Any]:
        code, importers, *rest = children
        name = _unquote(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        return ("schedule", (str(code), importers, name, rest, _span(meta)))

    def cond_compare(self, name: Token, op: Token, number: Token, unit: Token | None = None) -> ast.Condition:
        return ast.Condition(str(name), str(op), (str(number),), str(unit) if unit is not None else None)

    def cond_in(self, name: Token, values: tuple[str, ...]) -> ast.Condition:
        return ast.Condition(str(name), "in", values)

    def cond_is(self, name: Token, value: Token) -> ast.Condition:
        return ast.Condition(str(name), "is", (str(value),))

    def when(self, *conditions: ast.Condition) -> tuple[str, tuple[ast.Condition, ...]]:
        return ("when", conditions)

    def mfn(self, pct: Token, day: Token | None = None) -> tuple[str, tuple[Decimal, dt.date | None]]:
        return ("mfn", (_pct(pct), parse_date(str(day)) if day is not None else None))

    def excluded(self) -> tuple[str, bool]:
        return ("excluded", True)

    def preferential(self, path: ast.RatePath) -> tuple[str, ast.RatePath]:
        return ("preferential", path)

    def in_quota(self, path: ast.RatePath) -> tuple[str, ast.RatePath]:
        return ("in_quota", path)

    def out_quota(self, path: ast.RatePath) -> tuple[str, ast.RatePath]:
        return ("out_quota", path)

    def quota(self, unit: Token, *points: ast.QuotaPoint) -> tuple[str, tuple[str, tuple[ast.QuotaPoint, ...]]]:
        return ("quota", (str(unit), points))

    def quota_at(self, amount: Token, year: Token) -> ast.QuotaPoint:
        return ast.QuotaPoint("at", _pct(amount), _year(year))

    def quota_rising(self, amount: Token, year: Token) -> ast.QuotaPoint:
        return ast.QuotaPoint("rising", _pct(amount), _year(year))

    def quota_from(self, amount: Token, year: Token) -> ast.QuotaPoint:
        return ast.QuotaPoint("from", _pct(amount), _year(year))

    def rate_path(self, *segments: ast.Segment) -> ast.RatePath:
        return ast.RatePath(segments)

    def seg_immediate(self) -> ast.Segment:
        return ast.Segment("immediate")

    def seg_mfn(self) -> ast.Segment:
        return ast.Segment("mfn")

    def seg_flat(self, pct: Token, year: Token | None = None) -> ast.Segment:
        return ast.Segment("flat", start=_year(year) if year is not None else 1, rate=_pct(pct))

    def seg_linear(self, *toks: Token) -> ast.Segment:
        *rates, a, b = toks
        start, end = _year(a), _year(b)
        if end < start:
            raise _TransformProblem(a, f"years {start}-{end} run backwards", f"write years {end}-{start}")
        return ast.Segment("linear", start=start, end=end, rate=_pct(rates[-1]), from_rate=_pct(rates[0]) if len(rates) == 2 else None)

    def seg_reduce(self, pct: Token, a: Token, b: Token) -> ast.Segment:
        return ast.Segment("reduce", start=_year(a), end=_year(b), by=_pct(pct))

    def seg_category(self, name: Token) -> ast.Segment:
        return ast.Segment("category", category=str(name))

    @v_args(meta=True)
    def tariff_line(self, meta: Any, children: list[Any]) -> tuple[str, ast.TariffLine]:
        keys, *rest = children
        parts: dict[str, Any] = dict(c for c in rest if isinstance(c, tuple))
        prov = next(c for c in rest if isinstance(c, ast.Provenance))
        unit, points = parts.get("quota", (None, ()))
        mfn, mfn_date = parts.get("mfn", (None, None))
        line = ast.TariffLine(
            keys, parts.get("when", ()), parts.get("description"), mfn, mfn_date, parts.get("excluded", False),
            parts.get("preferential"), parts.get("in_quota"), parts.get("out_quota"), unit, points, prov, _span(meta),
        )
        return ("tariff_line", line)

    def start(self, *statements: Any) -> list[Any]:
        return list(statements)


def _lone_name(arg: Any) -> Any:
    if isinstance(arg, ast.Threshold) and len(arg.terms) == 1 and isinstance(arg.terms[0][1], str) and arg.terms[0][0] == 1:
        return arg.terms[0][1]
    return arg


def _expected_words(expected: set[str]) -> str:
    terminals = {t.name: t for t in _lark().terminals}
    words = []
    for name in sorted(expected):
        if name in _TOKEN_WORDS:
            words.append(_TOKEN_WORDS[name])
        elif name in terminals and terminals[name].pattern.type == "str":
            words.append(repr(terminals[name].pattern.value))
        else:
            words.append(name.lower())
    words = sorted(set(words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


EXCERPT_WIDTH = 100  # characters of a long line shown around the column


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> list[str]:
    return text.splitlines() or [""]  # once per text: a file with thousands of problems is split once


def excerpt(text: str, line: int, column: int) -> str:
    """The line with a caret under the column; of a long line (a rule of 50,000 arms), only
    the part around the column."""
    lines = _lines(text)
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = max(column - 1, 0)
    if len(src) > EXCERPT_WIDTH:
        start = max(0, min(caret - EXCERPT_WIDTH // 2, len(src) - EXCERPT_WIDTH))
        shown = src[start : start + EXCERPT_WIDTH]
        src = ("..." if start else "") + shown + ("..." if start + EXCERPT_WIDTH < len(lines[line - 1]) else "")
        caret = caret - start + (3 if start else 0)
    return f"  {line:>4} | {src}\n       | {' ' * caret}^"


def parse(text: str, filename: str = "<string>") -> list[tuple[str, Any]]:
    """Parse ruleset text into ("agreement"|"let"|"rule", node) statements, or raise RulesetError."""
    if len(text) > MAX_SIZE:
        raise RulesetError(Problem(f"the ruleset is {len(text):,} characters; the limit is {MAX_SIZE:,}", filename, "ORL105"))
    depth = max_depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        max_depth = max(max_depth, depth)
    if max_depth > MAX_NESTING:
        raise RulesetError(Problem(f"parentheses nested {max_depth} deep; the limit is {MAX_NESTING}", filename, "ORL104"))
    try:
        tree = _lark().parse(text)
        return _Build(text).transform(tree)  # type: ignore[no-any-return]
    except lark.exceptions.UnexpectedInput as e:
        raise RulesetError(_syntax_problem(e, text, filename)) from None
    except lark.exceptions.VisitError as e:
        inner = e.orig_exc
        if isinstance(inner, _TransformProblem):
            raise RulesetError(
                Problem(inner.message, f"{filename}:{inner.line}:{inner.column}", inner.code, inner.hint, excerpt(text, inner.line, inner.column))
            ) from None
        raise
    except RecursionError:
        raise RulesetError(Problem("rule nested too deeply to read", filename, "ORL104")) from None


def _syntax_problem(e: lark.exceptions.UnexpectedInput, text: str, filename: str) -> Problem:
    """A syntax error in words: the sample it resembles (syntax_errors.py), else what was expected."""
    line, col = (e.line, e.column) if getattr(e, "line", -1) not in (None, -1) else _end(text)
    if isinstance(e, lark.exceptions.UnexpectedCharacters):
        got = repr(text[e.pos_in_stream]) if e.pos_in_stream < len(text) else "the end of the file"
        found = f"unexpected character {got}"
        if got == '\'"\'':
            found += " (a text is not closed on its line)"
    else:
        token = getattr(e, "token", None)
        found = "unexpected end of the file" if token is None or token.type == "$END" else f"unexpected {str(token)!r}"
    code = _matching_sample(e)
    if code is not None:
        message, hint, _ = SAMPLES[code]
        return Problem(f"{found}: {message}", f"{filename}:{line}:{col}", code, hint, excerpt(text, line, col))
    expected = getattr(e, "expected", None) or getattr(e, "allowed", None)
    tail = f"; expected {_expected_words(set(expected))}" if expected else ""
    return Problem(found + tail, f"{filename}:{line}:{col}", "ORL101" if isinstance(e, lark.exceptions.UnexpectedCharacters) else "ORL102", excerpt=excerpt(text, line, col))


def _matching_sample(e: lark.exceptions.UnexpectedInput) -> str | None:
    try:
        return e.match_examples(_lark().parse, examples(), use_accepts=True)  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a failed match only loses the nicer message
        return None


def _end(text: str) -> tuple[int, int]:
    lines = text.splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
