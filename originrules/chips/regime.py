"""A regime file (rulesets/*.regime, grammar/regime.lark) as data: the regime's dates and units,
its countries' groups, its limits and its steps in order; and the chips file beside it."""

from __future__ import annotations

import csv
import io
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import attrs
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, UnexpectedInput

from originrules import resources
from originrules.errors import OriginrulesError, Problem


@attrs.frozen
class Sourced:
    """A figure and where it comes from: `inferred` says what is not confirmed (None: it is)."""

    value: Any
    source: str | None
    inferred: str | None
    line: int


@attrs.frozen
class Step:
    name: str
    condition: Any  # a tuple tree: ("and", a, b), ("in", field, group), ("within", fields, limit), ...
    verdict: str  # no_licence | licence
    authorization: str  # LPP, AIA, presumption_of_denial, licence_required ...
    draws: str | None  # the limit whose allowance it uses
    cite: str | None
    source: str | None
    inferred: str | None
    line: int


@attrs.frozen
class Chip:
    model: str
    eccn: str
    tpp: int
    basis: str
    source: str
    inferred: str | None


@attrs.frozen
class Regime:
    code: str
    name: str
    path: str  # as cited: rulesets/us-ai-diffusion-2025.regime
    dates: dict[str, Sourced]
    units: dict[str, Sourced]
    controlled: Sourced  # a tuple of ECCNs
    caveats: tuple[str, ...]
    groups: dict[str, Sourced]  # name -> frozenset of countries
    limits: dict[str, Sourced]  # name -> its allowance in TPP
    per: dict[str, tuple[str, ...]]  # limit -> what it is per ("consignee", "calendar_year")
    steps: tuple[Step, ...]
    chips: dict[str, Chip]  # by model, case-insensitively (upper)
    sha256: str  # of `text`
    text: str  # the regime file and its chips' table, as one text (what a record keeps)

    def inferred_count(self) -> int:
        figures = [*self.dates.values(), *self.units.values(), self.controlled, *self.groups.values(), *self.limits.values()]
        return sum(f.inferred is not None for f in figures) + sum(s.inferred is not None for s in self.steps) + sum(c.inferred is not None for c in self.chips.values())


def _unquote(tok: Token) -> str:
    return str(tok)[1:-1]


@v_args(inline=True)
class _Build(Transformer):  # type: ignore[type-arg]
    def annotation(self, *parts: tuple[str, str | None]) -> dict[str, str | None]:
        return dict(parts)

    def source(self, text: Token) -> tuple[str, str]:
        return ("source", _unquote(text))

    def inferred(self, text: Token | None = None) -> tuple[str, str]:
        return ("inferred", _unquote(text) if text is not None else "")

    def member(self, field: Token, group: Token) -> tuple[Any, ...]:
        return ("in", str(field), str(group))

    def within(self, fields: list[str], op: Token, limit: Token) -> tuple[Any, ...]:
        return ("within", tuple(fields), str(op), str(limit))

    def equals(self, field: Token, op: Token, value: Token) -> tuple[Any, ...]:
        return ("=" if str(op) == "=" else "!=", str(field), str(value))

    def sum(self, *fields: Token) -> list[str]:
        return [str(f) for f in fields]

    def negated(self, inner: Any) -> tuple[Any, ...]:
        return ("not", inner)

    def conjunction(self, *parts: Any) -> tuple[Any, ...]:
        return ("and", *parts)

    def disjunction(self, *parts: Any) -> tuple[Any, ...]:
        return ("or", *parts)

    def is_controlled(self) -> tuple[Any, ...]:
        return ("controlled",)

    def always(self) -> tuple[Any, ...]:
        return ("otherwise",)


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (resources.grammar_path().parent / "regime.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True)


def regime_path(name: str) -> Path:
    """A shipped regime by its name (us-ai-diffusion-2025), or a file."""
    path = Path(name)
    if path.suffix == ".regime" and path.is_file():
        return path
    shipped = resources.rulesets_dir() / f"{name.lower()}.regime"
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in resources.rulesets_dir().glob("*.regime")))
    raise OriginrulesError(Problem(f"no regime {name[:60]!r} (shipped: {known})", code="CHP001"))


CHIPS_MARK = "\n# ---- chips (the .csv beside the regime file)\n"


@functools.lru_cache(maxsize=8)
def load(name: str = "us-ai-diffusion-2025") -> Regime:
    """A shipped regime (or a .regime file) and the chips file beside it, checked."""
    path = regime_path(name)
    cite = f"rulesets/{path.name}" if path.parent == resources.rulesets_dir() else str(path)
    chips = path.with_name(path.stem + "-chips.csv")
    try:
        chips_text = chips.read_text(encoding="utf-8")
    except OSError:
        raise OriginrulesError(Problem("no chips file beside the regime", str(chips), "CHP003")) from None
    return load_text(path.read_text(encoding="utf-8") + CHIPS_MARK + chips_text, cite)


