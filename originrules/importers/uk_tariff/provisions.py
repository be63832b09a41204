"""The provisions around a UK scheme's product rules, read from its articles: the general
tolerance (de minimis) of `tolerances.md` or `sufficiently-worked.md`, in the many ways the
schemes word it.

    (a) their total value does not exceed 10 per cent of the ex-works price of the product;
    (a) 15 % of the weight of the product for products falling within Chapters 2 and 4 to 24 ...
    (b) 15 % of the ex-works price of the product for other products, except for products
        falling within Chapters 50 to 63 ...
    in the case of goods in Chapters 1 through 24 and 50 through 63: (i) the total weight ...
    10 per cent of the ex-works or free on board price ... This paragraph shall not apply to
    products falling within Chapters 50 to 63.

Each finding keeps the article's words it rests on; what the language cannot say (processed
fishery products within chapter 16, a rate that differs by exporting party) is said in an
`inferred` note; an article read and no tolerance found is said too (the import prints it).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import attrs

ARTICLES = ("tolerances.md", "sufficiently-worked.md")


@attrs.frozen
class Tolerance:
    percent: str  # "10", "7.5"
    of: str  # "basis" (value) or "net_weight"
    for_chapters: str | None  # "chapter 02, chapters 04-24": the line applies to these products only
    except_chapters: str | None  # "chapters 50-63": not to these
    within: bool  # "shall not allow exceeding any of the percentages of the list": `within VNM`
    article: str  # the file it is read from
    words: str  # the article's words it rests on
    note: str | None = None  # what the line does not say of those words (written as `inferred`)
    covers_wo: bool = False  # "the tolerance ... applies to the sum of all the materials ... required to be wholly obtained": `covering WO`


_NUMBERS = {"five": "5", "seven": "7", "eight": "8", "ten": "10", "twelve": "12", "fifteen": "15", "twenty": "20"}


def plain(text: str) -> str:
    """An article's text without markup, one spelling for each way of writing a rate or a basis."""
    text = re.sub(r"<[^>]+>|\{\{[^}]*\}\}|\$\w+|\*\*", " ", html.unescape(text))
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text).replace("\xa0", " ")
    text = re.sub(r"\b(" + "|".join(_NUMBERS) + r")\b(?=\s*(?:per ?cent|percent|%))", lambda m: _NUMBERS[m.group(1).lower()], text, flags=re.I)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*(?:per ?cent|percent|%)", r"\1%", text, flags=re.I)
    text = re.sub(r"\bex\s*-\s*works?\b", "ex-works", text, flags=re.I)
    return text


# a rate and what it is a share of
_RATE = re.compile(
    r"(\d+(?:\.\d+)?)% of the (?:total )?(?P<of>(?:net )?weight of the (?:product|good)(?: or ex-works price)?|ex-works price|"
    r"ex-works or free on board price|transaction value or ex-works price|value of the (?:good|product))", re.I)
# the products a clause is about: "for products falling within Chapters 2 and 4 to 24"
_SCOPE = re.compile(
    r"(?P<neg>except (?:for )?|other than )?(?:for |in the case of )?(?:a |all )?(?:products?|goods?)(?: (?:falling|classified|covered))?"
    r" (?:within|under|of|in) (?P<list>chapters? \d+(?:\s*(?:,|and|or|to|through|-)\s*(?:chapters?\s*)?\d+)*)", re.I)
_NOT_TEXTILES = re.compile(
    r"(?:shall not apply|do(?:es)? not apply|not be applied) to products (?:falling within|of|classified (?:in|under)) chapters 50 (?:to|through|-) 63"
    r"|tolerance for textile(?: and apparel)? (?:products|goods) of chapters? 50 (?:to|through|-) 63", re.I)
_WITHIN = re.compile(
    r"percentages (?:given|for the maximum|specified|set out).{0,200}?(?:not (?:be )?exceeded|are exceeded|exceeds?)"
    r"|not allow(?: to)? exceed(?:ing)? any of the percentages|exceeds any of the percentages", re.I | re.S)
