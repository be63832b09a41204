"""The materials the UK's rules name in words, as codes: the stages of textile materials
("manufacture from yarn"), yarns named one by one, materials named by what they are, and the
groups of a weight limit ("sugar", "the materials of chapter 4")."""

from __future__ import annotations

import re

from originrules.importers.uk_tariff.report import Untranslatable


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
