"""Reading one rule set's prose: markup cleaned, phrasings made one (`normalise`), each entry
parsed by the grammar of the legal phrasings (prose.lark) and written by `writer`; entries that
differ only in their numbers share one parse, made on every core."""

from __future__ import annotations

import functools
import html
import os
import re
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, VisitError
from lark.tree import Meta

from originrules.safetext import one_line
from originrules.importers.uk_tariff.report import NeedsRange, Untranslatable, _in_words
from originrules.importers.uk_tariff.writer import _Write


# ---------------------------------------------------------------- reading the prose


def clean(text: str) -> str:
    """Prose without markup: '<abbr ...>CTH</abbr>' -> 'CTH', '[heading&nbsp;2009](/headings/2009)' -> 'heading 2009'."""
    text = re.sub(r"<abbr[^>]*>(.*?)</abbr>", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text).replace("\xa0", " ").replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


_SUBSTITUTIONS = [
    (r"[\u2010\u2011\u2012\u2013\u2014]", "-"),
    (r"\bex-\s+works?\b", "ex-works"),  # Kenya's "ex- work price"
    (r"\bmaterials from any heading\b", "materials of any heading"),
    (r"\bsub- heading", "subheading"),  # Kenya: a line break in the source
    (r"\s*\(see note [\d.]+ in part \d+ of this schedule\)", ""),  # DCTS: "sugar (see Note 2.2 in Part 1 of this Schedule)"
    (r", and in which the value of", ", in which the value of"),  # Singapore, Kenya: "except that of the product, and in which the value ..."
    # Mexico: "manufacture in which all the materials used are classified within a heading other than
    # that of the product, except for materials of heading 9033" is CTH except 9033
    (r"^manufacture in which all the materials used are classified within a (heading|subheading) other than that of the product,? except (?:for )?materials of ((?:sub)?heading \d+)",
     r"manufacture from materials of any \1, except that of the product and of \2"),
    (r"except that of the product and except materials of ", "except that of the product and of "),
    (r"^all fish and crustaceans, molluscs and other aquatic invertebrates (?:are|must be) wholly obtained\.?$", "all goods must be wholly obtained"),
    (r",? or\.?$", ""),  # Kenya: "except that of the product or." (the alternative's words lost)
    (r"[\u2018\u2019]", "'"),
    (r"\*(and|or)\*", r"\1"),
    (r"\s*per\s?cent\b|\s*percent\b", "%"),
    (r"\bthe (?:final |finished )?(?:good|goods|products|product)\b", "the product"),
    (r"\bof the weight of final product\b", "of the weight of the product"),  # Singapore: "the" lost
    (r",? taken together,", ""),  # "their value, taken together, does not exceed": a limit on the materials together is what a value limit on them is
    (r"\bwithin the above limit, the value of the materials classified within\b", "within the above limit, the materials classified within"),  # Cameroon 8430: "the value of ... are only used up to a value"
    (r"^manufacturing in which\b", "manufacture in which"),
    (r"\bex-work price\b", "ex-works price"),  # Singapore
    (r"^calcinations or grinding\b", "calcination or grinding"),  # Cameroon ex 2530: one process, its noun in the plural
    (r"\bhowever, non-originating materials of the same\b", "however, materials of the same"),
    (r"^(cc|cth|ctsh), however,", r"\1 however,"),  # EU 290545: non-originating is what "may be used" allows
    # Canada 1509-1510: "all the olive oils of heading 1509 or heading 1510 are wholly obtained": the materials of those headings
    (r"^production in which all the olive oils of ((?:heading \d+ or )?heading \d+) are wholly obtained", r"manufacture in which all the materials of \1 used are wholly obtained"),
    ((r"\b(cc|cth|ctsh): all non-originating materials used in the production of the product have undergone a change in "
      r"tariff classification at the \d-digit level \((?:tariff )?(?:chapter|heading|subheading)\)"), r"\1"),
    (r"\(\s*such as [^)]*\)", ""),
    (r"\(\s*(?:including|e\.g\.) [^)]*\)", ""),
    # a pointer to the introductory notes' textile tolerances, which the header carries
    (r"\.? for special conditions relating to products made of a mixture of textile materials(?:,? see introductory note \d+)?", ""),
    (r"\.? for the special conditions relating to '?specific process(?:es|\(es\))'?,? see introductory notes? [\d.]+(?: and [\d.]+)*", ""),
    (r"\.? see (?:also )?introductory notes? \d+[^.]*", ""),
    (r"^other operations than those referred to (?:in column|above)", "other operations"),
    # Iceland-Norway ex 7102: "Manufacture of materials of any subheading except that of the product",
    # the list's "from" written "of" (it was read as the name of a process)
    (r"^manufacture of materials of any\b", "manufacture from materials of any"),
    # "non- originating", "non- modified": a line break's hyphen
    (r"\bnon- (?=[a-z])", "non-"),
    (r"\bun embroidered\b", "unembroidered"),  # SACUM 6213-6214: "the value of the un embroidered fabric used"
    (r"\b(non-[a-z]+)/(non-[a-z]+)\b", r"\1 or \2"),  # "the non-twisted/non-textured yarns"
    (r"of the value of the ex-works price", "of the ex-works price"),
    (r"\bex works\b", "ex-works"),
    (r"\s*\(for special conditions relating to (?:products|goods) made of a mixture of textile materials[^)]*\)", ""),
    # "- A, and / or - B", "A and / or manufacture from B": either or both, which is "or" (not inside a
    # process's words, "refining and / or one or more specific processes", which name the process)
    (r" and ?/ ?or (?=- |manufacture\b)", " or "),
    # Cameroon's pointer to the list an arm comes from ("in accordance with Appendix 2A of the Origin
    # Reference Document"): Appendix 2 and 2A are alternatives (sufficiently-worked.md, paragraph 1)
    (r",? (?:in accordance with|according to) appendix 2a of the origin reference document", ""),
    # integrated circuits: "the operation of diffusion, in which integrated circuits are formed ... by the
    # selective introduction of an appropriate dopant, whether or not assembled and / or tested in a
    # country other than those specified in article 3": the process is diffusion (the rest defines it and
    # lets assembly and testing happen elsewhere, which the process test does not ask about)
    (r"^(?:the operation of|non-originating materials (?:used )?undergo an?) (diffusion)\b.*$", r"\1"),
    # quotation marks around a word ("from 'worked' carving materials"): the word is read; an
    # apostrophe between letters ("the product's") stays
    (r"(?<![a-z])'|'(?![a-z])|\"", ""),
    (r"\b(\d{4})\.(\d{2})\.(\d{2})\b", r"\1\2\3"),
    (r"\b(\d{4})\.(\d{2})\b(?!\s*%)", r"\1\2"),
    (r"\b(\d{2})\.(\d{2})\b(?!\s*%)", r"\1\2"),
    (r"\s+", " "),
]
_SUBS = [(re.compile(a), b) for a, b in _SUBSTITUTIONS]