# "the tolerance provided for in paragraphs 3 and 4 applies to the sum of all the materials ... for which
# Annex II ... requires that such materials be wholly obtained"; "If the Product-specific rules of origin
# require that the materials ... are wholly obtained, paragraphs 1 and 2 of this Article apply"
_COVERS_WO = re.compile(r"(?:tolerance|paragraphs?)[^.]*\bappl(?:y|ies)\b[^.]*\brequires?\b[^.]*wholly obtained"
                        r"|\brequires?\b[^.]*wholly obtained,? (?:the tolerance|paragraphs?)[^.]*\bappl(?:y|ies)\b", re.I)
_TEXTILE_NOTE = re.compile(r"basic textile|mixed (?:yarn|fabric|product)|made-up|heading 5\d0\d|textile materials|milk solids|by dry weight", re.I)


def chapters(words: str) -> str:
    """'Chapters 2 and 4 to 24' -> 'chapter 02, chapters 04-24'."""
    parts = []
    for m in re.finditer(r"(\d+)(?:\s*(?:to|through|-)\s*(\d+))?", words):
        low, high = int(m.group(1)), int(m.group(2) or m.group(1))
        parts.append(f"chapter {low:02d}" if low == high else f"chapters {low:02d}-{high:02d}")
    return ", ".join(parts)


def _clauses(text: str) -> list[str]:
    """The article as clauses: its list items and the parts of a sentence between semicolons."""
    out = []
    for line in re.split(r"\n|;|(?<=[:.])\s+(?=\(?(?:[a-h]|i{1,3}|iv|v|\d)[.)]\s)", text):
        line = " ".join(re.sub(r"^\s*(?:[-*]\s*)?(?:\(?(?:[a-h]|i{1,3}|iv|vi?|\d+)[.)]\s*)*", "", line).split())
        if line:
            out.append(line)
    return out


def read(folder: Path) -> tuple[list[Tolerance], list[str]]:
    """The scheme's general tolerances, and what was looked for and not found."""
    found: list[Tolerance] = []
    for name in ARTICLES:
        path = folder / name
        try:
            text = plain(path.read_text(encoding="utf-8"))
        except OSError:
            continue
        found = _read(text, name)
        if found:
            return found, []
    looked = ", ".join(f"articles/{folder.name}/{n}" for n in ARTICLES if (folder / n).is_file()) or f"articles/{folder.name}/ (no such article)"
    return [], [f"tolerance: no general tolerance found (looked in {looked}): none applied"]


def _read(text: str, article: str) -> list[Tolerance]:
    within = bool(_WITHIN.search(text))
    covers_wo = bool(_COVERS_WO.search(" ".join(text.split())))
    no_textiles = bool(_NOT_TEXTILES.search(text))
    out: list[Tolerance] = []
    context: str | None = None  # "in the case of goods in Chapters ...:" heading the items below it
    for clause in _clauses(text):
        rates = list(_RATE.finditer(clause))
        # "other than processed fishery products of Chapter 16" narrows within a chapter: not a scope
        scope = [m for m in _SCOPE.finditer(clause) if not (m.group("neg") and re.match(r"chapters? 16\b", m.group("list")))]
        for_ = next((chapters(m.group("list")) for m in scope if not m.group("neg")), None)
        except_ = next((chapters(m.group("list")) for m in scope if m.group("neg") and "except" in m.group("neg").lower()), None)
        if not rates:
            if for_ and clause.rstrip().endswith(":"):
                context = for_
            continue
        if _TEXTILE_NOTE.search(clause):
            continue
        if for_ is None and not re.search(r"other products|products other than", clause, re.I):
            for_ = context
        note = []
        if re.search(r"processed fishery products", clause, re.I):
            note.append("processed fishery products of chapter 16, which the article leaves out, are not told apart from the chapter's other products")
        if len({r.group(1) for r in rates}) > 1:
            # "10% ... for products of the United Kingdom, and 15% ... for products of Côte d'Ivoire"
            low = min((r.group(1) for r in rates), key=float)
            rates = [next(r for r in rates if r.group(1) == low)]
            note.append("the article gives different rates by the exporting party; the language has no tolerance by party, so the lower is applied to both")
        textiles = except_ or ("chapters 50-63" if no_textiles or re.search(r"chapters 50 (?:to|through) 63", clause, re.I) else None)
        if for_ and textiles == "chapters 50-63" and not _overlaps(for_, textiles):
            textiles = None  # the line is for other chapters already
        for m in rates:
            of = m.group("of").lower()
            kinds = ["net_weight", "basis"] if of.endswith("or ex-works price") and "weight" in of else ["net_weight" if "weight" in of else "basis"]
            for kind in kinds:
                out.append(Tolerance(m.group(1), kind, for_, textiles, within, article, clause, "; ".join(note) or None, covers_wo))
    return _alternatives(out)


