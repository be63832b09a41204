"""The independent check of the UK's schemes: read each rule set's prose a second way (regular
expressions, not the importer's grammar) and check that originrules selects, at both ends of the
rule set's code range, a rule with the same tests, thresholds, codes and dates.

    python tools/compare_uk_schemes.py ../shared/corpus/uk-roo          # exit 0: no differences

Both sides are compared as sets of alternatives, each a set of atomic tests, as in
tools/compare_uk_annex.py. A rule set this second reader cannot read is counted as not checked
(never as agreeing); a rule set the importer left untranslated must select an `untranslated` rule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compare_uk_annex import all_of, any_of, one

import originrules
from originrules.hs import CodeSet

# only how the importer names rows that share a code (the subdivision a BOM chooses by) is
# taken from it, to find the rule written for each rule set; never how it reads the prose
from originrules.importers.uk_tariff.header import agreement_id
from originrules.importers.uk_tariff.prose import _subdivision_name, key_of
from originrules.importers.uk_tariff.scheme import _overlapping
from originrules.lang import ast

RULE_SETS = "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets"
DNF = frozenset


class Unread(Exception):
    pass


# ---------------------------------------------------------------- the second reading of the prose

_BOILER = re.compile(r"^(cc|cth|ctsh): all non-originating materials used in the production of the (?:good|product) have undergone a change in tariff classification at the \d-digit level \((?:tariff )?(?:chapter|heading|subheading)\)")
_LEVEL = {"chapter": 2, "heading": 4, "subheading": 6, "cc": 2, "cth": 4, "ctsh": 6}
_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], 1)}


def _plain(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("&nbsp;", " ").replace("\xa0", " ").replace("**", "").replace("*and*", "and").replace("*or*", "or")
    text = re.sub(r"[\u2010-\u2014]", "-", text)
    text = re.sub(r"\bnon- ", "non-", text)
    text = re.sub(r"(?<=[a-z]) however,? ", ". however, ", text)  # "other than that of the product however, ...": the full stop lost
    text = re.sub(r"\bun embroidered\b", "unembroidered", text)
    text = re.sub(r"\bof the (?:final|finished) (product|good)\b", r"of the \1", text)
    text = re.sub(r"\bof the weight of final product\b", "of the weight of the product", text)
    text = re.sub(r"(?i),? taken together,? ", " ", text)
    text = re.sub(r"(?i)\bex-work price\b", "ex-works price", text)
    text = re.sub(r"\. However (?=materials)", ". however, ", text)
    text = re.sub(r"(?i)^calcinations\b", "calcination", text)
    text = re.sub(r"(?i)\bhowever, non-originating materials of the same (heading|subheading) as the\b", r"however, materials of the same \1 as the", text)  # "materials of 8501 or 8503, taken together, are only used up to ...": together is how a value limit counts them
    text = re.sub(r"(?i)\bthe value of the materials classified within\b(?=[^.]*are only used up to a value)", "the materials classified within", text)
    text = re.sub(r"(?i)^manufacturing in which\b", "manufacture in which", text)
    text = re.sub(r"(\d)%of\b", r"\1% of", text)
    text = re.sub(r"\bnon-originating material of any heading\b", "non-originating materials of any heading", text)
    text = re.sub(r"['\"]([a-z]+)['\"]", r"\1", text)  # "from 'worked' carving materials"
    # Cameroon: "in accordance with appendix 2a of the origin reference document": its Appendix 2 and 2A
    # are alternatives (sufficiently-worked.md, paragraph 1), so the arm is read as written
    text = re.sub(r",? (?:in accordance with|according to) appendix 2a of the origin reference document", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<=[a-z])/(?=non-)", " or ", text)  # "non-twisted/non-textured yarns"
    text = re.sub(r"\bex works price", "ex-works price", text)
    text = re.sub(r"\bex-\s+works?\b", "ex-works", text)  # Kenya: "ex- work price"
    text = re.sub(r"\s*\(see note [\d.]+ in part \d+ of this schedule\)", "", text, flags=re.IGNORECASE)  # DCTS's pointers to its notes
    text = re.sub(r"\bof the value of the ex-works price", "of the ex-works price", text)  # "non- assembled": a line break in the source
    text = re.sub(r"\b(\d{4})\.(\d{2})\b(?!\s*%)", r"\1\2", text)
    text = re.sub(r"\b(\d{2})\.(\d{2})\b(?!\s*%)", r"\1\2", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\(\s*(?:such as|including|e\.g\.) [^)]*\)", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s*\(for special conditions relating to (?:products|goods) made of a mixture of textile materials[^)]*\)", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\.? for special conditions relating to products made of a mixture of textile materials", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\.? for the special conditions relating to '?specific processes'?,? see introductory notes? [\d.]+(?: and [\d.]+)*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\.?,? see (?:also )?introductory notes? \d+[^.]*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.rstrip(".,; ")


Codes = tuple[frozenset[tuple[str, str]], tuple[str, str, Decimal | None] | None]


def cover(pairs: Any, qualifier: tuple[str, str, Decimal | None] | None = None) -> Codes:
    """The codes a list of (low, high) covers, as merged six-digit intervals, so that 'chapter 07,
    chapter 08, 0801-0802' and 'chapters 07-08' compare equal; with the attribute that narrows them
    ('where worked_slate'), if any."""
    spans = sorted((low.ljust(6, "0"), high.ljust(6, "9")) for low, high in pairs)
    merged: list[list[str]] = []
    for low, high in spans:
        if merged and int(low) <= int(merged[-1][1]) + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return frozenset((low, high) for low, high in merged), qualifier


def _codes(text: str) -> Codes:
    """'heading 0805 or 2007', 'chapter 17', 'heading 5106 to heading 5113' -> the codes covered."""
    out = set()
    level = None
    for m in re.finditer(r"(chapters?|subheadings?|headings?)?\s*(\d+)(?:\s*(?:to|through|-)\s*(?:(?:sub)?headings?\s*|chapters?\s*)?(\d+))?", text):
        if m.group(1):
            level = m.group(1).rstrip("s")
        low, high = m.group(2), m.group(3) or m.group(2)
        width = 2 if level == "chapter" else len(low) if len(low) in (4, 6) else 2
        out.add((low.zfill(width), high.zfill(width)))
    if not out:
        raise Unread(f"codes in {text!r}")
    return cover(out)


NONE = cover(())

# a list of codes and nothing else: "heading 7106, heading 7108 and heading 7110", "chapter 17"
_C = r"(?:chapters?|(?:sub)?headings?) \d+(?:(?:, | and | or |, and |, or | to | through )(?:(?:chapters?|(?:sub)?headings?) )?\d+)*"


def _pct(text: str) -> Decimal:
    return Decimal(text)


# ---------------------------------------------------------------- materials named by what they are
# This reader's own reading of the HS 2022 for the materials the rules name by words: a phrase the
# HS has exact codes for is those codes; a phrase made of the nouns below is their chapters or
# headings; any other phrase is the set of materials a BOM says are so (an attribute named by the
# words), as the language's `codes NAME = chapters 01-97 where NAME` says.

_WOVEN = [("5007", "5007"), ("5111", "5113"), ("5208", "5212"), ("5309", "5311"), ("5407", "5408"), ("5512", "5516")]
_FABRICS = [*_WOVEN, ("5602", "5603"), ("5801", "5806"), ("5809", "5811"), ("5901", "5907"), ("6001", "6006")]  # felt, nonwovens, special and impregnated fabrics, knitted fabric
_EXACT: dict[str, list[tuple[str, str]]] = {
    "unwrought precious metals": [("710691", "710691"), ("710812", "710812"), ("711011", "711011"), ("711021", "711021"), ("711031", "711031"), ("711041", "711041")],
    "rubber thread or cord, not textile covered": [("4007", "4007")],
    "refined copper, unwrought, or waste and scrap of copper": [("740311", "740319"), ("7404", "7404")],
    "knife blades and handles of base metal": [("821194", "821195")],
    "mustard flour or meal or prepared mustard": [("210330", "210330")],
    "cellular wood panels, shingles and shakes": [("441850", "441850"), ("441892", "441892")],
    "natural magnesium carbonate (magnesite)": [("251910", "251910")],
    "unalloyed aluminium or waste and scrap of aluminium": [("760110", "760110"), ("7602", "7602")],
    "wood in the rough, whether or not stripped of its bark or merely roughed down": [("4403", "4403")],
    "bullion or work lead": [("780191", "780191"), ("780199", "780199")],
    "non-assembled, tanned or dressed furskins": [("430211", "430211"), ("430219", "430220")],
    "nibs or nib-points of the same heading as the product": [("960891", "960891")],
    "nibs or nib-points classified within the same heading": [("960891", "960891")],
}
_NOUNS: dict[str, list[tuple[str, str]]] = {
    "fabric": _FABRICS, "fruit": [("08", "08")], "nuts": [("0801", "0802")], "vegetables": [("07", "07")],
    "vegetable materials": [("06", "14")], "cereals": [("10", "10")], "fish": [("03", "03")], "meat": [("02", "02")],
    "milk": [("0401", "0404")], "sugar": [("1701", "1702")], "molasses": [("1703", "1703")], "maize": [("1005", "1005")],
    "olives": [("070992", "070992"), ("071120", "071120")],
}
# words that say which of a noun's materials, not another material: "the unprinted fabric used"
_FILLER = {"all", "the", "or", "and", "of", "used", "unprinted", "unembroidered", "uncoated", "unlaminated", "uncut", "unbleached", "edible", "roots", "tubers", "heading", "chapter", "other"}


def _slug(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", words).strip("_")


# materials named by words and a code: what this reader takes each to be (HS 2022). Those the words
# name whole are their codes; "assemblies of uppers ..." are some of 6406.10's uppers, which the BOM says
_PART_OF: dict[str, Codes] = {
    "potato starch": cover([("110813", "110813")]),
    "welded angles, shapes and sections": cover([("730120", "730120")]),
    "uppers": cover([("640610", "640610")]),
    "assemblies of uppers affixed to inner soles or to other sole components": cover([("640610", "640610")], ("assemblies_of_uppers_affixed_to_inner_soles_or_to_other_sole_components", "is", None)),
    "inner or outer rings or races": cover([("848299", "848299")], ("inner_or_outer_rings_or_races", "is", None)),  # parts of bearings: cages too
    "housings": cover([("850870", "850870")], ("housings", "is", None)),  # parts of vacuum cleaners
    "control panels": cover([("853710", "853710")], ("control_panels", "is", None)),  # boards, panels, consoles, desks, cabinets
    "stators or rotors": cover([("8503", "8503")], ("stators_and_rotors", "is", None)),  # CPTPP writes both
    "stators and rotors": cover([("8503", "8503")], ("stators_and_rotors", "is", None)),  # parts of motors and generators
    "forged blanks": cover([("7207", "7207")], ("forged_blanks", "is", None)),  # semi-finished iron and steel
    "waste and scrap": None,  # the whole of the waste-and-scrap headings named (7404, 7802, 7902 ...)
    "prepared or preserved vegetables": None,  # 2002-2005: the whole headings
    "hulls": None,  # 8906: an unfinished vessel is classified as the vessel, so a hull of 8906 is 8906's
    "bones": None,  # 0506: bones and horn-cores
    "drawn wood": cover([("4409", "4409")], ("drawn_wood", "is", None)),  # 4409's drawn wood, which the BOM says: the rest of 4409 may be used
    "yarn": None,  # the yarn headings the list names (5004-5006, 5106-5110 ...)
    "fabric": None,  # the fabric headings the list names
}


def _described_codes(text: str) -> Codes | None:
    """'potato starch of heading 1108' -> its codes by the table above; None for words it lacks.
    A list may mix codes and described codes: 'those of heading 0203 or heading 0207 or bones of heading 0506'."""
    text = re.sub(r"^those of ", "", text)
    if m := re.fullmatch(r"[a-z ]+ of (?:sub)?heading (\d+) containing more than " + _PCT + r" by dry weight of ([a-z ]+)", text):
        return cover([(m.group(1), m.group(1))], (_slug(m.group(3)), ">", _pct(m.group(2))))  # those the BOM says hold more
    if (m := re.fullmatch(r"(" + _C + r"),? or ([a-z][a-z ,]*? of " + _C + ")", text)) and (part := _described_codes(m.group(2))) and part[1] is None:
        return cover([*_codes(m.group(1))[0], *part[0]])
    m = re.fullmatch(r"(.+?),? of (" + _C + ")", text)
    if m is None or m.group(1) not in _PART_OF:
        return None
    return _PART_OF[m.group(1)] or _codes(m.group(2))


def _heads(text: str) -> set[str]:
    """'heading 3701 and heading 3702' -> {'3701', '3702'}; only headings are read so."""
    out = set()
    for low, high in _codes(text)[0]:
        if not low.endswith("00") or not high.endswith("99") or int(high) - int(low) > 9999:
            raise Unread(f"not headings: {text!r}")
        out |= {f"{h:04d}" for h in range(int(low[:4]), int(high[:4]) + 1)}
    return out


def _material(phrase: str) -> Codes:
    phrase = phrase.strip(" ,").replace("'", "")  # "'bullion' or 'work' lead"
    if m := re.fullmatch(r"(?:(?:unprinted |non-originating )?(?:materials?|goods|animals|products?) )?of (" + _C + ")", phrase):
        return _codes(m.group(1))  # "materials of chapter 3", "the unprinted goods of heading 6213 and heading 6214"
    if phrase in _EXACT:
        return cover(_EXACT[phrase])
    rest, found = phrase, []
    for noun in sorted(_NOUNS, key=len, reverse=True):
        if re.search(rf"\b{noun}\b", rest):
            found += _NOUNS[noun]
            rest = re.sub(rf"\b{noun}\b", " ", rest)
    rest = re.sub(r"\b\d+\b", " ", rest)  # "roots and tubers of heading 0714": within the nouns' chapters
    if found and set(re.findall(r"[a-z][a-z\-]*", rest)) <= _FILLER:
        return cover(found)
    words = re.sub(r"\bany material\b", "materials", phrase)
    if re.search(r"\d|:", words) or len(words.split()) > 20 or len(_slug(words)) > 128:
        raise Unread(f"material {phrase!r}")
    return cover([("01", "97")], (_slug(words), "is", None))


_JOINS = re.compile(r"\b(?:accompanied by|combined with|preceded by|followed by)\b")


def _process(words: str, condition: DNF | None = None) -> DNF:
    """A process named by its words; where the words join several by "or", each one that links
    two operations of its own starts an alternative ("weaving accompanied by dyeing or by coating
    or printing accompanied by ..."): the parts without a link go with the alternative before
    them (or, leading, the one after). A condition ("provided that ...") is the last one's."""
    parts = re.split(r",? or (?!by\b|with\b)", words)
    linked = [i for i, part in enumerate(parts) if _JOINS.search(part)]
    starts = [0, *linked[1:]] if len(linked) > 1 else [0]
    names = [" or ".join(parts[a:b]) for a, b in zip(starts, [*starts[1:], len(parts)])]
    alternatives = [one(("process", _slug(n))) for n in names]
    if condition is not None:
        alternatives[-1] = all_of(alternatives[-1], condition)
    return any_of(*alternatives)


_PCT = r"(\d+(?:\.\d+)?)%"
_OF_PRICE = r"of the (?:ex-works price|transaction value or ex-works price|ex-works price \(exw\)) of the (?:product|products|good)"
_NAMED = r"(?:making up,? preceded by printing|printing, accompanied by|making up preceded by printing|twisting or texturing|coating|rubberising|flocking|hand-decoration|twisting or texturing accompanied by weaving|making up, followed by printing|operations of refining|specific process\(es\)|electrolytic, thermal or chemical separation|alloying of precious metals|removal of wool|cutting of glassware|process rule|turning, drilling|the operation of diffusion|thermal or electrolytic treatment|electrolytic or thermal treatment|(?:making-up preceded by )?printing accompanied by)"


def _second(c: str, own: tuple[str, ...] | None) -> DNF | None:
    """Processes with a value limit, materials named by words, 'however' clauses and the other
    phrasings read since 2026-11 (tried before the older readings in _clause, which some of these
    would otherwise fall into): None where none applies, Unread where one applies but cannot be read."""
    if m := re.fullmatch(rf"({_NAMED}.*?),? provided (?:that )?the value of (?:all )?(?:the )?non-originating materials used does not exceed {_PCT} of the ex-works price \(exw\) or {_PCT} of the free on board \(fob\) cost of the (?:product|goods?)", c):
        # Japan: either limit, on its own basis
        return _process(m.group(1), any_of(one(("vnm", None, "any", _pct(m.group(2)))), one(("vnm", None, "any", _pct(m.group(3))))))
    if (m := re.fullmatch(r"(?:in which )?the (individual |total combined |total |combined )?(?:net )?weight of (?:non-originating )?(.+?) used (?:in production )?does not exceed " + _PCT + r" of the (?:net )?weight of the (?:final )?(?:product|good)", c)) and re.search(r"\band\b|materials of", m.group(2)):
        # weights on groups of materials: "the individual weight of sugar and of the materials of chapter 4"
        # (a limit on each), "the total combined weight of sugar and the materials of chapter 4" (one on all)
        groups = [_codes(g.split(" of ", 1)[1]) if re.match(r"(?:the )?materials of ", g) else _material(g) for g in re.split(r",? and (?:of )?(?=sugar\b|the materials\b|materials\b)", m.group(2))]
        if m.group(1) == "individual ":
            return all_of(*(one(("vnm", g, "net_weight", _pct(m.group(3)))) for g in groups))
        return one(("vnm", cover([pair for g in groups for pair in g[0]]), "net_weight", _pct(m.group(3))))
    if m := re.fullmatch(rf"({_NAMED}.*?),? (?:provided (?:that )?|where )the (?:total )?value of (?:all )?(?:the )?(?:non-originating )?(.+?)(?: used)? does not exceed {_PCT} {_OF_PRICE}", c):
        scope = None if m.group(2) == "materials" else _material(m.group(2))  # "the value of all the materials used": every one
        return _process(m.group(1), one(("vnm", scope, "any", _pct(m.group(3)))))
    if m := re.fullmatch(rf"(?:by )?({_NAMED}.*?)(?: in which the value of all the materials used does not exceed {_PCT} {_OF_PRICE}|(?<=treatment) from (.+))?", c):
        words = re.sub(r"^the operation of diffusion.*", "diffusion", m.group(1))
        out = _process(words)
        if m.group(2):
            return _process(words, one(("vnm", None, "any", _pct(m.group(2)))))
        if m.group(3):
            return _process(words, one(("manufacture", _material(m.group(3)), NONE, None)))
        return out
    if m := re.fullmatch(r"from materials of any heading,? including other materials of (" + _C + r")(?:\. (?:however, )?(?:the )?(.+?) may (?:also )?be used,? provided (?:that )?their (?:total )?value does not exceed " + _PCT + " " + _OF_PRICE + ")?", c):
        if m.group(2) is None:
            return one(("manufacture", None, NONE, None))
        return all_of(one(("manufacture", None, NONE, None)), one(("vnm", _material(m.group(2)), "any", _pct(m.group(3)))))
    if m := re.fullmatch(r"from materials of any heading\. however, the value of all the materials of (" + _C + r") used (?:must|may) not exceed " + _PCT + " " + _OF_PRICE, c):
        return all_of(one(("manufacture", None, NONE, None)), one(("vnm", _codes(m.group(1)), "any", _pct(m.group(2)))))
    if own is not None and len(own) == 1 and (m := re.fullmatch(r"(?:in which |(?:where,? )?within the above limit, )?the (?:value of (?:all the|any) materials (?:of|classified in|classified within)|materials classified within) the same heading as the product (?:used )?(?:does not exceed|are only used up to a value of) " + _PCT + " " + _OF_PRICE, c)):
        return one(("vnm", cover([(own[0], own[0])]), "any", _pct(m.group(1))))
    if m := re.fullmatch(r"(from materials of any heading,? except that of the (?:product|good)|(?:in which )?all the materials used (?:are|is) classified (?:with)?in a heading other than that of the (?:product|good))\. however, (?:the )?(?:other )?materials (?:of|from) (" + _C + r") may be used,? provided (?:that )?their (?:total )?value(?: taken together,)? does not exceed " + _PCT + " " + _OF_PRICE, c):
        # the product's own heading let in up to a value, with others the change of heading allowed anyway
        allowed, pct = _heads(m.group(2)), _pct(m.group(3))
        if own is None or not set(own) <= allowed:
            raise Unread(c[:80])  # lets in other headings only, or the rule set's headings are not known
        if len(own) == 1 and allowed == set(own):
            return one(("shift", 4, NONE, pct))
        return any_of(one(("shift", 4, NONE, None)), one(("vnm", _codes(m.group(2)), "any", pct)))
    if m := re.fullmatch(r"(?:from materials of any heading,? except (?:those of )?|(?:in which )?all the materials used (?:are|is) classified within a heading other than )(" + _C + r")\. however, (?:materials|tools) (?:of|from) (" + _C + r") may be (?:used|incorporated into the set),? provided (?:that )?their (?:total )?value(?: taken together,)? does not exceed " + _PCT + r" of the ex-works price of the (?:product|good|set)", c):
        # excepted headings let in up to a value: the others stay excepted; headings the main rule
        # allowed anyway keep it as an alternative
        excepted, allowed, pct = _heads(m.group(1)), _heads(m.group(2)), _pct(m.group(3))
        if not excepted & allowed:
            raise Unread(c[:80])
        rest = sorted(excepted - allowed)
        arm = all_of(*([one(("manufacture", None, cover([(h, h) for h in rest]), None))] if rest else []), one(("vnm", _codes(m.group(2)), "any", pct)))
        return arm if allowed <= excepted else any_of(one(("manufacture", None, _codes(m.group(1)), None)), arm)
    if (m := re.fullmatch(r"from (materials|wood) of any heading,? except (?:from )?(.+? of " + _C + ")", c)) and (part := _described_codes(m.group(2))):
        return one(("manufacture", _codes("chapter 44") if m.group(1) == "wood" else None, part, None))  # wood is chapter 44, nothing else
    if (m := re.fullmatch(r"(?:from materials of any heading,? except that of the (?:product|good)|(?:in which )?all the materials used (?:are|is) classified within a heading other than that of the (?:product|good))\. however, (.+? of " + _C + ") may not be used", c)) and (part := _described_codes(m.group(1))):
        return one(("shift", 4, part, None))
    if (m := re.fullmatch(r"a change (?:to .+? )?from any other (chapter|heading|subheading),? except from (.+)", c)) and (part := _described_codes(m.group(2))):
        return one(("shift", _LEVEL[m.group(1)], part, None))
    if own is not None and len(own) == 1 and re.fullmatch(r"from (?:worked )?carving materials of the same heading(?: as the product)?", c):
        return one(("manufacture", cover([(own[0], own[0])]), NONE, None))  # 9601's own worked materials
    if m := re.fullmatch(r"(?:in which )?the value of all the materials used, except natural rubber, does not exceed " + _PCT + " " + _OF_PRICE, c):
        # natural rubber: 4001.10 to 4001.29 (latex, smoked sheets, technically specified, other)
        return one(("vnm", cover([("01", "39"), ("400130", "400130"), ("4002", "4017"), ("41", "97")]), "any", _pct(m.group(1))))
    if (m := re.fullmatch(r"a change from (" + _C + r"),? whether or not there is also a change from any other (heading|subheading),? provided that the value of non-originating materials of (" + _C + r") does not exceed " + _PCT + " " + _OF_PRICE, c)) and m.group(1) == m.group(3):
        # those materials may fail the change, up to the value
        return all_of(one(("shift", _LEVEL[m.group(2)], NONE, _codes(m.group(1)))), one(("vnm", _codes(m.group(1)), "any", _pct(m.group(4)))))
    if m := re.fullmatch(r"(?:in which )?the (?:total |net )?weight of (?:non-originating )?sugar used (?:in production )?does not exceed " + _PCT + r" of the (?:net )?weight of the (?:final )?(?:product|good)", c):
        return one(("vnm", cover({("1701", "1702")}), "net_weight", _pct(m.group(1))))
    if (m := re.fullmatch(r"from materials of any (heading|subheading),? except that of the (?:product|good) and (.+? of " + _C + ")", c)) and (part := _described_codes(m.group(2))):
        return one(("shift", _LEVEL[m.group(1)], part, None))
    if m := re.fullmatch(r"a change from within (?:this|any one of these) (heading|subheading),? whether or not there is also a change from any other \1,? provided that the value of non-originating materials (?:of this \1|classified in the same \1 as the (?:final )?(?:product|good)) does not exceed " + _PCT + " " + _OF_PRICE, c):
        return one(("shift", _LEVEL[m.group(1)], NONE, _pct(m.group(2))))
    if m := re.fullmatch(r"each item in the set (?:must|shall) satisfy the rule,? which would apply to it if it were not included in the set[.,]? (?:however|provided that),? (?:provided that )?non-originating articles may be incorporated,? provided (?:that )?their total value does not exceed " + _PCT + r" of the ex-works price(?: \(exw\))? of the set", c):
        return one(("vnm", None, "any", _pct(m.group(1))))  # the articles on sets: non-originating items up to that share
    if m := re.fullmatch(r"a change from within (?:this|any one of these) (heading|subheading),? whether or not there is also a change from any other \1,? provided that the value of non-originating materials (?:of this heading|classified in the same heading as the final product) does not exceed " + _PCT + " " + _OF_PRICE, c):
        return one(("shift", _LEVEL[m.group(1)], NONE, _pct(m.group(2))))
    if m := re.fullmatch(r"a change from within (?:this|any one of these) (?:heading|subheading) or any other (?:heading|subheading)(?:,? except from (" + _C + r"))?", c):
        return one(("manufacture", None, _codes(m.group(1)) if m.group(1) else NONE, None))  # any change at all, or none
    if m := re.fullmatch(r"(?:no change in tariff classification required, provided )?there is a regional value content of not less than " + _PCT + r" under the (build-up|build-down) method", c):
        return one(("rvc", m.group(2).replace("-", "_"), _pct(m.group(1))))
    if m := re.fullmatch(r"no change in tariff classification required, provided that the good is ((?:smoked|crushed or ground) from a good that is not (?:smoked|crushed or ground))", c):
        return _process(m.group(1))
    if m := re.fullmatch(r"(cc|cth|ctsh)(?: except from non-originating materials of (" + _C + r"))?,? provided (?:that )?(.+)", c):
        return all_of(one(("shift", _LEVEL[m.group(1)], _codes(m.group(2)) if m.group(2) else NONE, None)), _clause(m.group(3), own))
    if m := re.fullmatch(r"(cc|cth|ctsh) and (.+)", c):
        return all_of(one(("shift", _LEVEL[m.group(1)], NONE, None)), _clause(m.group(2), own))
    if m := re.fullmatch(r"(a change from any other (?:chapter|heading|subheading)(?:,? except from .+?)?),? provided (?:that )?(.+)", c):
        return all_of(_clause(m.group(1), own), _clause(m.group(2), own))
    if m := re.fullmatch(r"the (?:product|good) is (?:both )?((?:cut|knit) .+)", c):
        return _process(m.group(1))
    if m := re.fullmatch(r"the value of the non-originating (.+?) does not exceed " + _PCT + " " + _OF_PRICE, c):
        return one(("vnm", _material(m.group(1)), "any", _pct(m.group(2))))
    if m := re.fullmatch(r"from (?:non-originating )?materials of any heading,? (in which .+)", c):
        return all_of(one(("manufacture", None, NONE, None)), _clause(m.group(1), own))
    if m := re.fullmatch(r"a change from within (?:this|any one of these) (?:heading|subheading) or any other (?:heading|subheading),? provided (?:that )?(.+)", c):
        return all_of(one(("manufacture", None, NONE, None)), _clause(m.group(1), own))
    if m := re.fullmatch(r"(cc|cth|ctsh),? except (?:from )?(?:non-originating materials of )?(" + _C + ")", c):
        return one(("shift", _LEVEL[m.group(1)], _codes(m.group(2)), None))
    if m := re.fullmatch(r"(from materials of any (?:heading|subheading),? except that of the (?:product|good)),? (in which .+)", c):
        return all_of(_clause(m.group(1), own), _clause(m.group(2), own))
    if m := re.fullmatch(r"from materials of (" + _C + r"),? provided (?:that )?their (?:total )?value does not exceed " + _PCT + " " + _OF_PRICE, c):
        return all_of(one(("manufacture", _codes(m.group(1)), NONE, None)), one(("vnm", _codes(m.group(1)), "any", _pct(m.group(2)))))
    if m := re.fullmatch(r"(?:in which )?all the ((?!materials used\b).+?) used (?:are|is|must be|must already be) originating", c):
        return one(("vnm", _material(m.group(1)), "any", Decimal(0)))  # "all the cereals, sugar or molasses, meat or milk used are originating"
    if re.fullmatch(r"all the materials used (?:are|must already be) originating", c):
        return one(("vnm", None, "any", Decimal(0)))
    if m := re.fullmatch(r"(?:from materials of any (heading|subheading), except that of the (?:product|good)|(?:in which )?all the materials used (?:are|is) classified within a (heading|subheading) other than that of the (?:product|good))\. however, (.+?) may be used", c):
        if re.search(r"\d|provided", m.group(3)):
            raise Unread(c[:80])
        return one(("shift", _LEVEL[m.group(1) or m.group(2)], NONE, _material(m.group(3))))
    if m := re.fullmatch(r"(?:in which )?all the (.+?) used (?:are|is|must be|shall be) wholly obtained(?:\. however, materials of (" + _C + r") may be used)?", c):
        wo = _material(m.group(1))
        if m.group(2) and any(int(lo) <= int(h2) and int(l2) <= int(hi) for lo, hi in wo[0] for l2, h2 in _codes(m.group(2))[0]):
            raise Unread(c[:80])  # the however takes back some of the materials: not read here
        return one(("wo", wo))
    if m := re.fullmatch(r"from (unembroidered|uncoated|unprinted|unbleached) fabric,? provided (?:that )?the value of (?:the |non-originating )\1 fabric used does not exceed " + _PCT + " " + _OF_PRICE, c):
        return all_of(one(("manufacture", "fabric", NONE, None)), one(("vnm", cover(_FABRICS), "any", _pct(m.group(2)))))
    if m := re.fullmatch(r"from ([a-z][a-z ,'\-()]*?)(?:, provided that the value of all the materials used does not exceed " + _PCT + " " + _OF_PRICE + ")?", c):
        if re.search(r"\b(?:fabric|yarn|fibres?|silk|pulp|paper|filaments?|materials of any|any heading)\b|\bhowever\b|\bprovided\b|:", m.group(1)):
            return None  # a textile stage or a rule with conditions: read below
        made = one(("manufacture", _material(m.group(1).strip("'")), NONE, None))
        return all_of(made, one(("vnm", None, "any", _pct(m.group(2))))) if m.group(2) else made
    return None


def _clause(c: str, own: tuple[str, ...] | None = None) -> DNF:
    c = c.strip(" ,;-.")
    c = re.sub(r"^other operations than those referred to (?:in column|above) ", "", c)
    c = re.sub(r"^(manufacture|production|other operations)\s*(in which)?:?\s*", "", c).strip(" ,-")
    if not c:
        raise Unread("empty")
    if (second := _second(c, own)) is not None:
        return second
    if m := _BOILER.match(c):
        shift = one(("shift", _LEVEL[m.group(1)], NONE, None))
        rest = c[m.end():].strip()
        if not rest:
            return shift
        if rest.startswith("and "):
            return all_of(shift, _clause(rest[4:]))
        raise Unread(rest[:80])
    if m := re.fullmatch(r"(cc|cth|ctsh)", c):
        return one(("shift", _LEVEL[m.group(1)], NONE, None))
    if m := re.fullmatch(r"no change in tariff classification required(?: for a good of (?:sub)?heading \d+)?, provided there is a regional value content of not less than: (- .*)", c):
        # CPTPP: "- a) 30% under the build-up method. - b) 40% under the build-down method. - c) 50% under
        # the focused value method taking into account only the non-originating materials of heading 4304"
        items = [i.strip(" .;") for i in re.split(r"(?:^|\s)- (?=[a-h]\))", m.group(1)) if i.strip(" .;")]
        alternatives = []
        for item in items:
            it = re.fullmatch(r"[a-h]\) (\d+(?:\.\d+)?)% under the (build-up|build-down|focused value) method(?: taking into account only the non-originating materials of (" + _C + r"))?(?:,? or)?", item)
            if it is None or (it.group(2) == "focused value") != bool(it.group(3)):
                raise Unread(item[:80])
            pct = _pct(it.group(1))
            if it.group(2) == "focused value":  # the focused materials' value at most 100% - RVC
                alternatives.append(one(("vnm", _codes(it.group(3)), "any", Decimal(100) - pct)))
            else:
                alternatives.append(one(("rvc", it.group(2).replace("-", "_"), pct)))
        return any_of(*alternatives)
    if m := re.fullmatch(r"(cc|cth|ctsh),? however, materials of the same (?:heading|subheading) as the (?:product|good) may be used, provided (?:that )?their (?:total )?value does not exceed (\d+(?:\.\d+)?)% of the ex-works price of the (?:product|good)", c):
        return one(("shift", _LEVEL[m.group(1)], NONE, _pct(m.group(2))))
    if m := re.fullmatch(r"(cc|cth|ctsh),? except from non-originating materials of (" + _C + r")", c):
        return one(("shift", _LEVEL[m.group(1)], _codes(m.group(2)), None))
    if m := re.fullmatch(r"from materials of any (heading|subheading), except that of the (?:product|good),? and (?:of )?(" + _C + r")", c):
        return one(("shift", _LEVEL[m.group(1)], _codes(m.group(2)), None))
    if m := re.fullmatch(r"all the materials used are classified within a (?:heading|subheading) other than (" + _C + r")", c):
        return one(("manufacture", None, _codes(m.group(1)), None))
    if m := re.fullmatch(r"from materials not classified (?:in|within) (" + _C + r")", c):
        return one(("manufacture", None, _codes(m.group(1)), None))
    if m := re.fullmatch(r"where,? within the above limit, the materials classified within (" + _C + r") are only used up to a value of (\d+(?:\.\d+)?)% of the ex-works price of the (?:product|good)", c):
        return one(("vnm", _codes(m.group(1)), "any", _pct(m.group(2))))
    if m := re.fullmatch(r"from materials of any (heading|subheading|chapter),? except that of the (?:product|good)(?:\. however, materials (?:of the same (?:heading|subheading) as the (?:product|good)|classified within the same heading) may be used,? provided (?:that )?their (?:total )?value does not exceed (\d+(?:\.\d+)?)% of the ex-works price of the (?:product|good))?", c):
        return one(("shift", _LEVEL[m.group(1)], NONE, _pct(m.group(2)) if m.group(2) else None))
    if m := re.fullmatch(r"(?:in which )?all the materials used (?:are|is) classified (?:with)?in a (heading|subheading) other than that of the (?:product|good)(?:\. however, materials (?:of the same heading as the (?:product|good)|classified within the same heading) may be used,? provided (?:that )?their (?:total )?value does not exceed (\d+(?:\.\d+)?)% of the ex-works price of the (?:product|good))?", c):
        return one(("shift", _LEVEL[m.group(1)], NONE, _pct(m.group(2)) if m.group(2) else None))
    if m := re.fullmatch(r"(?:in which )?the value of all (?:the )?(?:non-originating )?materials used does not exceed (\d+(?:\.\d+)?)% " + _OF_PRICE, c):
        return one(("vnm", None, "any", _pct(m.group(1))))
    if m := re.fullmatch(r"(?:in which |(?:where,? )?within the above limit, )?the value of (?:all the|any|the) materials of (" + _C + r") used (?:does|may) not exceed (\d+(?:\.\d+)?)% of the ex-works price of the (?:product|good)", c):
        return one(("vnm", _codes(m.group(1)), "any", _pct(m.group(2))))
    if m := re.fullmatch(r"(?:in which )?at least (\d+(?:\.\d+)?)% by weight of the [a-z ,\-]+? of (" + _C + r") used (?:is|must be|must already be) originating", c):
        return one(("vnm", _codes(m.group(2)), "materials_weight", Decimal(100) - _pct(m.group(1))))
    if re.fullmatch(r"(?:in which |where )?the value of all the non-originating materials used does not exceed the value of (?:all )?the originating materials used", c):
        return one(("vnm", None, "materials", Decimal(50)))
    if m := re.fullmatch(r"the (?:product|good) has a regional value content \(rvc\) as calculated under article \d+ of the origin reference document of not less than (\d+)%, whether using the build-up method or build-down method \(rvc ?\d+\)", c):
        return any_of(one(("rvc", "build_up", _pct(m.group(1)))), one(("rvc", "build_down", _pct(m.group(1)))))
    if m := re.fullmatch(r"your goods contain a regional value content \(rvc\) of at least (\d+(?:\.\d+)?)% of the free on board \(fob\) cost of the goods?", c):
        return one(("rvc", "build_down", _pct(m.group(1))))  # Japan: (FOB - VNM) / FOB
    if m := re.fullmatch(r"a maximum of (\d+(?:\.\d+)?)% of the ex-works price \(exw\) is made up of non-originating (?:parts|materials) \(maxnom\)", c):
        return one(("vnm", None, "any", _pct(m.group(1))))
    if m := re.fullmatch(r"the maximum value of non-originating materials \(maxnom\) cannot exceed (\d+(?:\.\d+)?)% of the ex-works price \(exw\) of the (?:product|good)", c):
        return one(("vnm", None, "any", _pct(m.group(1))))
    if m := re.fullmatch(r"the (?:total |net )?weight of non-originating materials? of (" + _C + r")(?: used)? (?:in production )?does not exceed (\d+(?:\.\d+)?)% of the (?:net )?weight of the (?:product|good)", c):
        return one(("vnm", _codes(m.group(1)), "net_weight", _pct(m.group(2))))
    # "the individual weight of sugar and of the materials of chapter 4 used does not exceed 20% of the
    # weight of the product": each group alone; "the total combined weight of ...": the groups together
    if m := re.fullmatch(r"the (individual|total combined) weight of (sugar|the materials of chapter \d+) and (?:of )?(sugar|the materials of chapter \d+) used does not exceed (\d+(?:\.\d+)?)% of the weight of the (?:product|good)", c):
        groups = [cover({("1701", "1702")}) if g == "sugar" else _codes(g.removeprefix("the materials of ")) for g in m.group(2, 3)]
        if m.group(1) == "individual":
            return all_of(*(one(("vnm", g, "net_weight", _pct(m.group(4)))) for g in groups))
        return one(("vnm", cover(groups[0][0] | groups[1][0]), "net_weight", _pct(m.group(4))))
    if m := re.fullmatch(r"the (?:total |net )?weight of non-originating sugar used (?:in production )?does not exceed (\d+(?:\.\d+)?)% of the (?:net )?weight of the (?:product|good)", c):
        return one(("vnm", cover({("1701", "1702")}), "net_weight", _pct(m.group(1))))  # sugar: headings 1701-1702
    if m := re.fullmatch(r"(?:in which )?all the materials of (" + _C + r") used (?:are|must be|shall be) wholly obtained(?: in the country or territory)?", c):
        return one(("wo", _codes(m.group(1))))
    if m := re.fullmatch(r"(?:in which )?all the olive oils of (" + _C + r") are wholly obtained", c):  # Canada 1509-1510: the materials of those headings
        return one(("wo", _codes(m.group(1))))
    if re.fullmatch(r"all (?:the )?(?:animals|goods|cereals) (?:of chapter \d+ )?(?:are|must be|shall be) wholly obtained", c):
        return one(("wo", None))
    if re.fullmatch(r"from materials of any heading", c) or re.fullmatch(r"from non-originating materials of any heading", c):
        return one(("manufacture", None, NONE, None))
    if m := re.fullmatch(r"from materials of any heading, except those of (" + _C + r")", c):
        return one(("manufacture", None, _codes(m.group(1)), None))
    if m := re.fullmatch(r"from (yarn|fabric|unbleached single yarn|single yarn)", c):
        return one(("manufacture", m.group(1).split()[-1], NONE, None))
    if m := re.fullmatch(r"from materials of (" + _C + r")", c):
        return one(("manufacture", _codes(m.group(1)), NONE, None))
    if m := re.fullmatch(r"from materials of any heading,? except (?:those of )?(" + _C + r")", c):
        return one(("manufacture", None, _codes(m.group(1)), None))
    if m := re.fullmatch(r"from (?![a-z ,\-]*\bany\b)[a-z ,\-]+? of (" + _C + r")", c):
        return one(("manufacture", _codes(m.group(1)), NONE, None))
    if c.startswith("from") and "%" not in c and not re.search(r"\d", c):
        # a list of stages: "from: - raw silk ..., - natural fibres ..., or - paper-making materials"
        stage = "fabric" if "fabric" in c else "yarn" if "yarn" in c else "fibres" if re.search(r"fibres|silk|pulp|paper", c) else None
        yarns = re.findall(r"\b(?:(coir|jute|sisal|classical ring spun viscose) )?yarns?\b", c)
        if stage == "yarn" and all(yarns):  # every yarn the list admits is named: those, not any yarn
            stage = "fibres_or_" + "_or_".join(f"{y.replace(' ', '_')}_yarn" for y in sorted(set(yarns)))
        if stage is None or "provided" in c or "however" in c:  # "however, ... reinforcing fabric ... may be used": not a stage
            raise Unread(c[:80])
        return one(("manufacture", stage, NONE, None))
    if m := re.fullmatch(r"non-originating materials (?:used )?undergo an? ([a-z\-]+)", c):  # "... undergo a diffusion": that process
        return one(("process", m.group(1).replace("-", "_")))
    if m := re.fullmatch(r"a? ?(.+), or (.+) is undergone", c):
        items = [i.strip() for i in m.group(1).split(",")] + [m.group(2).strip()]
        return any_of(*(one(("process", re.sub(r"[^a-z0-9]+", "_", re.sub(r"^an? ", "", i)).strip("_"))) for i in items))
    if re.match(r"^(?:[a-z\-]+ )?[a-z\-]*(?:ing|tion|sion|process\(es\))\b", c) and "%" not in c and "provided" not in c and not c.startswith(("a change", "manufacture", "the ", "all ")):
        # a specific process, named by its words: "weaving, combined with making-up"
        return _process(c)
    if m := re.fullmatch(r"a change (?:to .+? )?from any other (chapter|heading|subheading)(?: (?:within|in) (?:that|this) (?:chapter|heading))?(?:,? except from (" + _C + r"))?", c):
        excepted = _codes(m.group(2)) if m.group(2) else NONE
        return one(("shift", _LEVEL[m.group(1)], excepted, None))
    raise Unread(c[:80])


def _split_and(text: str) -> list[str]:
    """'manufacture: - A, and - B' / 'manufacture in which: - A - B' -> [A, B]."""
    _, sep, rest = text.partition(": -")
    if not sep:
        return [text]
    parts = re.split(r",? (?:and )?- ", rest)
    return [p for p in (x.strip(" ,") for x in parts) if p]


def read_entry(text: str, own: tuple[str, ...] | None = None) -> DNF:
    """The entry's reading; `own`: the rule set's headings (None for a range of 100 or more)."""
    t = _plain(text)
    until = None
    if m := re.search(r"\s*\((?:for the period from [^)]*? )?until (\d+) (\w+) (\d{4})\)\s*$", t):
        until = dt.date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
        t = t[: m.start()].rstrip(" .")
    if m := _BOILER.match(t):  # "cth: all non-originating materials ... (tariff heading), provided that: ..."
        t = m.group(1) + t[m.end():]
    t = re.sub(r"^(manufacture|production) - ", r"\1: - ", t)
    # "manufacture in which: all the materials used are classified ... product the value of all ...": two conditions, the "and" lost
    t = re.sub(r"^(manufacture in which: all the materials used are classified within a heading other than that of the product) (the value of)", r"\1 and \2", t)  # "manufacture - from ..., and - in which ...": the same list
    if m := re.fullmatch(r"(?:manufacture|production): - (.+?),? and / or - (.+)", t):  # either condition, or both
        body = any_of(_clause(m.group(1), own), _clause(m.group(2), own))
    elif m := re.fullmatch(r"(?:manufacture|production)(?: in which)?: ((?:in which )?the value .+?|from materials .+?|all the materials used are classified .+?),? and ((?:in which |within the above limit, |the value ).+)", t):
        body = all_of(_clause(m.group(1), own), _clause(m.group(2), own))
    elif m := re.fullmatch(r"manufacture: in which (the value of all the materials used does not exceed .+? of the product) where (the value of all the non-originating materials used does not exceed the value of the originating materials used)", t):
        body = all_of(_clause(m.group(1), own), _clause(m.group(2), own))
    elif re.match(r"^(manufacture|production)( in which)?: ?- ", t) or re.match(r"^manufacture in which: - ", t):
        body = all_of(*(_clause(p, own) for p in _split_and(t)))
    elif m := re.match(r"^manufacture (from materials of any (?:heading|subheading), except that of the (?:product|good)),? in which: - ", t):
        body = all_of(_clause(m.group(1), own), *(_clause(p, own) for p in _split_and(t)))
    elif m := re.match(r"^(cc|cth|ctsh|a change from any other (?:chapter|heading|subheading)),? provided that: - ", t):
        # "cth, provided that: - A, and - B": the shift and each condition
        body = all_of(_clause(m.group(1), own), *(_clause(p, own) for p in _split_and(t)))
    elif m := re.fullmatch(r"(manufacture from materials of any (?:heading|subheading), except that of the (?:product|good)) or (manufacture in which .*)", t):
        body = any_of(_clause(m.group(1), own), _clause(m.group(2), own))
    else:
        body = _clause(t, own)
    return all_of(body, one(("until", until))) if until else body


# the goods an entry is for: "a change to anvils ... of subheading 820590 from ...", "no change in
# tariff classification required for surimi ..., provided", "for any other product of 071290, ..."
_FOR = re.compile(r"^(?:a change to (?P<to>.+?) (?=from (?:any|within)\b)|no change in tariff classification (?:is )?required for (?P<for>.+?)(?=,? provided\b|$)|for (?P<other>any other (?:good|product) of [^,]+), )")
OTHER = "any other"


def _goods(text: str) -> tuple[str | None, str]:
    """(None for every good of the rule set's codes, a description, or OTHER; the entry without them)."""
    t = _plain(text)
    m = _FOR.match(t)
    if m is None:
        return None, t
    rest = t[m.end():]
    head = "a change " if m.group("to") else "no change in tariff classification required" if m.group("for") else ""
    goods = (m.group("to") or m.group("for") or m.group("other")).strip(" ,")
    if goods.startswith("any other"):
        return OTHER, head + rest
    if re.fullmatch(r"(?:(?:a |any )?goods? of )?" + _C, goods):
        return None, head + rest
    return goods, head + rest


def read_rule_set(rs: dict[str, Any]) -> list[tuple[str | None, DNF | None]]:
    """[(the subdivision, the reading or None if unread)]: one reading for the whole code range, or
    one per description of goods and one for any other good, each with the entries for every good."""
    entries: list[str] = []
    for r in rs["rules"]:
        text = str(r.get("rule", ""))
        if re.match(r"\s*-\s*[b-h]\)", _plain(text)) and entries:
            entries[-1] += " " + text  # "- b) 40% under the build-down method": the list of the entry before
            continue
        entries.append(text)
    marked = [(*_goods(e), e) for e in entries]
    goods = [None] if all(d is None for d, _, _ in marked) else [*dict.fromkeys(d for d, _, _ in marked if d not in (None, OTHER)), OTHER]
    out: list[tuple[str | None, DNF | None]] = []
    for g in goods:
        mine = [t for d, t, _ in marked if d in (g, None)]
        if not mine:
            continue
        # the subdivision's name is the importer's (as the rows sharing a code, above); the reading is this one
        name = None if g is None else _subdivision_name(next((e for d, _, e in marked if d == g), None) if g != OTHER else None, rs)
        try:
            low, high = int(rs["min"][:4]), int(rs["max"][:4])
            own = tuple(f"{h:04d}" for h in range(low, high + 1)) if high - low < 100 else None  # the rule set's headings
            out.append((name, any_of(*(read_entry(t, own) for t in mine))))
        except Unread:
            out.append((name, None))  # counted, never taken as agreeing; its selection is still checked
    return out


# ---------------------------------------------------------------- originrules' rule, in the same atoms


def _ranges(codes: Any) -> Codes:
    return cover(((r.low, r.high) for r in codes.ranges), codes.qualifier)


STAGES = ("fibres", "yarn", "fabric")  # the textile stages, compared by name


def _allowance(allowance: Any) -> Any:
    return _ranges(allowance) if isinstance(allowance, CodeSet) else allowance


def read_rule(expr: ast.Expr, crs: Any) -> DNF:
    if isinstance(expr, ast.And):
        return all_of(*(read_rule(i, crs) for i in expr.items))
    if isinstance(expr, ast.Or):
        return any_of(*(read_rule(i, crs) for i in expr.items))
    if isinstance(expr, ast.Dated):
        return all_of(read_rule(expr.expr, crs), one(("until", expr.until)))
    if isinstance(expr, ast.Shift):
        return one(("shift", {"CC": 2, "CTH": 4, "CTSH": 6}[expr.test], _ranges(expr.exception), _allowance(expr.allowance)))
    if isinstance(expr, ast.Manufacture):
        named = expr.allowed is not None and (expr.allowed.written or "").startswith("fibres_or_")
        allowed = None if expr.allowed is None else expr.allowed.written if expr.allowed.written in STAGES or named else _ranges(expr.allowed)
        return one(("manufacture", allowed, _ranges(expr.exception), _allowance(expr.allowance)))
    if isinstance(expr, ast.ValueTest):
        pct = expr.threshold.value()
        if expr.name == "VNM":
            basis = expr.basis if expr.basis in ("materials", "net_weight", "materials_weight") else "any"
            return one(("vnm", _ranges(expr.scope) if expr.scope else None, basis, pct))
        methods = [expr.method] if expr.method else [m.name for m in crs.agreement.methods]
        return any_of(*(one(("rvc", m, pct)) for m in methods))
    if isinstance(expr, ast.WhollyObtained):
        return one(("wo", _ranges(expr.scope) if expr.scope else None))
    if isinstance(expr, ast.Process):
        return one(("process", expr.name))
    if isinstance(expr, ast.Untranslated):
        return one(("untranslated",))
    raise TypeError(expr)


# ---------------------------------------------------------------- comparison


def _specific(rule_sets: list[dict[str, Any]], code: str, this: dict[str, Any]) -> bool:
    covering = [rs for rs in rule_sets if rs["min"] <= code <= rs["max"] and key_of(rs)]
    narrowest = min(int(rs["max"]) - int(rs["min"]) for rs in covering)
    return int(this["max"]) - int(this["min"]) == narrowest


def compare_scheme(path: Path, crs: Any = None) -> dict[str, Any]:
    rule_sets = json.loads(path.read_text(encoding="utf-8"))["rule_sets"]
    rule_sets = list({json.dumps(rs, sort_keys=True): rs for rs in rule_sets}.values())  # one listed twice, word for word, is one
    crs = crs or originrules.find_agreement(agreement_id(path.stem))
    differences, unread = [], 0
    names = _overlapping(rule_sets)
    ends = 0
    checked = 0
    translated_unread: list[str] = []
    for rs in rule_sets:
        k = key_of(rs)
        if k is None:
            continue
        readings = read_rule_set(rs)
        if any(r is None for _, r in readings):
            unread += 1
        else:
            checked += 1
        digits = k[0]
        for (goods, expected), code in [(r, c) for r in readings for c in sorted({rs["min"], rs["max"]})]:
            if not _specific(rule_sets, code, rs):
                continue
            found = crs.candidates(code[:digits])
            if len(found) > 1:
                name = ": ".join(n for n in (names.get(id(rs)), goods) if n)
                wanted = " ".join(name.replace('"', "'").replace("\\", "/").split())  # as the ruleset quotes it
                found = [cr for cr in found if cr.rule.subdivision == wanted]
            where = f"{rs['heading']} ({str(rs.get('subdivision', ''))[:40]}) at {code}"
            if len(found) != 1:
                differences.append({"rule_set": where, "problem": f"originrules selects {len(found)} rules"})
                continue
            ends += 1
            got = read_rule(found[0].rule.body, crs)
            if ("untranslated",) in {a for alt in got for a in alt}:
                continue  # left untranslated by the importer: undetermined, never a verdict
            if expected is None:
                translated_unread.append(rs["heading"])
            elif got != expected:
                differences.append({
                    "rule_set": where, "rule": found[0].ref.source,
                    "prose_only": sorted(map(str, expected - got)), "originrules_only": sorted(map(str, got - expected)),
                })
    return {
        "scheme": path.stem, "rule_sets": len(rule_sets), "read_independently": checked, "not_read": unread, "ends_checked": ends,
        # translated by the importer, but beyond this second reader: their selection is checked, not their reading
        "translated_not_read": len(set(translated_unread)), "differences": differences,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="shared/corpus/uk-roo")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    files = sorted(p for p in (Path(args.path) / RULE_SETS).glob("*.json") if p.stem != "india")
    reports = [compare_scheme(p) for p in files]
    if args.format == "json":
        print(json.dumps(reports, indent=2))
    else:
        for r in reports:
            for d in r["differences"][:20]:
                print(f"DIFFERENT {r['scheme']} {d['rule_set']}: {json.dumps({k: v for k, v in d.items() if k != 'rule_set'})}")
            print(f"{r['scheme']}: {r['rule_sets']} rule sets, {r['read_independently']} read independently, {r['ends_checked']} range ends checked, {r['translated_not_read']} translated but not read here, {len(r['differences'])} differences")
    return 1 if any(r["differences"] for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