# "a change to <what> from ...": the target is the rule set's own code range, unless it names a
# narrower description of goods (CPTPP's species lists), which a BOM cannot be checked against
_TARGET = re.compile(r"^a change to (?P<target>.+?) (?=from (?:any|within)\b)")
_NO_CHANGE_FOR = re.compile(r"^no change in tariff classification (?:is )?required for (?P<target>.+?)(?=,? provided\b|$)")
_PLAIN_TARGET = re.compile(r"^(?:(?:a |any )?goods? of |any other good of )?(?:(?:sub)?headings?|chapters?) [\d ,\-]+(?:(?:to|through|and|or) (?:(?:sub)?headings? )?[\d]+)*$")


# "a change to any other good of subheading 820590 from ...", "for any other product of subheading
# 071290, production in which ...": the goods of the range other than those the rule set describes
ANY_OTHER = "any other"
_ANY_OTHER = re.compile(r"^(?:any other (?:good|product)s?\b|any other\b)")
_FOR_ANY_OTHER = re.compile(r"^for (?P<target>any other (?:good|product)s? of [^,]+), ")


def _described(target: str) -> str | None:
    """The description a target names: None for the rule set's own codes, ANY_OTHER for the rest."""
    target = target.strip(" ,")
    if _ANY_OTHER.match(target):
        return ANY_OTHER
    return None if _PLAIN_TARGET.match(target) else target