def _overlaps(a: str, b: str) -> bool:
    def spans(s: str) -> list[tuple[int, int]]:
        return [(int(m.group(1)), int(m.group(2) or m.group(1))) for m in re.finditer(r"(\d+)(?:-(\d+))?", s)]

    return any(lo1 <= hi2 and lo2 <= hi1 for lo1, hi1 in spans(a) for lo2, hi2 in spans(b))


def _alternatives(found: list[Tolerance]) -> list[Tolerance]:
    """A value tolerance for every product beside a weight one for some chapters (New Zealand:
    "(a) the value ... (b) in the case of goods classified under Chapters 1 to 24 and 50 to 63,
    the total weight"): for those chapters the two are alternatives, and a line `for` a chapter
    replaces the general lines, so the value line is written for them too."""
    general = [t for t in found if t.for_chapters is None and t.of == "basis" and not re.search(r"other products|products other than", t.words, re.I)]
    extra = []
    for t in found:
        if t.for_chapters and t.of == "net_weight" and not any(u.for_chapters == t.for_chapters and u.of == "basis" for u in found):
            extra += [attrs.evolve(g, for_chapters=t.for_chapters, except_chapters=None) for g in general]
    return found + extra


# ---------------------------------------------------------------- accessories, packing, neutral elements


@attrs.frozen
class Treatment:
    roles: str  # "accessory, spare_part, tool"
    as_: str  # value_only | normal | ignored | originating
    article: str  # the file it is read from, or "" where no article says
    words: str  # the article's words it rests on, or why it is inferred
    note: str | None = None  # how the words are read, where they do not name the treatment outright


