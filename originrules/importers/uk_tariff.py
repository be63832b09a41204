"""A rule-set file of the UK Online Trade Tariff (its `rule_sets/<scheme>.json`) into a ruleset.

    originrules import uk-tariff rule_sets/eu.json -o uk-eu.roo --report eu-report.json

The header comes from the scheme's metadata (`roo_schemes_uk.json`, two folders up) and, where it
can be read, its tolerance article (`articles/<scheme>/tolerances.md`); everything read from an
article is marked `inferred` with the words it was read from. Each rule set's prose is parsed by a
grammar of the legal phrasings (uk_prose.lark), one entry at a time; the prose is kept beside each
rule as its citation. A rule set the grammar cannot read is written as an explicit `untranslated`
entry quoting the prose: lint warns, `check` answers undetermined (exit 3) naming it.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
import re
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, VisitError
from lark.tree import Meta

from originrules.errors import OriginrulesError, Problem
from originrules.importers import strict_json
from originrules.importers.uk_provisions import read as read_provisions
from originrules.safetext import one_line

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
        (Path(__file__).resolve().parent / "uk_prose.lark").read_text(encoding="utf-8"),
        parser="earley", lexer="basic", ambiguity="resolve", propagate_positions=True,
    )


# ---------------------------------------------------------------- stages of textile and other materials
# "Manufacture from yarn": the non-originating materials of chapters 50-63 must be at that stage
# or an earlier one; materials of other chapters may be used freely (the schemes' introductory
# notes on textiles). So each stage's set holds its own headings, the earlier stages' and every
# chapter outside 50-63. Headings from the HS 2022 nomenclature, chapters 47-55.
_OUTSIDE_TEXTILES = "chapters 01-49, chapters 64-97"
# fibres "not carded or combed or otherwise processed for spinning": not 5105 (wool and animal
# hair, carded or combed), 5203 (cotton, carded or combed), 5506-5507 (man-made staple fibres,
# carded, combed or otherwise processed for spinning), which come after that stage and before yarn
_FIBRES = "5001-5003, 5101-5104, 5201-5202, 5301-5305, 5501-5505"
_CARDED = "5105, 5203, 5506-5507"
_YARN = f"5004-5006, 5106-5110, 5204-5207, 5306-5308, 5401-5406, 5508-5511, {_CARDED}"
_FABRIC = "5007, 5111-5113, 5208-5212, 5309-5311, 5407-5408, 5512-5516, 5602-5603, 5801-5806, 5809-5811, 5901-5907, 6001-6006"
STAGES: dict[str, tuple[str, str]] = {
    # name: (codes, what the name stands for)
    "fibres": (f"{_FIBRES}, {_OUTSIDE_TEXTILES}", "natural or man-made fibres, not carded, combed or otherwise prepared for spinning, or earlier materials"),
    "yarn": (f"{_YARN}, {_FIBRES}, {_OUTSIDE_TEXTILES}", "yarn, or fibres; materials outside chapters 50-63 freely"),
    "fabric": (f"{_FABRIC}, {_YARN}, {_FIBRES}, {_OUTSIDE_TEXTILES}", "fabric, or yarn or fibres; materials outside chapters 50-63 freely"),
}
# yarns a list names one by one ("Manufacture from: - coir yarn, - jute yarn, - natural fibres, ...")
# admit those yarns and the fibres stage, not every yarn: name -> (HS 2022 codes, what they hold)
NAMED_YARNS: dict[str, tuple[str, str]] = {
    "coir yarn": ("530810", "5308.10, coir yarn"),
    "jute yarn": ("5307", "heading 5307, yarn of jute or of other textile bast fibres"),
    "sisal yarn": ("530890", "5308.90, yarn of other vegetable textile fibres (sisal among them)"),
    "classical ring spun viscose yarn": ("5510", "heading 5510, yarn of artificial (viscose) staple fibres"),
}


def named_yarn_stage(phrase: str) -> str | None:
    """'fibres_or_coir_yarn_or_jute_yarn' for a list whose every yarn is named; registered in STAGES."""
    named = sorted(n for n in NAMED_YARNS if n in phrase)
    if not named or len(re.findall(r"\byarns?\b", phrase)) != sum(phrase.count(n) for n in named):
        return None
    name = "fibres_or_" + "_or_".join(n.replace(" ", "_") for n in named)
    codes = ", ".join(NAMED_YARNS[n][0] for n in named)
    STAGES.setdefault(name, (f"{codes}, {STAGES['fibres'][0]}", "; ".join(NAMED_YARNS[n][1] for n in named) + "; or fibres, not carded or combed; materials outside chapters 50-63 freely"))
    return name


_STAGE_WORDS = [
    # (words the stage phrase contains, stage): first match wins, the latest stage first
    (("fabric",), "fabric"),
    (("yarn",), "yarn"),
    (("fibres",), "fibres"),
    (("silk",), "fibres"),
    (("filaments",), "fibres"),
    (("chemical", "materials"), "fibres"),
    (("textile", "pulp"), "fibres"),
    (("paper-making",), "fibres"),
    (("paper",), "fibres"),
]


# "Manufacture from unwrought precious metals": a material named by what it is, read only where
# the phrase is the whole of the rule and the HS has codes for exactly that material (not a
# heading that also holds the worked forms or articles, which would let those pass too).
# phrase (the normalised text after "from") -> (name, codes, what the HS 2022 says of the codes)
MATERIALS: dict[str, tuple[str, str, str]] = {
    "unwrought precious metals": (
        # the schemes set powder beside the semi-manufactured forms ("Semi-manufactured or in
        # powder form"), so silver and gold powders are left out; the platinum metals' codes
        # cannot part unwrought from powder, and hold both
        "unwrought_precious_metals", "710691, 710812, 711011, 711021, 711031, 711041",
        ("HS 2022 7106.91 (silver, unwrought), 7108.12 (gold, unwrought forms other than powder), 7110.11, 7110.21, 7110.31 and "
        "7110.41 (platinum, palladium, rhodium, iridium, osmium, ruthenium: unwrought or in powder form, which these codes do not part)"),
    ),
    "rubber thread or cord, not textile covered": (
        "rubber_thread", "4007", "HS 2022 heading 4007, vulcanised rubber thread and cord (textile-covered rubber thread and cord is heading 5604)",
    ),
    "refined copper, unwrought, or waste and scrap of copper": (
        "refined_copper_or_scrap", "740311-740319, 7404", "HS 2022 7403.11 to 7403.19 (refined copper, unwrought) and heading 7404 (copper waste and scrap)",
    ),
    # "However, knife blades and handles of base metal may be used" (the materials a rule lets in
    # whatever their classification: `allowing`)
    "knife blades and handles of base metal": (
        "knife_blades_and_handles", "821194, 821195", "HS 2022 8211.94 (blades) and 8211.95 (handles of base metal)",
    ),
    "mustard flour or meal or prepared mustard": ("mustard", "210330", "HS 2022 2103.30 (mustard flour and meal and prepared mustard)"),
    "cellular wood panels, shingles and shakes": (
        "cellular_panels_shingles_shakes", "441892, 441850", "HS 2022 4418.92 (cellular wood panels) and 4418.50 (shingles and shakes)",
    ),
    "natural magnesium carbonate (magnesite)": ("magnesite", "251910", "HS 2022 2519.10 (natural magnesium carbonate (magnesite))"),
    "nibs or nib-points of the same heading as the product": ("nibs", "960891", "HS 2022 9608.91 (pen nibs and nib points)"),
    "nibs or nib-points classified within the same heading": ("nibs", "960891", "HS 2022 9608.91 (pen nibs and nib points)"),
    "unalloyed aluminium or waste and scrap of aluminium": (
        "unalloyed_aluminium_or_scrap", "760110, 7602", "HS 2022 7601.10 (aluminium, not alloyed, unwrought) and heading 7602 (aluminium waste and scrap)",
    ),
    "wood in the rough, whether or not stripped of its bark or merely roughed down": (
        "wood_in_the_rough", "4403", "HS 2022 heading 4403 (wood in the rough, whether or not stripped of bark or sapwood, or roughly squared)",
    ),
    # "the value of all the materials used, except natural rubber, does not exceed 50%": the value of
    # the materials of every other code
    "materials other than natural rubber": (
        "materials_other_than_natural_rubber", "chapters 01-39, 400130, 4002-4017, chapters 41-97",
        "HS 2022: natural rubber is 4001.10 to 4001.29 (latex, smoked sheets, technically specified, other); every other code",
    ),
    "bullion or work lead": ("unrefined_lead", "780191, 780199", "HS 2022 7801.91 and 7801.99 (unwrought lead other than refined lead)"),
    "non-assembled, tanned or dressed furskins": (
        "tanned_furskins", "430211, 430219, 430220", "HS 2022 4302.11, 4302.19 and 4302.20 (tanned or dressed furskins and pieces, not assembled)",
    ),
}


# Materials named by words and a code ("except potato starch of heading 1108") where the words name
# less than the code: (codes, narrowed, what the HS 2022 says). `narrowed`: no code holds only
# them, so the set is the materials of those codes the BOM says are so. Read whole, "potato starch"
# would except every starch of 1108 (tapioca's manioc starch too), and "assemblies of uppers
# affixed to inner soles" every part of footwear (outer soles, heels).
DESCRIBED: dict[str, tuple[str, bool, str]] = {
    "potato starch": ("110813", False, "HS 2022 1108.13 (potato starch)"),
    "welded angles, shapes and sections": ("730120", False, "HS 2022 7301.20 (angles, shapes and sections, welded)"),
    "uppers": ("640610", False, "HS 2022 6406.10 (uppers and parts thereof, other than stiffeners)"),
    # "manufacture from wood of any heading, except drawn wood of heading 4409": the rest of 4409
    # may be used, the drawn wood the BOM says is so may not
    "drawn wood": ("4409", True, "HS 2022 heading 4409 (wood continuously shaped along any of its edges, ends or faces), of which drawn wood is a part"),
    # CPTPP and Canada: parts named within a subheading or heading of parts ("a change from any other
    # subheading, except from inner or outer rings or races of subheading 848299": cages may be used)
    "inner or outer rings or races": ("848299", True, "HS 2022 8482.99 (parts of ball or roller bearings, other than balls, needles and rollers)"),
    "housings": ("850870", True, "HS 2022 8508.70 (parts of vacuum cleaners)"),
    "control panels": ("853710", True, "HS 2022 8537.10 (boards, panels, consoles, desks, cabinets ... for a voltage not exceeding 1,000 V)"),
    "stators and rotors": ("8503", True, "HS 2022 heading 8503 (parts for the machines of 8501 and 8502)"),
    "forged blanks": ("7207", True, "HS 2022 heading 7207 (semi-finished products of iron or non-alloy steel)"),
    "assemblies of uppers affixed to inner soles or to other sole components": (
        "640610", True, ("HS 2022 6406.10 (uppers and parts thereof, whether or not attached to soles other than outer soles): "
        "the assemblies are among them, beside uppers alone")),
}


# the same parts written two ways in one scheme (CPTPP 850110), one name
_SAME_PARTS = {"stators or rotors": "stators and rotors"}


# Materials a rule names by what they are ("the unprinted fabric used", "all the fruit, nuts or
# vegetables used"): the codes they are classified in, HS 2022.
NOUNS: dict[str, str] = {
    "fabric": _FABRIC,
    "fruit": "chapter 08",
    "nuts": "0801-0802",
    "vegetables": "chapter 07",
    "cereals": "chapter 10",
    "vegetable_materials": "chapters 06-14",
    "fish": "chapter 03",
    "meat": "chapter 02",
    "milk": "0401-0404",
    "sugar": "1701-1702",
    "molasses": "1703",
    "maize": "1005",
    "olives": "070992, 071120",
}
_NOUN_WORDS = [("fabric", "fabric"), ("fruit", "fruit"), ("nuts", "nuts"), ("vegetables", "vegetables"), ("vegetable", "vegetable_materials"), ("cereals", "cereals"), ("fish", "fish"), ("meat", "meat"), ("milk", "milk"), ("sugar", "sugar"), ("molasses", "molasses"), ("maize", "maize"), ("olives", "olives")]


def _materials_named(words: list[str]) -> str:
    """The codes of the materials a phrase names: 'fruit , nuts or vegetables' -> 'chapter 08, 0801-0802, chapter 07'."""
    text = " ".join(words)
    found = []
    for phrase, noun in _NOUN_WORDS:
        if re.search(rf"\b{phrase}\b", text):
            found.append(noun)
            text = text.replace(phrase, "")
    leftover = set(re.findall(r"[a-z][a-z\-]+", text)) - {"all", "the", "or", "and", "of", "used", "unprinted", "unembroidered", "uncoated", "unlaminated", "uncut", "unbleached", "edible", "roots", "tubers", "heading", "chapter", "other"}
    if not found or leftover:
        raise Untranslatable(f"materials named {text!r}")
    return ", ".join(NOUNS[n] for n in found)


def _weight_group(words: str) -> str:
    """One group of a weight limit on several: 'sugar' -> '1701-1702', 'the materials of chapter 4' -> 'chapter 04'."""
    if m := re.fullmatch(r"(?:the )?(?:non-originating )?materials? of (.+)", words.strip()):
        return _codes_in_words(m.group(1))
    return _materials_named(words.split())


_CODE_WORDS = re.compile(r"(chapter|heading|subheading) (\d{1,6})(?: to (?:chapter|heading|subheading) (\d{1,6}))?")


def _codes_in_words(text: str) -> str:
    """'heading 1006 and heading 1101 to heading 1108' -> '1006, 1101-1108'; 'chapter 4' -> 'chapter 04'."""
    out = []
    for level, low, high in _CODE_WORDS.findall(text):
        if level == "chapter":
            out.append(f"chapter {int(low):02d}" if not high else f"chapters {int(low):02d}-{int(high):02d}")
        else:
            width = 4 if level == "heading" else 6
            out.append(low.zfill(width) + (f"-{high.zfill(width)}" if high else ""))
    if not out or re.sub(r"\b(?:and|or)\b|[,\s]", "", _CODE_WORDS.sub("", text)):
        raise Untranslatable(f"materials of {text!r}")
    return ", ".join(out)


class Untranslatable(Exception):
    """A phrase the grammar reads but the language cannot (yet) say faithfully."""


class NeedsRange(Untranslatable):
    """Readable only knowing which codes the rule set covers (translate_rule_set tries again)."""


_LEVEL = {"chapter": "CC", "heading": "CTH", "subheading": "CTSH"}
_METHODS = {"build-up": "build_up", "build-down": "build_down"}


def _level(tok: Token) -> str:
    return str(tok).rstrip("s")


@v_args(inline=True)
class _Write(Transformer):  # type: ignore[type-arg]
    """A phrase's tree as the rule language writes it."""

    def __init__(self, own: str | None = None, text: str = "", span: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.text = text  # the normalised entry: process names are spans of it
        self.stages: set[str] = set()
        self.own = own  # the rule set's code, when it is one code: "the same heading as the product"
        self.span = span  # the rule set's first and last code, when a reading asked for them

    # -- structure
    def start(self, x: str) -> str:
        return x

    def alternatives(self, *items: str) -> str:
        return " or ".join(items)

    def conj(self, *items: str) -> str:
        return " and ".join(_group(i) for i in items)

    def conditions(self, *items: str) -> str:
        return " and ".join(_group(i) for i in items)

    def manufacture(self, body: str) -> str:
        return body

    def production(self, body: str) -> str:
        return body

    def condition(self, body: str) -> str:
        return body

    # -- codes
    def code_range(self, level: Token, low: Token, *rest: Token) -> str:
        width = {"chapter": 2, "heading": 4, "subheading": 6}[_level(level)]
        high = rest[-1] if rest else low
        if width > 2 and len(str(low)) < width:
            # "heading 932" (Cameroon 2934, beside "2933 and 2934"): a slip for 2932 most likely, but
            # a heading is written whole everywhere else; no code is guessed
            raise Untranslatable(f"{_level(level)} {low}: not a code of that level")
        lo, hi = str(low).zfill(width), str(high).zfill(width)
        if len(lo) not in (2, 4, 6, 8, 10) or len(hi) != len(lo):
            raise Untranslatable(f"code {low}")
        text = lo if lo == hi else f"{lo}-{hi}"
        return f"chapter {text}" if width == 2 and lo == hi else (f"chapters {text}" if width == 2 else text)

    def bare_code(self, low: Token, *rest: Token) -> str:
        lo, hi = str(low), str(rest[-1]) if rest else str(low)
        if len(lo) == 1:
            lo, hi = lo.zfill(2), hi.zfill(2)
        if len(lo) not in (2, 4, 6, 8, 10) or len(hi) != len(lo):
            raise Untranslatable(f"code {low}")
        return lo if lo == hi else f"{lo}-{hi}"

    def codes(self, *refs: str) -> str:
        narrowed = {d.split(" = ")[0] for d in self.stages if " where " in d}
        if len(refs) > 1 and narrowed & set(refs):  # a qualified set stands alone (ORL108)
            raise Untranslatable(f"a qualified material beside other codes: {', '.join(refs)}")
        return ", ".join(refs)

    # -- tariff shifts
    def shift(self, name: Token, *parts: str) -> str:
        return str(name).upper() + "".join(parts)

    def change(self, level: Token, *parts: str) -> str:
        return _LEVEL[_level(level)] + "".join(parts)

    def within(self, level: Token) -> str:
        return ""

    def change_from_codes(self, codes: str, level: Token, *provided: str) -> str:
        # "a change from heading 8431, whether or not there is also a change from any other heading":
        # materials of those codes, or of another heading than the product's; those codes may be of
        # the product's own heading (820719 for 820713), so they pass the change whatever their code
        if any(p.startswith("@same ") for p in provided):
            raise Untranslatable("a change from codes, provided materials of the same heading")
        return f"{_LEVEL[_level(level)]} allowing {codes}" + "".join(provided)

    def change_within(self, level: Token, other: Token, *parts: str) -> str:
        # "a change from within this heading or any other heading": no change required; with
        # "provided that the value of non-originating materials of this heading does not exceed
        # 50%", a change of heading allowing same-heading materials up to 50%
        excepted = "".join(p for p in parts if p.startswith(" except "))
        provided = [p for p in parts if not p.startswith(" except ")]
        if provided and provided[0].startswith("@same "):
            return f"{_LEVEL[_level(level)]}{excepted} allowing {provided[0].split()[1]}"
        return "manufacture" + excepted + "".join(provided)

    def no_change(self, *provided: str) -> str:
        return provided[0].removeprefix(" and ") if provided else "manufacture"

    def except_(self, codes: str) -> str:
        return f" except {codes}"

    def except_qualified(self, *parts: str) -> str:
        if len(parts) > 1:  # a qualified set stands alone (ORL108): "0401-0406 or dairy preparations ... over 10%" is not one set
            raise Untranslatable(f"a qualified material beside other codes: {', '.join(parts)}")
        return " except " + ", ".join(parts)

    @v_args(meta=True)
    def qualified(self, meta: Any, children: list[Any]) -> str:
        # a set narrower than its code, named by the words and declared in the header with
        # `where`: "dairy preparations of subheading 190190 containing more than 10% by dry
        # weight of milk solids" -> codes dairy_preparations_190190_over_10 = 190190 where milk_solids > 10%
        words = self.text[meta.start_pos : meta.end_pos]
        m = re.fullmatch(r"(.+?) of (?:sub)?headings? (\d+) containing more than (\d+(?:\.\d+)?)% by dry weight of ([a-z ]+)", words)
        if m is None:
            raise Untranslatable(f"a qualified material: {words!r}")
        noun, code, pct, attribute = m.groups()
        name = f"{_slug(noun)}_{code}_over_{pct.replace('.', '_')}"
        self.stages.add(f"{name} = {code} where {_slug(attribute)} > {pct}% | {words}")
        return name

    def provided(self, req: str) -> str:
        if req.startswith("@same "):
            return req
        return f" and {_group(req)}"

    def however(self, *parts: Any) -> str:
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f" allowing {_pct(pct)}"

    # -- manufacture
    def however_value(self, value: str) -> str:
        return f" and {value}"

    def however_codes(self, codes: str) -> str:
        return f" allowing {codes}"  # "however, materials of subheading 960891 or subheading 960899 may be used"

    def _material(self, phrase: str) -> str:
        """The name of the material MATERIALS knows by this phrase (its `codes` line goes in the
        header); else a set of whatever materials the BOM says are so (`described`)."""
        named = MATERIALS.get(phrase)
        if named is None:
            return self._described(phrase)
        self.stages.add(named[0])
        return named[0]

    def _described(self, phrase: str) -> str:
        """A material named by what it is, where the HS has no codes for exactly it ("worked slate",
        "metals clad with precious metals, unwrought", "handles of base metal"): the set of the
        materials the BOM says are so, by an attribute named by the words
        (`codes worked_slate = chapters 01-97 where worked_slate`; `"worked_slate": true`). The BOM
        answers what a code cannot; a material it says nothing of leaves the rule undetermined."""
        phrase = re.sub(r"\bany material\b", "materials", phrase)  # "grapes or any material derived from grapes": one name
        name = _slug(phrase)
        if re.search(r"\d|:|(?:^|\s)-\s", phrase) or not re.fullmatch(r"[a-z][a-z0-9_]{0,127}", name) or len(phrase.split()) > 20:
            raise Untranslatable(f"materials named {phrase!r}")
        self.stages.add(f"{name} = chapters 01-97 where {name} | {phrase}")
        return name

    def however_named(self, phrase: str) -> str:
        return f" allowing {self._material(phrase)}"

    @v_args(meta=True)
    def named_materials(self, meta: Any, _: list[Any]) -> str:
        return self.text[meta.start_pos : meta.end_pos]

    @v_args(meta=True)
    def however_described(self, meta: Any, parts: list[Any]) -> str:
        said = re.search(r"(?:however,? )?(?:the )?(.+? of (?:this (?:description|heading|subheading|chapter)|the same description as the product)) may", self.text[meta.start_pos : meta.end_pos])
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f" and VNM from {self._described(said.group(1) if said else '')} <= {_pct(pct)}"

    def however_not(self, codes: str) -> str:
        return ("except", codes)  # type: ignore[return-value]  # "however, waste and scrap of heading 7802 may not be used"

    def however_own(self, *parts: Any) -> str:
        # "however, other materials of heading 8302 may be used, provided that their total value
        # does not exceed 20%": an allowance, when those are the product's own heading
        codes = next(p for p in parts if isinstance(p, str) and not isinstance(p, Token))
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        own = self.own is not None and codes == self.own[: len(codes)] and len(codes) in (4, 6)
        # the rule it qualifies weighs it: the own heading alone beside a change of heading is an
        # allowance; anything else (other codes, or an `except` list beside it) goes through _up_to
        return ("own_up_to" if own else "up_to", codes, _pct(pct))  # type: ignore[return-value]

    def _however_up_to(self, head: str, tail: str, however: tuple[str, str, str]) -> str:
        if however[0] == "own_up_to" and not tail and head != "manufacture":
            return f"{head} allowing {however[2]}"  # "other materials of heading 8302 ... 20%" for 8302: CTH allowing 20%
        return self._up_to(head, tail, however[1], however[2])

    @v_args(meta=True)
    def described(self, meta: Any, parts: list[Any]) -> str:
        # "potato starch of heading 1108": where the HS names exactly those materials, their codes;
        # where no code holds only them, the materials of the code the BOM says are so; any other
        # description is read as naming its codes whole ("waste and scrap of heading 7802")
        words = re.sub(r",? of (?:sub)?headings? \d.*$", "", self.text[meta.start_pos : meta.end_pos]).strip()
        words = _SAME_PARTS.get(words, words)
        exact = DESCRIBED.get(words)
        if exact is None:
            return parts[-1]
        codes, narrowed, _ = exact
        if not narrowed:
            return codes
        name = _slug(words)
        self.stages.add(f"{name} = {codes} where {name} | {words}")
        return name

    def all_originating(self, *_: Any) -> str:
        return "VNM <= 0%"  # "all the materials used are originating": no non-originating material at all

    def from_any(self, *parts: Any) -> str:
        # "from materials of any heading", "from wood of any heading": the level is the LEVEL token
        level = next(p for p in parts if isinstance(p, Token) and p.type == "LEVEL")
        own = _LEVEL[_level(level)]
        kind = next((str(p) for p in parts if isinstance(p, Token) and p.type == "WORD"), None)
        # "from wood of any heading": the materials are wood (chapter 44), not anything
        head, tail = ("manufacture from chapter 44" if kind == "wood" else "manufacture"), ""
        for p in parts:
            if isinstance(p, tuple) and p[0] == "own":
                head = own
            elif isinstance(p, tuple) and p[0] == "except":
                tail += f" except {p[1]}" if " except " not in tail else f", {p[1]}"
            elif isinstance(p, tuple) and p[0] == "including":
                pass  # "including other materials of heading 3002": no change required
            elif isinstance(p, str) and not isinstance(p, Token):
                tail += p
        up_to = next((p for p in parts if isinstance(p, tuple) and p[0] in ("up_to", "own_up_to")), None)
        if up_to is not None:
            return self._however_up_to(head, tail, up_to)
        return head + tail

    def _up_to(self, head: str, tail: str, codes: str, pct: str) -> str:
        """"Materials of any heading, except those of heading 3701 and heading 3702. However,
        materials of heading 3702 may be used, provided that their total value does not exceed
        30%": no non-originating material of the excepted codes but those, and those up to 30%
        (`manufacture except 3701 and VNM from 3702 <= 30%`). The however adds a way and takes none
        away: where some allowed codes were not excepted (3003 beside the product's own 3004), the
        main rule stays an alternative (`CTH or VNM from 3003, 3004 <= 20%`). Every code must be a
        heading (the set arithmetic is on headings)."""
        if tail and not tail.startswith(" except "):
            raise Untranslatable(f"materials of {codes} allowed up to {pct}")
        excepted = set(_headings(tail.removeprefix(" except "))) if tail else set()
        allowed = set(_headings(codes))
        if head == "CTH" and self.own is None and not tail:
            # a rule set of several headings, each the product's own for some products: read when all are allowed
            if self.span is None:
                raise NeedsRange(f"materials of {codes} allowed up to {pct}, for a rule set of several headings")
            low, high = (int(c[:4]) for c in self.span)
            if len(self.span[0]) != 4 or not {f"{h:04d}" for h in range(low, high + 1)} <= allowed:
                raise Untranslatable(f"materials of {codes} allowed up to {pct}")
            return f"(CTH or VNM from {codes} <= {pct})"
        if head == "CTH" and self.own is not None and len(self.own) >= 4:
            excepted.add(self.own[:4])
        elif head != "manufacture":
            raise Untranslatable(f"materials of {codes} allowed up to {pct}")
        if not allowed & excepted:  # lets in nothing the main rule kept out: not read
            raise Untranslatable(f"materials of {codes} allowed up to {pct}")
        rest = sorted(excepted - allowed)
        arm = ("manufacture except " + ", ".join(rest) + " and " if rest else "") + f"VNM from {codes} <= {pct}"
        return arm if allowed <= excepted else f"({head}{tail} or {arm})"

    def own_level(self) -> tuple[str]:
        return ("own",)

    def listed(self, codes: str) -> tuple[str, str]:
        return ("except", codes)

    def including(self, codes: str) -> tuple[str, str]:
        return ("including", codes)

    def also_except(self, codes: str) -> tuple[str, str]:
        return ("except", codes)

    def from_any_and(self, first: str, rest: str) -> str:
        return f"{_group(first)} and {_group(rest)}"

    def either(self, first: str, second: str) -> str:
        return f"({first} or {second})"

    def from_not_within(self, codes: str) -> str:
        return f"manufacture except {codes}"  # "from materials not classified within heading 7106, ..."

    def from_own(self, *parts: Any) -> str:
        level = next(p for p in parts if isinstance(p, Token) and p.type == "LEVEL")
        digits = {"chapter": 2, "heading": 4, "subheading": 6}[_level(level)]
        if self.own is None or len(self.own) < digits:
            raise Untranslatable(f"materials of the same {_level(level)} as the product, for a rule set of several")
        return f"manufacture from {self.own[:digits]}"

    def from_codes_up_to(self, codes: str, pct: Token, *basis: Any) -> str:
        return f"manufacture from {codes} and VNM from {codes} <= {_pct(pct)}"

    def from_codes(self, *parts: Any) -> str:
        return f"manufacture from {parts[-1]}"  # "from ingots or other primary forms of heading 7218": of those codes

    @v_args(meta=True)
    def from_stage(self, meta: Any, words: list[Any]) -> str:
        phrase = self.text[meta.start_pos : meta.end_pos].removeprefix("from ").rstrip(". ")
        if phrase in MATERIALS:
            return f"manufacture from {self._material(phrase)}"
        tail = "".join(w for w in words if not isinstance(w, Token))
        text = " ".join(str(w) for w in words if isinstance(w, Token))
        found = None
        for needed, stage in _STAGE_WORDS:
            if all(n in text.split() for n in needed):
                found = stage
                break
        if found is None:  # "manufacture from worked slate": the materials the BOM says are so
            return f"manufacture from {self._described(phrase.split(', provided')[0].split(' however')[0].strip(' ,'))}" + tail
        if found == "yarn":
            found = named_yarn_stage(phrase) or found
        self.stages.add(found)
        return f"manufacture from {found}" + tail

    def classified_except(self, level: Token, codes: str, however: Any = None) -> str:
        # "all the materials used are classified within a heading other than heading 2208 or heading 2209"
        if isinstance(however, tuple) and however[0] in ("up_to", "own_up_to"):  # "however, tools of heading 8202 to heading 8205 may be incorporated ..."
            return self._however_up_to("manufacture", f" except {codes}", however)
        if isinstance(however, tuple):  # ("except", codes): "however, waste and scrap of heading 7802 may not be used"
            return f"manufacture except {codes}, {however[1]}"
        return f"manufacture except {codes}{however or ''}"  # an allowance or a condition, as from_any writes them

    def set_items(self, pct: Token, *basis: Any) -> str:
        # the set's materials are its items, each originating under its own rule or not (the BOM says
        # which): the non-originating items are at most that share of the set's price
        return f"VNM <= {_pct(pct)}"

    def classified(self, level: Token, *however: Any) -> str:
        # the however clauses as from_any writes them: an allowance, a condition, ("except", codes),
        # or codes let in up to a value
        head = _LEVEL[_level(level)]
        up_to = next((h for h in however if isinstance(h, tuple) and h[0] in ("up_to", "own_up_to")), None)
        if up_to is not None:
            return self._however_up_to(head, "", up_to)
        return head + "".join(f" except {h[1]}" if isinstance(h, tuple) else h for h in however)

    # -- values
    def vnm(self, *parts: Any) -> str:
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f"VNM <= {_pct(pct)}"

    @v_args(meta=True)
    def vnm_but(self, meta: Any, children: list[Any]) -> str:
        # "the value of all the materials used, except natural rubber, does not exceed 50%": of the others
        pct = next(p for p in children if isinstance(p, Token) and p.type == "PERCENT")
        but = re.search(r"used, except (.+?),? does not", self.text[meta.start_pos : meta.end_pos])
        named = MATERIALS.get(f"materials other than {but.group(1) if but else ''}")
        if named is None:
            raise Untranslatable(f"the value of the materials but {but.group(1) if but else '?'}")
        self.stages.add(named[0])
        return f"VNM from {named[0]} <= {_pct(pct)}"

    def vnm_codes(self, *parts: Any) -> str:
        codes = next(p for p in parts if isinstance(p, str) and not isinstance(p, Token))  # not a word ("component products")
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f"VNM from {codes} <= {_pct(pct)}"

    def same_heading_vnm(self, level: Token, pct: Token, *basis: Any) -> str:
        return f"@same {_pct(pct)}"

    def material_words(self, *_: Any) -> str:
        return ""

    def ex_works(self, *_: Any) -> str:
        return "ex_works"

    def transaction_value(self, *_: Any) -> str:
        return "transaction_value"  # "the transaction value or ex-works price": the header permits both

    def value_of_product(self, *_: Any) -> str:
        return "value"

    def net_cost(self, *_: Any) -> str:
        raise Untranslatable("a value on the basis of the net cost")

    @v_args(meta=True)
    def vnm_stage(self, meta: Any, parts: list[Any]) -> str:
        words = [str(p) for p in parts if isinstance(p, Token) and p.type != "PERCENT" and str(p) != "non-originating"]
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        try:
            name = _materials_named(words)
        except Untranslatable:  # "the total value of the uncut glassware used": what the BOM says is so
            # "the value of the unprinted ...", "the value of non-originating non-twisted or non-textured yarns" (EU):
            # the words as written, so that one material has one name in every scheme
            said = re.search(r"value of (?:the )?(?:non-originating )?(.+?)(?: used)? does not exceed", self.text[meta.start_pos : meta.end_pos])
            if said and said.group(1) in ("materials", "all the materials"):
                return f"VNM <= {_pct(pct)}"  # "provided that the value of non-originating materials used does not exceed 50%": all of them
            name = self._described(said.group(1) if said else " ".join(words))
        return f"VNM from {name} <= {_pct(pct)}"

    def weight_share(self, *parts: Any) -> str:
        # "at least 70% by weight of the tobacco of heading 2401 used is originating": the
        # non-originating part of those materials' weight is at most 30%
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        codes = parts[-1]
        return f"VNM(materials_weight) from {codes} <= {Decimal(100) - Decimal(_pct(pct).rstrip('%'))}%"

    def weight_codes(self, *parts: Any) -> str:
        codes = next(p for p in parts if not isinstance(p, Token))
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f"VNM(net_weight) from {codes} <= {_pct(pct)}"

    @v_args(meta=True)
    def weight_nouns(self, meta: Any, parts: list[Any]) -> str:
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        parts = [p for p in parts if not (isinstance(p, Token) and p.type == "TOTAL_COMBINED")]
        phrase = self.text[meta.start_pos : meta.end_pos]
        m = re.match(r"the (individual |total combined |combined |total )?(?:net )?weight of (?:non-originating )?(.+?) used(?: in production)? does not exceed", phrase)
        groups = re.split(r",? and (?:of )?(?=sugar\b|the materials\b|materials\b)", m.group(2)) if m else []
        if groups:
            # "the individual weight of sugar and of the materials of chapter 4": a limit on each;
            # "the total combined weight of sugar and the materials of chapter 4": one on them together
            codes = [_weight_group(g) for g in groups]
            if m.group(1) == "individual ":  # type: ignore[union-attr]
                return " and ".join(f"VNM(net_weight) from {c} <= {_pct(pct)}" for c in codes)
            return f"VNM(net_weight) from {', '.join(codes)} <= {_pct(pct)}"
        words = [str(p) for p in parts if isinstance(p, Token) and p.type != "PERCENT"]
        return f"VNM(net_weight) from {_materials_named(words)} <= {_pct(pct)}"

    def dated_clause(self, body: str, until: str) -> str:
        return f"({body}) until {until}"

    def until(self, *toks: Token) -> str:
        day, month, year = (str(t) for t in toks[-3:])
        try:
            return dt.datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date().isoformat()
        except ValueError:
            raise Untranslatable(f"a date {day} {month} {year}") from None

    def wo_nouns_but(self, *parts: Any) -> str:
        # "however, materials of heading 1507, ... may be used": let through only what the words' codes
        # do not hold anyway (vegetable materials are chapters 06-14; oils of chapter 15 are outside them)
        codes = next(p for p in parts if isinstance(p, str) and not isinstance(p, Token))
        scope = _materials_named([str(w) for w in parts if isinstance(w, Token)])
        chapters = set()
        for item in scope.split(", "):
            m = re.fullmatch(r"chapters? (\d{2})(?:-(\d{2}))?", item)
            if m is None:
                raise Untranslatable(f"wholly obtained {scope}, but {codes}")
            chapters |= set(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
        if any(int(c[:2]) in chapters for c in re.findall(r"\d{4,}", codes)):
            raise Untranslatable(f"wholly obtained {scope}, but {codes}")
        return f"WO from {scope}"

    def originating_codes(self, codes: str) -> str:
        return f"VNM from {codes} <= 0%"

    def originating_nouns(self, *words: Token) -> str:
        if not words:  # "all the materials used are originating"
            return "VNM <= 0%"
        return f"VNM from {_materials_named([str(w) for w in words])} <= 0%"

    @v_args(meta=True)
    def wo_nouns(self, meta: Any, words: list[Any]) -> str:
        try:
            return f"WO from {_materials_named([str(w) for w in words if isinstance(w, Token)])}"
        except Untranslatable:  # "all the chicory used", "all the grapes or materials derived from grapes used": what the BOM says is so
            phrase = re.sub(r"^all the | used (?:are|is|must be|shall be) wholly obtained$", "", self.text[meta.start_pos : meta.end_pos])
            return f"WO from {self._described(phrase)}"

    def maxnom(self, *parts: Any) -> str:
        return self.vnm(*parts)

    def rvc(self, *parts: Any) -> str:
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f"RVC >= {_pct(pct)}"

    def vnm_exw_or_fob(self, *parts: Any) -> str:
        exw, fob = (p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        return f"(VNM(ex_works) <= {_pct(exw)} or VNM(fob) <= {_pct(fob)})"

    def rvc_fob(self, *parts: Any) -> str:
        pct = next(p for p in parts if isinstance(p, Token) and p.type == "PERCENT")
        # Japan: "a Regional Value Content (RVC) of at least 55% of the Free on Board (FOB) cost of
        # the goods": RVC = (FOB - VNM) / FOB, the build-down method on the FOB value
        return f"RVC(build_down, fob) >= {_pct(pct)}"

    def rvc_method(self, pct: Token, method: Token, focus: str | None = None) -> str:
        if focus is not None and str(method) == "focused value":
            # (value of the good - FVNM) / value of the good >= p  <=>  FVNM <= (100 - p)% of it
            return f"VNM from {focus} <= {Decimal(100) - Decimal(_pct(pct).rstrip('%'))}%"
        m = _METHODS.get(str(method))
        if m is None or focus is not None:
            raise Untranslatable(f"the {method} method")
        return f"RVC({m}) >= {_pct(pct)}"

    def rvc_items(self, *items: str) -> str:
        return " or ".join(items)

    def rvc_item(self, *parts: Any) -> str:
        # "- a) 30% under the build-up method" (the letter "a" is a keyword, and dropped)
        toks = [p for p in parts if isinstance(p, Token) and p.type in ("PERCENT", "METHOD")]
        focus = next((p for p in parts if not isinstance(p, Token)), None)
        return self.rvc_method(toks[0], toks[1], focus)

    def focus(self, codes: str) -> str:
        return codes

    def vnm_vom(self, *_: Any) -> str:
        return "VNM(materials) <= 50%"

    def own_vnm(self, level: Token, pct: Token, *basis: Any) -> str:
        digits = {"chapter": 2, "heading": 4, "subheading": 6}[_level(level)]
        if self.own is None or len(self.own) < digits:
            raise Untranslatable(f"the same {_level(level)} as the product, for a rule set of several")
        return f"VNM from {self.own[:digits]} <= {_pct(pct)}"

    @v_args(meta=True)
    def from_named(self, meta: Any, _: list[Any]) -> str:
        return f"manufacture from {self._material(self.text[meta.start_pos : meta.end_pos].removeprefix('from '))}"

    def manufacture_by_from(self, process: str, phrase: str) -> str:
        return f"{process} and manufacture from {self._material(phrase)}"

    @v_args(meta=True)
    def manufacture_by(self, meta: Any, children: list[Any]) -> str:
        process, *rest = children
        return process + "".join(f" and {_group(r)}" for r in rest)

    @v_args(meta=True)
    def by_words(self, meta: Any, children: list[Any]) -> str:
        return f"process({_slug(self.text[meta.start_pos : meta.end_pos])})"

    @v_args(meta=True)
    def product_is(self, meta: Any, children: list[Any]) -> str:
        # "the product is both cut (or knit to shape) and sewn ...": what must be done to it, a process
        words = self.text[meta.start_pos : meta.end_pos].removeprefix("the product is ").removeprefix("both ")
        return f"process({_slug(words)})"

    def undergone(self, *items: str) -> str:
        return " or ".join(items)

    @v_args(meta=True)
    def process_item(self, meta: Any, children: list[Any]) -> str:
        return f"process({_slug(self.text[meta.start_pos : meta.end_pos])})"

    def rvc_calc(self, *_: Any) -> str:
        return ""

    def rvc_methods(self, *methods: Token) -> str:
        if any(str(m) not in _METHODS for m in methods):
            raise Untranslatable("methods " + ", ".join(map(str, methods)))
        return ""

    # -- wholly obtained, processes
    def wo_product(self, *_: Any) -> str:
        return "WO"

    def wo_materials(self, codes: str, *rest: Token) -> str:
        return f"WO from {codes}"

    def wo_in_manufacture(self, body: str) -> str:
        return body

    @v_args(meta=True)
    def process(self, meta: Any, children: list[Any]) -> str:
        # the process is named by its words as the annex writes them, up to a condition
        text = re.split(r",? (?:provided|where) ", self.text[meta.start_pos : meta.end_pos])[0]
        tail = "".join(c for c in children if isinstance(c, str) and not isinstance(c, Token))
        return f"process({_slug(text)})" + tail


def _slug(text: str) -> str:
    """A process name as the language writes it: 'weaving, combined with making-up' -> 'weaving_combined_with_making_up'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _headings(codes: str) -> list[str]:
    """'3701, 3702-3704' -> the headings; Untranslatable if a code is not a heading or heading range."""
    out = []
    for item in codes.split(", "):
        m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", item.strip())
        if m is None:
            raise Untranslatable(f"codes {codes} (not headings)")
        low, high = int(m.group(1)), int(m.group(2) or m.group(1))
        if high - low > 99:
            raise Untranslatable(f"codes {codes}")
        out += [f"{h:04d}" for h in range(low, high + 1)]
    return out


def _pct(tok: Token) -> str:
    return str(tok).replace(" ", "")


def _group(text: str) -> str:
    """Parenthesise an `or` inside an `and`."""
    depth = 0
    for i in range(len(text)):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(" or ", i):
            return f"({text})"
    return text


setattr(_Write, "except", _Write.except_)  # the grammar's rule `except` is a Python keyword


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


_KINDS = [  # what kind of text an entry is, for the import report: the first that fits
    (r"\bweight\b.*\bmaterials?\b|\bmaterials?\b.*\bweight\b", "a weight limit on a group of materials"),
    (r"regional value content", "a regional value content"),
    (r"\bhowever\b", "an exception introduced by 'however'"),
    (r"\bprovided\b", "a process or material with a condition ('provided that ...')"),
    (r"%", "a value limit"),
    (r"\bwholly obtained\b", "a wholly-obtained requirement"),
    (r"\bexcept\b", "an exception to the materials allowed"),
    (r"\bfrom\b", "a list of materials to start from"),
]


def _in_words(e: Untranslatable, text: str) -> Untranslatable:
    """A parser's "Unexpected token ... at line 1, column 88" as the words the reader stopped at
    and the kind of text it is: 'stopped at "value of all the materials used": a value limit'."""
    message = str(e)
    kind = next((k for pattern, k in _KINDS if re.search(pattern, text)), "a phrasing the grammar does not know")
    if m := re.search(r"at line \d+, column (\d+)", message):
        words = " ".join(text[int(m.group(1)) - 1:].split()[:6])
        return Untranslatable(f'stopped at "{words}": {kind}')
    if "end-of-input" in message:
        return Untranslatable(f"stopped at the end, where more words were expected: {kind}")
    return e


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


# ---------------------------------------------------------------- a whole rule-set file


@attrs.frozen
class Imported:
    text: str  # the ruleset
    report: dict[str, Any]  # rule_sets, translated, untranslated: [{heading, subdivision, prose, reason}]


_SCHEME_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.IGNORECASE | re.ASCII)
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


def _scheme_info(path: Path, code: str) -> dict[str, Any]:
    """The scheme's entry in roo_schemes_uk.json, looked for beside and above the rule-set file."""
    for folder in [path.parent, *path.parents][:4]:
        candidate = folder / "roo_schemes_uk.json"
        if candidate.is_file():
            data = strict_json(candidate, "IMP002")
            schemes = data.get("schemes", []) if isinstance(data, dict) else []
            found = next((s for s in schemes if isinstance(s, dict) and s.get("scheme_code") == code), {}) if isinstance(schemes, list) else {}
            return found
    return {}


_TOLERANCE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent)\s+of\s+the\s+(ex-works price|value of the (?:good|product)|transaction value or ex-works price|net weight|weight|total weight)", re.IGNORECASE)


def _tolerance(text: str) -> tuple[str, str, str] | None:
    """(percent, basis, the words it was read from): the first value tolerance of the article."""
    for m in _TOLERANCE.finditer(text):
        if "weight" in m.group(2).lower():
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        sentence = " ".join(text[start:end if end > 0 else None].split())
        return m.group(1), m.group(2).lower(), sentence[:240]
    return None


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


_WEIGHT_TOLERANCE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent) of the (?:net )?weight of the (?:product|good)", re.IGNORECASE)
_CHAPTERS = re.compile(r"Chapters? (\d+(?:(?:,| and| to| through|-) ?\d+)*)", re.IGNORECASE)


def _weight_tolerance(text: str) -> tuple[str, str, str] | None:
    """(percent, chapters, the words it was read from): a tolerance by weight for some chapters,
    as the EU TCA's "... Chapters 2 and 4 to 24 ... does not exceed 15% of the weight of the product"."""
    for sentence in re.split(r"(?<=[;.])\s+|\n", text):
        pct, chapters = _WEIGHT_TOLERANCE.search(sentence), _CHAPTERS.search(sentence)
        # "the total weight of non-originating materials ..." (EU TCA), or of "all those materials"
        # where the article names them a sentence before (New Zealand: "Where a good contains
        # non-originating materials that do not satisfy ... (b) ... the total weight of all those
        # materials does not exceed 15 per cent of the net weight of the good")
        if pct is None or chapters is None or not re.search(r"non-originating|those materials", sentence, re.IGNORECASE):
            continue
        if re.search(r"\boutside\b", sentence[: chapters.start()], re.IGNORECASE):
            continue  # "classified outside of Chapters 61 through 63": not those chapters
        parts = []
        for piece in re.split(r",| and ", chapters.group(1)):
            ends = [p.strip().zfill(2) for p in re.split(r" to | through |-", piece.strip()) if p.strip()]
            if ends:
                parts.append(ends[0] if len(ends) == 1 else f"{ends[0]}-{ends[-1]}")
        if parts:
            return pct.group(1), "chapters " + ", ".join(parts), " ".join(sentence.split())[:240]
    return None


# CPTPP Article 11(4): "A textile or apparel good classified outside of Chapters 61 through 63 ...
# if the total weight of all those materials is not more than 10 per cent of the total weight of
# the good": textile goods are read as chapters 50-60
_APPAREL_WEIGHT = re.compile(r"textile or apparel good classified outside of chapters 61 through 63\b[^.]*?total weight of all those materials is not more than (\d+(?:\.\d+)?) per ?cent of the total weight of the good", re.IGNORECASE)


def _apparel_weight_tolerance(text: str) -> tuple[str, str, str] | None:
    m = _APPAREL_WEIGHT.search(text)
    if m is None:
        return None
    return m.group(1), "chapters 50-60", " ".join(m.group(0).split())[:240] + " (textile goods read as chapters 50-60)"


# CPTPP Article 11(7) a, c, d and e: the goods whose same-chapter materials it withholds from the
# tolerance (dairy goods, citrus and other juices, certain oils, preserved fruit), by the words that
# name them. (b)'s goods (infant preparations, mixes, beverages with milk, feeds) hold many other
# materials, so withholding the tolerance from the whole good would be too strict: not read.
_WITHHELD_GOODS = (
    ("used in the production of a good of heading 04.01 through 04.06 other than a good of subheading 0402.10 through 0402.29 or 0406.30", ("0401", "040291-040299", "0403-0405", "040610-040620", "040640-040690")),
    ("used in the production of a good of subheading 2009.11 through 2009.39", ("200911-200939",)),
    ("used in the production of a good of headings 15.07, 15.08, 15.12, or 15.14", ("1507", "1508", "1512", "1514")),
    ("used in the production of a good of heading 20.08", ("2008",)),
)


def _withheld_goods(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [code for words, codes in _WITHHELD_GOODS if words in flat for code in codes]


def _shape_problems(rule_sets: list[Any]) -> list[tuple[str, str]]:
    """(JSON path, what is wrong) for every rule set not of the tariff's shape: an object with
    texts `heading`, `subdivision`, `min`, `max` and a list of `rules`, each an object with a text `rule`."""
    found = []
    for i, rs in enumerate(rule_sets):
        where = f"rule_sets[{i}]"
        if not isinstance(rs, dict):
            found.append((where, "expected an object"))
            continue
        for key in ("heading", "subdivision", "min", "max"):
            if rs.get(key) is not None and not isinstance(rs[key], str):
                found.append((f"{where}.{key}", "expected a text"))
        rules = rs.get("rules")
        if not isinstance(rules, list):
            found.append((f"{where}.rules", "expected a list of rules"))
            continue
        for j, r in enumerate(rules):
            if not isinstance(r, dict) or not isinstance(r.get("rule"), str):
                found.append((f"{where}.rules[{j}]", 'expected an object with a text "rule"'))
    return found


def agreement_id(scheme_code: str) -> str:
    return "UK-" + scheme_code.upper()


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


def _bases(rule_sets: list[dict[str, Any]]) -> str:
    """The value bases the scheme's rules speak of."""
    text = " ".join(prose(r) for r in rule_sets).lower()
    if "ex-works" not in text and ("value of the good" in text or "regional value content" in text):
        return "fob"
    if "free on board (fob)" in text:
        return "ex_works, fob"  # Japan: MaxNOM on the ex-works price, RVC on the FOB value
    return "ex_works, transaction_value" if "transaction value or ex-works price" in text else "ex_works"


_UNSAID_BASIS = re.compile(r"\bVNM (?=from |<=|<)")


def _explicit_ex_works(body: str) -> str:
    """In a scheme of two bases whose value limits are all of the ex-works price (Japan), each
    VNM names it: with both bases permitted it would otherwise be met on the FOB value too."""
    return _UNSAID_BASIS.sub("VNM(ex_works) ", body)


def _header(code: str, info: dict[str, Any], articles: Path, rule_sets: list[dict[str, Any]], not_found: list[str]) -> str:
    """The agreement header: from the scheme's metadata and its articles. What was looked for
    and not found is appended to `not_found` (the import prints it) and said in the file."""
    title = str(info.get("title") or code)
    ord_ = info.get("ord") or {}
    instrument = f"{ord_.get('ord_title', title)} (version {ord_.get('ord_version', '?')}, {ord_.get('ord_date', '?')})" if ord_ else title
    countries = [c for c in info.get("countries", []) if re.fullmatch(r"[A-Z]{2}", str(c))]
    parties = ", ".join(dict.fromkeys(["GB", *countries])) if countries else "GB"
    meta = f"UK Trade Tariff scheme '{code}'"
    lines = [
        f"# {one_line(title)}: rules of origin, imported from the UK Online Trade Tariff (rule set '{code}')",
        "# by `originrules import uk-tariff` (tools/uk_schemes.py regenerates every scheme). Do not edit by",
        "# hand: a reading to change belongs in originrules/importers/uk_prose.lark.",
        "",
        f"agreement {agreement_id(code)} {_quote(title)} {{",
        f"    instrument {_quote(instrument)}",
        f"    parties {parties}",
        f"        source {_quote(meta + ': countries')}",
    ]
    if not countries:
        lines.append('        inferred "the scheme lists no ISO country codes; only the UK is named"')
    start = info.get("validity_start_date")
    end = info.get("validity_end_date")
    if isinstance(start, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", start, re.ASCII):
        until = f" until {end}" if isinstance(end, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", end, re.ASCII) else ""
        lines += [f"    in_force {start}{until}", f"        source {_quote(meta + ': validity_start_date' + (', validity_end_date' if until else ''))}"]
    lines += [
        "    hs_edition 2022",
        f"        source {_quote(meta + ': codes of the rule sets')}",
        '        inferred "the UK tariff\'s rule sets are keyed by the current (HS 2022) commodity codes; the annex itself may be older"',
    ]
    methods = info.get("cumulation_methods") or {}
    others = sorted({c for m in methods.values() if isinstance(m, dict) for c in m.get("countries", []) if re.fullmatch(r"[A-Z]{2}", str(c))} - {"GB", *countries})
    kind = "diagonal" if others else "bilateral"
    lines.append(f"    cumulation {kind}" + (f" with {', '.join(others)}" if others else ""))
    lines.append(f"        source {_quote(meta + ': cumulation_methods ' + ', '.join(sorted(methods)) if methods else meta + ': no cumulation methods listed')}")
    basis = _bases(rule_sets)
    fob = basis == "fob"
    spoken = {"fob": "the value of the good", "ex_works, fob": "the ex-works price and, for the regional value content, the free on board (FOB) value",
              "ex_works, transaction_value": "transaction value or ex-works price"}.get(basis, "ex-works price")
    lines += [
        "    value_name RVC",
        f"        source {_quote(meta + ': product-specific rules (regional value content)')}",
        f"    basis {basis}",
        f"        source {_quote(meta + ': the rules speak of the ' + spoken)}",
    ]
    if fob:
        lines.append('        inferred "the value of the good is taken as the FOB value"')
    lines += [
        "    method build_down = (basis - VNM) / basis",
        f"        source {_quote(meta + ': the build-down method')}",
        '        inferred "the usual build-down formula; the article was not read by the importer"',
        "    method build_up = VOM / basis",
        f"        source {_quote(meta + ': the build-up method')}",
        '        inferred "the usual build-up formula; the article was not read by the importer"',
    ]
    try:
        article = (articles / "tolerances.md").read_text(encoding="utf-8")
    except OSError:
        article = ""
    if re.search(r"except as provided in paragraphs \d+ to \d+", article, re.IGNORECASE):
        lines += _own_provisions_tolerances(code, article)  # CPTPP: paragraphs 4 to 7 are goods of their own
    else:
        found, missing = read_provisions(articles)
        not_found.extend(missing)
        for t in found:
            lines += [
                f"    de_minimis {t.percent}% of {t.of}" + (f" for {t.for_chapters}" if t.for_chapters else "")
                + (f" except {t.except_chapters}" if t.except_chapters else "") + (" within VNM" if t.within else ""),
                f"        source {_quote(f'articles/{code}/{t.article}: {t.words}')}",
            ]
            if t.note:
                lines.append(f"        inferred {_quote(t.note)}")
        if missing:
            lines += [f"    # {one_line(m)}" for m in missing]
    # material roles, from the articles on accessories, packing and neutral elements where the
    # scheme has them; the importer does not read their text, so each line is inferred
    for roles, treatment, article, why in (
        ("accessory, spare_part, tool", "value_only", "accessories.md", "accessories, spare parts and tools delivered with the product count as part of it: in value, not in the tariff shift"),
        ("retail_packing", "value_only", "packaging.md", "retail packing classified with the product counts in value, not in the tariff shift"),
        ("transport_packing", "ignored", "packaging.md", "packing materials and containers for transport are disregarded"),
        ("indirect", "originating", "neutral-elements.md", "neutral elements need not have their origin determined"),
    ):
        lines += [
            f"    treat {roles} as {treatment}",
            f"        source {_quote(f'articles/{code}/{article}' if (articles / article).is_file() else meta + ': the usual provision of UK agreements')}",
            f"        inferred {_quote('the article was not read by the importer; ' + why)}",
        ]
    lines.append("}")
    return "\n".join(lines)


def _own_provisions_tolerances(code: str, article: str) -> list[str]:
    """CPTPP's tolerance article: a value tolerance "except as provided in paragraphs 4 to 7",
    whose paragraphs give textile goods a tolerance by weight and withhold it from some goods."""
    lines: list[str] = []
    by_weight = _weight_tolerance(article) or _apparel_weight_tolerance(article)
    if by_weight is not None:
        pct, chapters, words = by_weight
        lines += [
            f"    de_minimis {pct}% of net_weight for {chapters}",
            f"        source {_quote(f'articles/{code}/tolerances.md')}",
            f"        inferred {_quote('read by the importer (exceptions within those chapters not modelled) from: ' + words)}",
        ]
    tolerance = _tolerance(article)
    if tolerance is not None:
        pct, _, words = tolerance
        textiles = " except chapters 50-63" if re.search(r"chapters? 50 (?:to|through|-) 63", article, re.IGNORECASE) else ""
        own_provisions = bool(re.search(r"except as provided in paragraphs \d+ to \d+", words, re.IGNORECASE)) and by_weight is not None
        if own_provisions:
            # CPTPP: "Except as provided in paragraphs 4 to 7": the textile goods have their own
            # tolerance by weight, and paragraph 7's goods none by value
            textiles = " except chapters 50-63" + "".join(f", {c}" for c in _withheld_goods(article))
            words = "paragraph 1 with the goods of paragraphs 4 to 7 left out (paragraph 7 withholds the tolerance from some materials of these goods; this reading withholds it from the goods, which is stricter; chapters 61-63 measure the weight of one component, not modelled: no tolerance): " + words
        lines += [
            f"    de_minimis {pct}% of basis{textiles}",
            f"        source {_quote(f'articles/{code}/tolerances.md')}",
            f"        inferred {_quote('read by the importer from: ' + words)}",
        ]
    return lines