def load_text(text: str, cite: str) -> Regime:
    """A regime from its text with its chips' table after CHIPS_MARK (as a record keeps them:
    one text, one hash), checked: every figure with a source, every name it uses defined."""
    import hashlib

    regime_text, _, chips_text = text.partition(CHIPS_MARK)
    try:
        tree = _parser().parse(regime_text)
    except UnexpectedInput as e:
        raise OriginrulesError(Problem(f"cannot read: {str(e).splitlines()[0]}", f"{cite}:{e.line}:{e.column}", "CHP002")) from None
    except LarkError as e:  # pragma: no cover - any other parse failure
        raise OriginrulesError(Problem(f"cannot read: {e}", cite, "CHP002")) from None
    problems: list[Problem] = []
    regime, *statements = tree.children
    code, title, *items = regime.children
    dates, units, caveats, controlled = {}, {}, [], None
    build = _Build()
    for item in items:
        ann = _annotation(build, item)
        line = item.meta.line
        if item.data == "dated":
            dates[str(item.children[0])] = Sourced(dt.date.fromisoformat(str(item.children[1])), ann.get("source"), ann.get("inferred"), line)
        elif item.data == "unit":
            units[str(item.children[0])] = Sourced(int(item.children[1]), ann.get("source"), ann.get("inferred"), line)
        elif item.data == "controlled":
            controlled = Sourced(tuple(str(c) for c in item.children if isinstance(c, Token)), ann.get("source"), ann.get("inferred"), line)
        elif item.data == "caveat":
            caveats.append(_unquote(item.children[0]))
    groups, limits, per, steps = {}, {}, {}, []
    for st in statements:
        ann = _annotation(build, st)
        line = st.meta.line
        if st.data == "countries":
            name_, *countries = [c for c in st.children if isinstance(c, Token)]
            groups[str(name_)] = Sourced(frozenset(str(c) for c in countries), ann.get("source"), ann.get("inferred"), line)
        elif st.data == "limit":
            name_, amount, *pers = [c for c in st.children if isinstance(c, Token)]
            limits[str(name_)] = Sourced(int(amount), ann.get("source"), ann.get("inferred"), line)
            per[str(name_)] = tuple(str(p) for p in pers)
        elif st.data == "step":
            label, condition, outcome = st.children[0], build.transform(st.children[1]) if isinstance(st.children[1], Tree) else st.children[1], st.children[2]
            verdict, auth, *rest = outcome.children
            draws = next((str(r) for r in rest if isinstance(r, Token) and r.type == "NAME"), None)
            cite_ = next((_unquote(r) for r in rest if isinstance(r, Token) and r.type == "STRING"), None)
            steps.append(Step(_unquote(label), condition, str(verdict), str(auth), draws, cite_, ann.get("source"), ann.get("inferred"), line))
    where = lambda line: f"{cite}:{line}"  # noqa: E731
    for kind, figures in (("date", dates), ("unit", units), ("countries", groups), ("limit", limits)):
        for key, f in figures.items():
            if not f.source:
                problems.append(Problem(f"{kind} {key} has no source: every figure carries one (or is marked inferred with why)", where(f.line), "CHP003"))
    for s in steps:
        for used in _names(s.condition):
            if used[0] == "group" and used[1] not in groups:
                problems.append(Problem(f"step {s.name!r}: no countries {used[1]!r}", where(s.line), "CHP004"))
            if used[0] == "limit" and used[1] not in limits:
                problems.append(Problem(f"step {s.name!r}: no limit {used[1]!r}", where(s.line), "CHP004"))
        if s.draws and s.draws not in limits:
            problems.append(Problem(f"step {s.name!r} draws on no limit {s.draws!r}", where(s.line), "CHP004"))
        if not (s.cite or s.source):
            problems.append(Problem(f"step {s.name!r} cites nothing", where(s.line), "CHP003"))
    if not steps or steps[-1].condition != ("otherwise",):
        problems.append(Problem("the last step must be `when otherwise`: every order gets an answer", cite, "CHP004"))
    if controlled is None or not units:
        problems.append(Problem("the regime names no controlled ECCNs or no display unit", cite, "CHP004"))
    chips = _chips(chips_text, cite.rsplit(".", 1)[0] + "-chips.csv", problems)
    if problems:
        raise OriginrulesError(problems)
    return Regime(str(code), _unquote(title), cite, dates, units, controlled, tuple(caveats), groups, limits, per, tuple(steps), chips,  # type: ignore[arg-type]
                  hashlib.sha256(text.encode("utf-8")).hexdigest(), text)


def _annotation(build: _Build, node: Tree) -> dict[str, str | None]:
    found = next((c for c in node.children if isinstance(c, Tree) and c.data == "annotation"), None)
    return build.transform(found) if found is not None else {}


def _names(condition: Any) -> list[tuple[str, str]]:
    if not isinstance(condition, tuple):
        return []
    head = condition[0]
    if head == "in":
        return [("group", condition[2])]
    if head == "within":
        return [("limit", condition[3])]
    return [n for part in condition[1:] for n in _names(part)]


def _chips(text: str, cite: str, problems: list[Problem]) -> dict[str, Chip]:
    out: dict[str, Chip] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            chip = Chip(row["model"].strip(), row["eccn"].strip(), int(row["tpp"]), row["basis"].strip(), row["source"].strip(), (row.get("inferred") or "").strip() or None)
        except (KeyError, ValueError, AttributeError, TypeError):
            problems.append(Problem("expected model, eccn, tpp (a whole number), basis, source, inferred", f"{cite}:{n}", "CHP003"))
            continue
        if not chip.source:
            problems.append(Problem(f"chip {chip.model}: no source", f"{cite}:{n}", "CHP003"))
        out[chip.model.upper()] = chip
    if not out:
        problems.append(Problem("no chips", cite, "CHP003"))
    return out