# (roles, the files that may say it, [(sentences that say it, treatment, how they are read or None)]):
# the first reading whose every pattern finds a sentence, in the first file that has one, wins. A
# value-only reading needs both halves said: disregarded for the tariff shift, and counted in value.
_IN_SENTENCE = r"(?:[^.]|\.(?=\s+[a-z]))*"  # "be: a. disregarded ... b. taken": a list item's full stop does not end the sentence
_SHIFT_DISREGARDED = rf"disregarded{_IN_SENTENCE}tariff classification|tariff classification{_IN_SENTENCE}disregarded"
_COUNTED_IN_VALUE = rf"(?:taken into account|considered){_IN_SENTENCE}(?:originating or non-originating|value of (?:the relevant )?non-originating)"
_EXCEPT_VALUE = rf"disregarded in determining the origin{_IN_SENTENCE}except for the purposes of calculating the (?:maximum )?value of non-originating"
_TREATMENTS: tuple[tuple[str, tuple[str, ...], tuple[tuple[tuple[str, ...], str, str | None], ...]], ...] = (
    ("accessory, spare_part, tool", ("accessories.md",), (
        ((_SHIFT_DISREGARDED, _COUNTED_IN_VALUE), "value_only", None),
        ((_EXCEPT_VALUE,), "value_only", None),
        ((r"regarded as (?:one|forming a whole) with the",), "value_only",
         "'regarded as one with the equipment': part of the product, so their value counts among its materials; they need no tariff shift of their own"),
        ((r"regarded as having the same origin as",), "originating",
         "'the same origin as the equipment': read as originating (the product's origin is decided by its other materials)"),
    )),
    ("retail_packing", ("packaging_retail.md", "packaging.md"), (
        ((rf"retail sale{_IN_SENTENCE}(?:{_SHIFT_DISREGARDED})", rf"retail sale{_IN_SENTENCE}{_COUNTED_IN_VALUE}"), "value_only", None),
        ((rf"retail sale{_IN_SENTENCE}{_EXCEPT_VALUE}",), "value_only", None),
        ((r"packaging is included (?:with|in) the product for classification purposes,? (?:it|such packaging|the packaging) (?:shall|must|is) (?:be )?"
          r"(?:included for the purposes of determining origin|considered in determining whether all the non-originating materials)",), "normal",
         "'included for the purposes of determining origin': a material of the product like any other, in value and in the tariff shift"),
    )),
    ("transport_packing", ("packaging.md", "packaging_retail.md"), (
        ((r"(?:packing|packaging)[^.]*(?:for|for the) shipment[^.]*disregarded",), "ignored", None),
        ((r"any other packaging shall not be included for the purposes of determining origin",), "ignored",
         "packing not classified with the product, as packing for transport, is left out"),
    )),
    ("indirect", ("neutral-elements.md",), (
        ((r"indirect materials? shall neither be considered originating nor non-originating",), "ignored", None),
        ((r"not (?:be )?necessary to determine the (?:origin|originating status) of the (?:following|goods)"
          r"|no account (?:shall|will) be taken of the origin of the following",), "originating",
         "the elements listed are not examined for origin: read as originating"),
        ((r"neutral elements[^.]*(?:are to be|shall be) disregarded",), "originating", "disregarded in determining origin: read as originating"),
        ((r"indirect material (?:shall be|is) (?:considered|treated) (?:to be |as )?(?:an )?originating",), "originating", None),
    )),
)
# where no article says: what UK agreements usually provide (written `inferred`)
_USUAL = {
    "accessory, spare_part, tool": ("value_only", "accessories, spare parts and tools delivered with the product count as part of it: in value, not in the tariff shift"),
    "retail_packing": ("value_only", "retail packing classified with the product counts in value, not in the tariff shift"),
    "transport_packing": ("ignored", "packing materials and containers for transport are disregarded"),
    "indirect": ("originating", "neutral elements need not have their origin determined"),
}


def read_treatments(folder: Path) -> tuple[list[Treatment], list[str]]:
    """How accessories, packing and neutral elements are treated, each from the words of its article;
    the usual provision, marked inferred, where no article says (and that said in the second list)."""
    found, missing = [], []
    for roles, files, patterns in _TREATMENTS:
        hit = None
        for name in files:
            try:
                text = plain((folder / name).read_text(encoding="utf-8"))
            except OSError:
                continue
            sentences = [" ".join(x.split()) for x in re.split(r"\.\s+(?=[A-Z*$\d#])", text)]
            for patterns_, as_, note in patterns:
                said = [next((m for x in sentences if (m := re.search(p, x, re.I))), None) for p in patterns_]
                if all(said):
                    hit = Treatment(roles, as_, name, " … ".join(dict.fromkeys(_words_of(m) for m in said if m)), note)
                    break
            if hit:
                break
        if hit is None:
            as_, why = _USUAL[roles]
            looked = ", ".join(f"articles/{folder.name}/{n}" for n in files if (folder / n).is_file()) or "no such article"
            hit = Treatment(roles, as_, "", why)
            missing.append(f"{roles}: no provision found (looked in {looked}): the usual one is written, marked inferred ({why})")
        found.append(hit)
    return found, missing