def normalise(text: str) -> tuple[str, str | None]:
    """(the entry as the grammar reads it, the goods it is limited to: None for every good of the
    rule set's codes, a description, or ANY_OTHER for the goods no other entry describes)."""
    t = clean(text).lower()
    for pattern, repl in _SUBS:
        t = pattern.sub(repl, t)
    t = t.strip().rstrip(".,; ").strip()
    described = None
    m = _FOR_ANY_OTHER.match(t)
    if m:  # Canada's "for any other product of subheading 071290, production in which ..."
        described, t = ANY_OTHER, t[m.end():]
    m = _NO_CHANGE_FOR.match(t)
    if m:  # "no change in tariff classification required for a good of heading 8473, provided ..."
        described = _described(m.group("target"))
        t = "no change in tariff classification required" + t[m.end():]
    m = _TARGET.match(t)
    if m:
        described = _described(m.group("target"))
        t = "a change " + t[m.end():]
    return t, described


@functools.lru_cache(maxsize=1)
def _grammar() -> Lark:
    return Lark(
        (Path(__file__).resolve().parent / "prose.lark").read_text(encoding="utf-8"),
        parser="earley", lexer="basic", ambiguity="resolve", propagate_positions=True,
    )

_DIGITS = re.compile(r"\d")
_TREES: dict[str, Tree | Untranslatable] = {}


def _parse(normal: str) -> Tree:
    """The entry's parse tree. Entries that differ only in their numbers (most of CPTPP's 2,100
    texts) share one parse: the text is parsed with every digit as 1, which keeps every token
    where it was, and each number token then takes back its own digits."""
    template = _DIGITS.sub("1", normal)
    tree = _TREES.get(template)
    if tree is None:
        too_long = _too_long(template)
        try:
            if too_long:
                raise Untranslatable(too_long)
            tree = _grammar().parse(template)
        except LarkError as e:
            tree = Untranslatable(str(e).split("\n")[0])
        except Untranslatable as e:
            tree = e
        if len(_TREES) < 100_000:
            _TREES[template] = tree
    if isinstance(tree, Untranslatable):
        raise _in_words(tree, normal)
    return _restore(tree, normal)

_POSITIONS = ("start_pos", "end_pos", "line", "column", "end_line", "end_column")


MAX_ENTRY = 4_000  # characters of one entry the grammar reads (the longest in the UK's data: 1,273)
MAX_ARMS = 60  # "or"s in one entry (the most in the UK's data: 10)


def _too_long(template: str) -> str | None:
    """Why an entry is not given to the Earley parser, whose time and memory grow steeply with
    the length of a text and its alternatives (a hostile entry of 4,000 'or' arms: 50 s, 1.1 GB)."""
    if len(template) > MAX_ENTRY:
        return f"the text is {len(template):,} characters long; the importer reads entries of at most {MAX_ENTRY:,}"
    arms = len(re.findall(r"\bor\b", template))
    if arms > MAX_ARMS:
        return f"the text has {arms:,} 'or's; the importer reads entries of at most {MAX_ARMS}"
    return None


def _parse_template(template: str) -> tuple[Any, ...] | str:
    """A worker's parse, as plain tuples: Lark's own pickling drops the positions the writer reads."""
    if why := _too_long(template):
        return why
    try:
        return _pack(_grammar().parse(template))
    except LarkError as e:
        return str(e).split("\n")[0]


def _pack(node: Any) -> tuple[Any, ...]:
    if isinstance(node, Token):
        return ("token", node.type, str(node), *(getattr(node, a, None) for a in _POSITIONS))
    meta = None if node.meta.empty else tuple(getattr(node.meta, a, None) for a in _POSITIONS)
    return ("tree", node.data, meta, [_pack(c) for c in node.children])


