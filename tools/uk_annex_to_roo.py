"""Write rulesets/india-uk-ceta.roo from the UK Trade Tariff's data of the CETA annex.

    python tools/uk_annex_to_roo.py ../shared/corpus/uk-roo > rulesets/india-uk-ceta.roo

Each of the annex's 40 distinct rule texts is translated by hand in RULES below (the prose,
not the unreliable `operator` field). A rule text not in the table stops the script: a new
annex version needs a human to read it. `tools/compare_uk_annex.py` then checks the result
against the prose by an independent reading.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from uk_annex import key_of, load_rule_sets, prose, short

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from originrules.lang.format import format_text

# The annex's rule texts (boilerplate removed, entries joined by ' || ') -> originrules rule bodies.
_ABC = " - a) {a}% of the ex-works price under the build-down method. || - b) {b}% of the {fob} value under the build-down method. || - c) {c}% of either the ex-works price or free-on-board value under the build-up method."
_CEREALS = (
    "CC, in which the non-originating materials of chapter 10 and chapter 11 do not exceed {p} percent of the value or "
    "net-weight of the good. Article 9 (Tolerance) does not apply to non-originating materials of chapter 10 and chapter 11."
)
RULES: dict[str, str] = {
    "All goods must be wholly obtained.": "WO",
    "CC.": "CC",
    "CTH.": "CTH",
    "CTSH.": "CTSH",
    "CTH and Standard QVC.": "CTH and standard_qvc",
    "CTSH and Standard QVC.": "CTSH and standard_qvc",
    "CTH. || Standard QVC.": "CTH or standard_qvc",
    "CTSH. || Standard QVC.": "CTSH or standard_qvc",
    "CTSH. || Standard QVC. || Chemical reaction.": "CTSH or standard_qvc or process(chemical_reaction)",
    "CTSH. || chemical reaction.": "CTSH or process(chemical_reaction)",
    "CTSH. || Chemical reaction.": "CTSH or process(chemical_reaction)",
    "CTH. || chemical reaction.": "CTH or process(chemical_reaction)",
    "CTH. || chemical reaction. || Mixing and blending.": "CTH or process(chemical_reaction) or process(mixing_and_blending)",
    "CTH excluding non-originating materials from heading 3701, heading 3702 and heading 3703. || chemical reaction.":
        "CTH except 3701-3703 or process(chemical_reaction)",
    "CTSH. || blending.": "CTSH or process(blending)",
    "CC. || blending.": "CC or process(blending)",
    "CC, excluding non-originating materials from heading 2009.": "CC except 2009",
    "CC, excluding non-originating materials from heading 1901.": "CC except 1901",
    "CC, excluding non-originating materials from heading 0409.": "CC except 0409",
    "CC, excluding non-originating materials from chapter 4.": "CC except chapter 04",
    "CTH, excluding non-originating materials from heading 1805.": "CTH except 1805",
    _CEREALS.format(p=30): "CC without tolerance for chapters 10-11 and VNM from chapters 10-11 <= 30%",
    _CEREALS.format(p=60): "CC without tolerance for chapters 10-11 and VNM from chapters 10-11 <= 60%",
    "CTH and a QVC of not less than 1.5%.": "CTH and QVC >= 1.5%",
    "CTSH and a QVC of not less than 3.5%.": "CTSH and QVC >= 3.5%",
    "CTSH and a QVC of not less than 6%.": "CTSH and QVC >= 6%",
    "CTSH and a QVC of not less than 7%.": "CTSH and QVC >= 7%",
    "CTSH and a QVC of not less than 20%.": "CTSH and QVC >= 20%",
    "CTSH and a QVC of not less than 25%.": "CTSH and QVC >= 25%",
    "CTH or QVC 40%.": "CTH or QVC >= 40%",
    "A QVC of not less than 35%.": "QVC >= 35%",
    "Melt and Pour.": "process(melt_and_pour)",
    "Standard QVC. || Thermal or electrolytic treatment from unalloyed aluminium or waste and scrap of aluminium.":
        "standard_qvc or process(thermal_or_electrolytic_treatment)",
    # "CTH and a QVC of a) b) c)": one sentence, so CTH and (a or b or c) (the MANIFEST's trap)
    "CTH and a QVC of not less than:" + _ABC.format(a=50, b=55, c=45, fob="free-on-board"): "CTH and qvc(50%, 55%, 45%)",
    "CTH and a QVC of not less than:" + _ABC.format(a=45, b=50, c=40, fob="free-on-board"): "CTH and qvc(45%, 50%, 40%)",
    "CTSH and a QVC of not less than:" + _ABC.format(a=35, b=40, c=30, fob="free-on-board"): "CTSH and qvc(35%, 40%, 30%)",
    # separate entries are alternatives: "CTH; or (no change required) a QVC of a) b) c)"
    "CTH. || No change in tariff classification required, provided there is a QVC of not less than:"
    + _ABC.format(a=50, b=55, c=45, fob="free-on-board"): "CTH or qvc(50%, 55%, 45%)",
    "CTH. || a QVC of not less than:" + _ABC.format(a=50, b=55, c=45, fob="free on-board"): "CTH or qvc(50%, 55%, 45%)",
    "CTH. || A QVC of not less than:" + _ABC.format(a=50, b=55, c=40, fob="free on-board"): "CTH or qvc(50%, 55%, 40%)",
    "A QVC of not less than:" + _ABC.format(a=50, b=55, c=40, fob="free on-board"): "qvc(50%, 55%, 40%)",
}

# Readings that are a judgment call, written into the ruleset as `inferred`.
INFERRED = {
    _CEREALS.format(p=30): "judged on value only: the annex also allows net weight, which a BOM does not carry",
    _CEREALS.format(p=60): "judged on value only: the annex also allows net weight, which a BOM does not carry",
    "CTH. || a QVC of not less than:" + _ABC.format(a=50, b=55, c=45, fob="free on-board"):
        "read as alternatives (separate entries, as for 8407-8409); the lower-case 'a QVC' could continue 'CTH and'",
}

# The other reading each of those judgment calls leaves open, written as `alternative`: decided too,
# and the report says whether the verdict would change under it.
ALTERNATIVE = {
    "CTH. || a QVC of not less than:" + _ABC.format(a=50, b=55, c=45, fob="free on-board"): "CTH and qvc(50%, 55%, 45%)",
}

HEADER = '''# India–UK Comprehensive Economic and Trade Agreement: rules of origin.
# Customs Notification 62/2026-Customs (N.T.), in force 15 July 2026; the UK's Origin Reference
# Document v1.0 (13 January 2026). The product-specific rules below are the whole annex as the
# UK Online Trade Tariff publishes it (rule set "india", 313 rule sets), written by
# tools/uk_annex_to_roo.py and checked by tools/compare_uk_annex.py. Edit the generator's table,
# not the rules by hand.

agreement UK "India–UK Comprehensive Economic and Trade Agreement" {
    instrument "Customs Notification 62/2026-Customs (N.T.); UK Origin Reference Document v1.0"
    aliases     GB
    parties     IN, GB                  source "CETA Chapter 3 (Rules of Origin); ORD v1.0"
    in_force    2026-07-15              source "Notification 62/2026-Customs (N.T.)"
    hs_edition  2022                    source "UK Trade Tariff rule set 'india' (HS codes of the annex)"
                                        inferred "the UK Online Trade Tariff's annex data, checked rule by rule, is in HS 2022; not confirmed in the treaty text"
    cumulation  bilateral               source "UK Trade Tariff scheme 'india': cumulation_methods bilateral GB, IN"
    value_name  QVC                     source "ORD v1.0, product-specific rules"
    basis       ex_works, fob           source "ORD v1.0: QVC on the ex-works price or the free-on-board value"
    method build_down = (basis - VNM) / basis
                                        source "ORD v1.0, QVC build-down method"
    method build_up   = VOM / basis     source "ORD v1.0, QVC build-up method"
    # Article 9 (Tolerance): the rate depends on the product's chapter; by value or net weight
    # for the agricultural chapters at 12.5% (the weight line needs the BOM's net weights).
    de_minimis  7.5% of basis for chapters 01-03, chapter 05, chapter 06, chapter 10, chapter 14
                                        source "CETA Chapter 3, Article 9 (Tolerance) (seed notes)"
                                        inferred "rates from the seed notes; article text not re-read"
    de_minimis  12.5% of basis for chapter 04, chapters 07-09, chapters 11-13, chapters 15-24
                                        source "CETA Chapter 3, Article 9 (Tolerance) (seed notes)"
                                        inferred "rates from the seed notes; article text not re-read"
    de_minimis  12.5% of net_weight for chapter 04, chapters 07-09, chapters 11-13, chapters 15-24
                                        source "CETA Chapter 3, Article 9 (Tolerance) (seed notes): by value or net weight"
                                        inferred "rates from the seed notes; article text not re-read"
    de_minimis  12.5% of basis for chapters 25-97
                                        source "CETA Chapter 3, Article 9 (Tolerance) (seed notes)"
                                        inferred "rates from the seed notes; article text not re-read"
    insufficient_operations preservation, packing, labelling, sorting, simple_assembly, simple_mixing,
                disassembly, slaughter, simple_painting, cutting
                                        source "CETA Chapter 3, insufficient production article"
                                        inferred "list paraphrased from comparable agreements; text not re-read"
    proof       origin_declaration, certificate_of_origin, importers_knowledge
                                        source "ORD v1.0, Article 15(1)(a)(i)-(iii)"
    treat accessory, spare_part, tool, retail_packing as value_only
        source "CETA Chapter 3, articles on accessories, packing and neutral elements"
        inferred "the article was not re-read; the usual provision of India's agreements: disregarded for tariff shift, counted in value"
    treat transport_packing as ignored
        source "CETA Chapter 3, articles on accessories, packing and neutral elements"
        inferred "the article was not re-read; packing for transport is disregarded in India's agreements"
    treat indirect as originating
        source "CETA Chapter 3, articles on accessories, packing and neutral elements"
        inferred "the article was not re-read; indirect materials are treated as originating in India's agreements"
}

# A QVC of not less than a) x% of the ex-works price (build-down), b) y% of the FOB value
# (build-down), c) z% of either value (build-up): the annex's three-way value test.
let qvc(exw_bd, fob_bd, bu) = QVC(build_down, ex_works) >= exw_bd or QVC(build_down, fob) >= fob_bd or QVC(build_up) >= bu
                                        source "ORD v1.0, product-specific rules"
# "Standard QVC", used about 150 times in the annex.
let standard_qvc = qvc(40%, 45%, 35%)  source "ORD v1.0, product-specific rules: Standard QVC"
'''


def quote(text: str) -> str:
    return '"' + " ".join(text.replace('"', "'").split()) + '"'


def main(argv: list[str]) -> int:
    rule_sets = load_rule_sets(argv[1] if len(argv) > 1 else "../shared/corpus/uk-roo")
    out = [HEADER]
    shared_keys: dict[tuple[int, str, str], int] = {}
    for rs in rule_sets:
        k = key_of(rs)
        shared_keys[k] = shared_keys.get(k, 0) + 1
    chapter = None
    for rs in rule_sets:
        text = short(prose(rs))
        if text not in RULES:
            sys.stderr.write(f"no translation for {rs['heading']}: {text}\n")
            return 1
        digits, low, high = key_of(rs)
        if rs["chapter"] != chapter:
            chapter = rs["chapter"]
            out.append(f"\n# ---- Chapter {chapter}")
        key = low if low == high else f"{low}-{high}"
        # "ex" marks a row that covers part of a code; where the data's range already says
        # exactly which part (ex Chapter 40 = 4002-4011), the range is the key.
        if rs["heading"].startswith("ex ") and low == high:
            key = f"ex {key}"
        subdivision = f" subdivision {quote(rs['subdivision'])}" if shared_keys[(digits, low, high)] > 1 else ""
        description = "" if subdivision else f" {quote(rs['subdivision'])}"
        line = f"{key}{description}{subdivision}:\n    {RULES[text]}\n    source {quote('ORD v1.0 PSR: ' + rs['heading'])}"
        note = INFERRED.get(text)
        if note:
            line += f"\n    inferred {quote(note)}"
        if text in ALTERNATIVE:
            line += f"\n    alternative {ALTERNATIVE[text]}"
        out.append(line)
    # the canonical layout, as `originrules fmt` writes it
    sys.stdout.write(format_text("\n".join(out) + "\n", "rulesets/india-uk-ceta.roo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