def _words_of(m: re.Match[str]) -> str:
    """The clause a match is in: from the clause's start (a sentence, list item or ';') to its full stop, at most 300 characters."""
    text = m.string
    start = max([0] + [i + 2 for sep in ("; ", ": ") if (i := text.rfind(sep, 0, m.start())) >= 0])
    lead = "…" if start < m.start() - 300 else ""
    start = max(start, text.rfind(" ", 0, m.start() - 300) + 1) if lead else start
    end = re.search(r"\.(?=\s+[A-Z*#]|\s*$)|;", text[m.end():])
    words = lead + " ".join(text[start : m.end() + (end.end() if end else 0)].split())
    return words if len(words) <= 400 else words[:399] + "…"


_SETS = re.compile(r"(?:set|sets) as a whole shall be regarded as originating[^.]*?(\d+(?:\.\d+)?)% of the (?:ex-works|free on board|value)[^.]*", re.I)


def read_sets(folder: Path) -> str | None:
    """The sets article's words where it gives a tolerance for sets (the language has no sets provision)."""
    try:
        text = " ".join(plain((folder / "sets.md").read_text(encoding="utf-8")).split())
    except OSError:
        return None
    m = _SETS.search(text)
    return m.group(0)[:300] if m else None


# ---------------------------------------------------------------- the notes on mixed textile products

_MIXED = re.compile(r"basic textile materials[^.]*?represent (\d+(?:\.\d+)?)% or less of the total weight of all the basic textile materials used", re.I)


@attrs.frozen
class TextileNote:
    percent: str
    note: str  # its number: "5"
    file: str  # introductory_notes/<file>
    words: str


def read_textile_note(notes: Path) -> TextileNote | None:
    """The introductory notes' tolerance for products of mixed textile materials ("... which, taken
    together, represent 10% or less of the total weight of all the basic textile materials used"),
    and the number of its note, by which the list's rules refer to it."""
    try:
        text = " ".join(plain(notes.read_text(encoding="utf-8")).split())
    except OSError:
        return None
    m = _MIXED.search(text)
    heads = list(re.finditer(r"#+ ?note (\d+)\b(?!\.\d)", text[: m.start()] if m else "", re.I))  # "### Note 5:", "### Note 4 - Tolerances ..."
    if m is None or not heads:
        return None
    start = text.rfind("Where", 0, m.start())
    return TextileNote(m.group(1), heads[-1].group(1), notes.name, text[max(start, m.start() - 300) : m.end()] + ".")


def refers_to(note: TextileNote, rule_prose: str) -> bool:
    """Does a rule's prose refer to the note: by its number ("see Introductory Note 5"), or by its
    subject ("for special conditions relating to products made of a mixture of textile materials,
    see Introductory Note 6", where Kenya's and Switzerland's notes number it 5)?"""
    return bool(re.search(rf"\bnote {note.note}\b(?!\.\d)|mixture of textile materials", rule_prose, re.I))


_ABSORPTION = re.compile(r"[^.]*(?:no account shall be taken of the non-originating materials which (?:may have been|were) used in (?:its|the) (?:manufacture|production)"
                         r"|shall be considered (?:as )?originating[^.]*without regard to the origin of the materials[^.]*)[^.]*", re.I)


def read_absorption(folder: Path) -> tuple[str, str] | None:
    """(article, words) where the scheme states absorption: a product that acquired originating
    status and is used in another counts as originating, its own non-originating materials not
    counted. The engine applies it to every intermediate a BOM nests (materials[].materials)."""
    for name in ("sufficiently-worked.md", "tolerances.md", "origin_processes.md", "wholly-obtained.md"):
        try:
            text = " ".join(plain((folder / name).read_text(encoding="utf-8")).split())
        except OSError:
            continue
        if m := _ABSORPTION.search(text):
            words = " ".join(m.group(0).split()).lstrip("0123456789. ")
            return name, words if len(words) <= 400 else words[:399] + "…"
    return None