def _unpack(packed: tuple[Any, ...]) -> Any:
    if packed[0] == "token":
        _, type_, value, *positions = packed
        return Token(type_, value, **dict(zip(_POSITIONS, positions)))
    _, data, positions, children = packed
    meta = None
    if positions is not None:
        meta = Meta()
        meta.empty = False
        for a, v in zip(_POSITIONS, positions):
            setattr(meta, a, v)
    return Tree(data, [_unpack(c) for c in children], meta)


def _preparse(rule_sets: list[dict[str, Any]]) -> None:
    """Parse a scheme's distinct entries on every core before translating: the Earley parse is
    nearly all of an import's time (CPTPP: 137 distinct templates at ~70 ms each). The trees come
    back from our own worker processes, not from a file."""
    templates = sorted({_DIGITS.sub("1", normalise(e)[0]) for rs in rule_sets for e in _entries(rs)} - _TREES.keys())
    if _workers() < 2 or len(templates) < 40:  # a few parses are quicker than starting workers (each builds the grammar, ~1 s)
        return
    try:
        parsed = list(_pool().map(_parse_template, templates, chunksize=8))
    except (OSError, NotImplementedError, BrokenExecutor):  # no worker processes here (a locked-down sandbox): one core it is
        return
    for template, tree in zip(templates, parsed):
        _TREES[template] = _unpack(tree) if isinstance(tree, tuple) else Untranslatable(tree)


def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


@functools.lru_cache(maxsize=1)
def _pool() -> ProcessPoolExecutor:
    # one pool for the process: its workers keep their grammar from one scheme to the next
    # (tools/uk_schemes.py imports 36); concurrent.futures shuts it down at exit
    return ProcessPoolExecutor(_workers())


def _restore(tree: Tree, text: str) -> Tree:
    children: list[Any] = []
    for c in tree.children:
        if isinstance(c, Tree):
            children.append(_restore(c, text))
        elif isinstance(c, Token) and c.start_pos is not None and _DIGITS.search(c):
            children.append(Token.new_borrow_pos(c.type, text[c.start_pos : c.end_pos], c))
        else:
            children.append(c)
    return Tree(tree.data, children, tree.meta if not tree.meta.empty else None)


def translate_entry(text: str, own: str | None = None, described_ok: bool = False, span: tuple[str, str] | None = None) -> tuple[str, set[str]]:
    """One entry's prose in the rule language, and the stages it uses; Untranslatable if not.
    `own`: the rule set's code when it is a single one (what "the same heading as the product" is);
    `described_ok`: the entry's description of goods is its rule's subdivision (see `groups`);
    `span`: the rule set's codes, for the few readings that need them (NeedsRange says so)."""
    normal, described = normalise(text)
    if described is not None and not described_ok:
        raise Untranslatable(f"limited to a description of goods: {described}")
    tree = _parse(normal)
    writer = _Write(own, normal, span)
    try:
        out = writer.transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, Untranslatable):
            raise e.orig_exc from None
        raise
    return out, writer.stages

_TEN_DIGITS = re.compile(r"[0-9]{10}")


def key_of(rule_set: dict[str, Any]) -> tuple[int, str, str] | None:
    """(digits, low, high): the 10-digit min/max range as a chapter, heading or subheading range."""
    low, high = str(rule_set.get("min", "")), str(rule_set.get("max", ""))
    if not (_TEN_DIGITS.fullmatch(low) and _TEN_DIGITS.fullmatch(high)):  # ASCII digits: str.isdigit takes '٣' too
        return None
    for digits in (2, 4, 6, 8, 10):
        if set(low[digits:]) <= {"0"} and set(high[digits:]) <= {"9"}:
            return digits, low[:digits], high[:digits]
    return None


def _entries(rule_set: dict[str, Any]) -> list[str]:
    """The rule set's entries, a continuation ("- b) 40% under the build-down method") joined to the entry it continues."""
    out: list[str] = []
    for r in rule_set.get("rules") or ():
        text = clean(str(r.get("rule", "")))
        if re.match(r"-\s*[b-h]\)", text) and out:
            out[-1] += " " + text
        elif text:
            out.append(text)
    return out


def prose(rule_set: dict[str, Any]) -> str:
    return " || ".join(_entries(rule_set))


def groups(rule_set: dict[str, Any]) -> list[tuple[str | None, list[str]]]:
    """The rule set's entries by the goods they are for, each group one rule.

    [(None, entries)] when every entry is for every good of the code range. When some are limited to
    a description ("a change to anvils, portable forges ... of subheading 820590 from any other
    chapter"), each description is a subdivision of its own with its entries and those for every
    good, and "any other good of subheading 820590" one more: a BOM chooses by product.subdivision,
    and no entry for other goods is ever applied to described ones."""
    entries = _entries(rule_set)
    marked = [(normalise(e)[1], e) for e in entries]
    if all(d is None for d, _ in marked):
        return [(None, entries)]
    names = [*dict.fromkeys(d for d, _ in marked if d not in (None, ANY_OTHER)), ANY_OTHER]
    out = [(name, [e for d, e in marked if d in (name, None)]) for name in names]
    return [(name, found) for name, found in out if found]


# the goods an entry is for, as its prose writes them (the subdivision's name)
_GOODS = re.compile(r"^(?:a change to (.+?) (?=from (?:any|within)\b)|no change in tariff classification (?:is )?required for (.+?)(?=,? provided\b|$))", re.IGNORECASE)


def _subdivision_name(entry: str | None, rule_set: dict[str, Any]) -> str:
    """The name a BOM chooses a described rule by: the goods as the entry's prose writes them
    (None: any other good of the rule set's codes)."""
    m = _GOODS.match(clean(entry).rstrip(".")) if entry else None
    if m is None:
        key = key_of(rule_set)
        level = {2: "chapter", 4: "heading"}.get(len(key[1]) if key else 0, "subheading")
        return f"Any other good of {level} {key[1] if key else rule_set.get('heading')}"
    goods = (m.group(1) or m.group(2)).strip(" ,")
    return goods[:1].upper() + goods[1:]


def translate_rule_set(rule_set: dict[str, Any], cache: dict[tuple[str, str | None, bool], Any] | None = None,
                       entries: list[str] | None = None) -> tuple[str | None, set[str], str]:
    """(the rule body, the stages it uses, why not all of it is translated) for one rule set.

    Its entries are alternatives, each translated by the grammar. An entry the grammar cannot
    read becomes an `untranslated` arm beside the others: a product that meets a translated arm
    originates whatever the untranslated one says, and one that meets none is undetermined,
    never refused on an arm nobody has read. None if no entry can be read."""
    cache = {} if cache is None else cache
    key = key_of(rule_set)
    own = key[1] if key and key[1] == key[2] else None
    bodies, stages, why = [], set(), []
    for entry in _entries(rule_set) if entries is None else entries:
        k: tuple[Any, ...] = (entry, own, entries is not None)
        if k not in cache:
            try:
                cache[k] = translate_entry(entry, own, described_ok=entries is not None)
            except Untranslatable as e:
                cache[k] = e
        if isinstance(cache[k], NeedsRange) and key is not None:  # read again knowing the rule set's codes
            k = (*k, key[1], key[2])
            if k not in cache:
                try:
                    cache[k] = translate_entry(entry, own, described_ok=entries is not None, span=(key[1], key[2]))
                except Untranslatable as e:
                    cache[k] = e
        found = cache[k]
        if isinstance(found, Untranslatable):
            bodies.append(f"untranslated {_quote(entry)}")
            why.append(str(found))
            continue
        bodies.append(found[0])
        stages |= found[1]
    if not bodies:
        return None, set(), "no rule text"
    if len(why) == len(bodies):
        return None, set(), why[0]
    return " or ".join(bodies), stages, "; ".join(why)


def _quote(text: str) -> str:
    """A text from the data as a .roo string: one line, no quote, no backslash, every control
    or bidi character written as a visible escape (a newline would end a comment and write rules)."""
    return '"' + one_line(text.replace('"', "'").replace("\\", "/")) + '"'
