"""A second reading of the UK schemes' headers, independent of the importer's
(originrules/importers/uk_tariff/provisions.py and the header writer): it reads each scheme's articles
and metadata its own way and compares, scheme by scheme,

- the tolerance: its rates and what each is a share of (value or weight), and, chapter by
  chapter (01-97), which rate applies by value and which by weight;
- the value bases the rules speak of;
- the parties and the cumulation partners, from roo_schemes_uk.json.

    python tools/compare_uk_headers.py ../shared/corpus/uk-roo      # prints each difference; exit 1 if any

Where the importer reads by sentence structure (list items, the scope heading a list), this
reader looks at each rate with a window of words around it: the chapters named before the next
rate, and whether "except", "other than" or "shall not apply" stands before them.
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import originrules  # noqa: E402

ROO = "trade-tariff-backend/lib/rules_of_origin"
WORDS = {"ten": "10", "fifteen": "15", "eight": "8", "seven": "7", "twenty": "20"}
CHAPTERS = range(1, 98)


# ---------------------------------------------------------------- reading the articles


def _text(path: Path) -> str:
    t = path.read_text(encoding="utf-8") if path.is_file() else ""
    t = re.sub(r"<[^>]+>|\*\*|\{\{[^}]*\}\}", " ", t).replace("\xa0", " ")
    t = re.sub(r"[\u2010-\u2015]", "-", t).lower()
    for w, n in WORDS.items():
        t = re.sub(rf"\b{w}\s+(?=per ?cent|percent)", n + " ", t)
    t = re.sub(r"(\d+(?:\.\d+)?)\s*(?:per ?cent|percent|%)", r"\1 pct", t)
    return " ".join(t.split())


def _chapter_numbers(words: str) -> set[int]:
    out: set[int] = set()
    for a, b in re.findall(r"(\d+)(?:\s*(?:to|through|-)\s*(\d+))?", words):
        out |= set(range(int(a), int(b or a) + 1))
    return {c for c in out if 1 <= c <= 97}


_MARKER = re.compile(r";|\s\((?:[a-h]|i|ii|iii|iv)\)\s|\s(?:[a-h]|i|ii|iii|iv|\d)\.\s")
_HEADING = re.compile(r"in the case of goods (?:in|classified under) (chapters? [^:;]{0,120}?):")
_LIST = r"chapters? \d+(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*(?:to|through|-)\s*)(?:chapters?\s+)?\d+)*"


def read_tolerance(folder: Path) -> dict[str, Any] | None:
    """{'value': {chapter: pct}, 'weight': {chapter: pct}} of the general tolerance, or None."""
    for name in ("tolerances.md", "sufficiently-worked.md"):
        text = _text(folder / name)
        rates = list(re.finditer(r"(\d+(?:\.\d+)?) pct of the (?:total )?((?:net )?weight|ex-works|value of the (?:good|product)|transaction value|ex-works or free on board)", text))
        rates = [r for r in rates if not re.search(r"textile|yarn|fabric|milk solids|dry weight|made-up", text[max(0, r.start() - 250): r.start()])]
        if not rates:
            continue
        everywhere_but = set()
        if re.search(r"(?:shall not|does not|do not) apply to products (?:falling within|of|classified (?:in|under)) chapters 50 (?:to|through) 63|tolerance for textile and apparel products of chapter 50 through 63", text):
            everywhere_but = set(range(50, 64))
        found = []  # (kind, rate, chapters named for it, chapters it excludes, "for other products")
        for r in rates:
            # the words this rate rules over: its clause, between the list markers or semicolons
            # around it; and a heading that ends in a colon just before ("in the case of goods in
            # Chapters 1 through 24 and 50 through 63: (i) ... (ii) ...")
            start = max([0] + [m.end() for m in _MARKER.finditer(text, 0, r.start())])
            after = _MARKER.search(text, r.end())
            window = text[start: after.start() if after else len(text)]
            # a heading "in the case of goods in Chapters ...:" rules over the items below it, up to the next lettered item
            heading = None
            for h in _HEADING.finditer(text, 0, start):
                heading = h if not re.search(r"\([a-h]\)", text[h.end(): start]) and start - h.end() < 400 else None
            included, excluded = set(), set()
            if heading is not None and not re.search(_LIST, window):
                included |= _chapter_numbers(heading.group(1).split(" of the ")[0])
            for m in re.finditer(_LIST, window):
                before = window[max(0, m.start() - 40): m.start()]
                if "fishery" in before:
                    continue  # "other than processed fishery products of chapter 16": within a chapter
                (excluded if re.search(r"except|other than|shall not|not apply", before) else included).update(_chapter_numbers(m.group()))
            others = bool(re.search(r"other products|products other than", window))
            both = bool(re.match(r"[^;]{0,40}?weight of the product or ex-works", text[r.start(): r.end() + 60]))
            for kind in (["weight", "value"] if both else ["weight" if "weight" in r.group(2) else "value"]):
                found.append((kind, r.group(1), included, excluded, others))
        named = set().union(*(f[2] for f in found))
        value: dict[int, str] = {}
        weight: dict[int, str] = {}
        for kind, rate, included, excluded, others in found:
            chapters = (set(CHAPTERS) - named if others else included or set(CHAPTERS)) - excluded - everywhere_but
            target = weight if kind == "weight" else value
            for c in chapters:  # two rates for one chapter by one measure (by exporting party): the lower
                if c not in target or Decimal(rate) < Decimal(target[c]):
                    target[c] = rate
        return {"value": value, "weight": weight, "article": name}
    return None


def header_tolerance(ag: Any) -> dict[str, dict[int, str]]:
    """What the shipped header says, chapter by chapter, as the engine applies it: lines `for` a
    chapter replace the general lines for it."""
    out: dict[str, dict[int, str]] = {"value": {}, "weight": {}}
    for c in CHAPTERS:
        code = f"{c:02d}"
        lines = [d for d in ag.de_minimis if d.for_codes and d.of != "textile_weight" and d.for_codes.contains(code + "01")]
        lines = lines or [d for d in ag.de_minimis if not d.for_codes]
        for d in lines:
            if d.of == "textile_weight" or (d.except_codes and d.except_codes.contains(code + "01")):
                continue  # the textile notes' tolerance is compared on its own (read_textile_rate)
            kind = "weight" if d.of == "net_weight" else "value"
            pct = format(d.percent.normalize(), "f")
            if c not in out[kind] or Decimal(pct) < Decimal(out[kind][c]):
                out[kind][c] = pct
    return out


def read_covers_wo(folder: Path) -> bool:
    """Does the tolerance article extend the tolerance to materials a rule requires wholly obtained?
    Read by sentence: one naming the tolerance (or its paragraphs), "apply" and a rule requiring
    materials to be wholly obtained."""
    for name in ("tolerances.md", "sufficiently-worked.md"):
        for sentence in re.split(r"(?<=\.) ", _text(folder / name)):
            if "wholly obtained" in sentence and re.search(r"\brequir", sentence) and re.search(r"tolerance|paragraph", sentence) and re.search(r"\bappl(?:y|ies)\b", sentence) and "shall not apply to products wholly" not in sentence:
                return True
    return False


def read_textile_rate(notes: Path, scheme: str, rule_sets: list[dict[str, Any]]) -> str | None:
    """The introductory notes' share for products of mixed textile materials ("represent 10% or less
    of the total weight of all the basic textile materials used"), where the list's rules of
    chapters 50-63 can apply it: some refer to that note (by its number, the heading it stands
    under, or by "a mixture of textile materials"), or the rule texts refer to no note at all."""
    for path in (notes / f"{scheme}_intro.md", notes / f"{scheme.replace('-', '_')}_intro.md"):
        text = _text(path)
        if m := re.search(r"(\d+(?:\.\d+)?) pct or less of the total weight of all the basic textile materials", text):
            number = re.findall(r"#+ ?note (\d+)", text[: m.start()])  # the heading it stands under
            texts = [" ".join(str(r.get("rule", "")) for r in rs.get("rules") or []).lower() for rs in rule_sets]
            textile = [t for rs, t in zip(rule_sets, texts) if str(rs.get("min", ""))[:2].isdigit() and "50" <= str(rs.get("min", ""))[:2] <= "63"]
            refer = any("mixture of textile materials" in t or (number and re.search(rf"\bnote {number[-1]}\b(?!\.\d)", t)) for t in textile)
            return m.group(1) if refer or not any(re.search(r"\bnote \d", t) for t in texts) else None
    return None


# ---------------------------------------------------------------- bases, parties, cumulation


def read_bases(rule_sets: list[dict[str, Any]]) -> set[str]:
    text = " ".join(r.get("rule", "") for rs in rule_sets for r in rs.get("rules") or ()).lower()
    if "ex-works" not in text and ("value of the good" in text or "regional value content" in text):
        return {"fob"}
    bases = {"ex_works"}
    if "free on board (fob)" in text:
        bases.add("fob")
    if "transaction value or ex-works price" in text:
        bases.add("transaction_value")
    return bases


def read_parties(info: dict[str, Any]) -> tuple[set[str], set[str]]:
    countries = {c for c in info.get("countries", []) if re.fullmatch(r"[A-Z]{2}", str(c))}
    partners = {c for m in (info.get("cumulation_methods") or {}).values() if isinstance(m, dict) for c in m.get("countries", []) if re.fullmatch(r"[A-Z]{2}", str(c))}
    return {"GB"} | countries, partners - countries - {"GB"}


# ---------------------------------------------------------------- comparison


def compare_scheme(corpus: Path, scheme: str, ag: Any = None) -> dict[str, Any]:
    base = corpus / ROO
    rule_sets = json.loads((base / "roo_schemes_uk" / "rule_sets" / f"{scheme}.json").read_text(encoding="utf-8"))["rule_sets"]
    schemes = json.loads((base / "roo_schemes_uk.json").read_text(encoding="utf-8"))["schemes"]
    info = next((s for s in schemes if s.get("scheme_code") == scheme), {})
    ag = ag or originrules.find_agreement("UK-" + scheme.upper()).agreement
    differences = []
    read = read_tolerance(base / "roo_schemes_uk" / "articles" / scheme)
    shipped = header_tolerance(ag)
    if read is None:
        if any(shipped.values()):
            differences.append(f"tolerance: the header has one ({shipped}); this reader finds none in the articles")
    elif scheme == "cptpp":
        # paragraphs 4 to 7 give goods of their own a tolerance by weight and withhold it from some
        # dairy and other goods by code: compared here by its rates only
        if {p for p in read["value"].values()} != {p for p in shipped["value"].values()}:
            differences.append(f"tolerance by value: {sorted(set(read['value'].values()))} read, {sorted(set(shipped['value'].values()))} shipped")
    else:
        for kind in ("value", "weight"):
            if read[kind] != shipped[kind]:
                only = sorted(set(read[kind].items()) ^ set(shipped[kind].items()))
                differences.append(f"tolerance by {kind} ({read['article']}): read and shipped differ at chapter:rate {only[:8]}")
    covers = read_covers_wo(base / "roo_schemes_uk" / "articles" / scheme)
    shipped_covers = {d.covers_wo for d in ag.de_minimis if d.of != "textile_weight"}  # every line of the article's tolerance
    if read is not None and shipped_covers != {covers}:
        differences.append(f"tolerance covering wholly obtained materials: read {covers}, shipped {sorted(shipped_covers)}")
    rate = read_textile_rate(base / "roo_schemes_uk" / "introductory_notes", scheme, rule_sets)
    textile = sorted({format(d.percent.normalize(), "f") for d in ag.de_minimis if d.of == "textile_weight"})
    if ([rate] if rate else []) != textile:
        differences.append(f"mixed textile tolerance: read {rate}, shipped {textile}")
    bases = read_bases(rule_sets)
    if bases != set(ag.bases):
        differences.append(f"bases: read {sorted(bases)}, shipped {sorted(ag.bases)}")
    parties, partners = read_parties(info)
    if parties != set(ag.parties):
        differences.append(f"parties: read {sorted(parties)}, shipped {sorted(ag.parties)}")
    if partners != set(ag.cumulation_with):
        differences.append(f"cumulation partners: read {sorted(partners)}, shipped {sorted(ag.cumulation_with)}")
    return {"scheme": scheme, "differences": differences, "tolerance_read": read is not None}


def main(argv: list[str]) -> int:
    corpus = Path(argv[1] if len(argv) > 1 else REPO.parent / "shared" / "corpus" / "uk-roo")
    schemes = sorted(p.stem for p in (corpus / ROO / "roo_schemes_uk" / "rule_sets").glob("*.json") if p.stem != "india")
    total = 0
    for s in schemes:
        r = compare_scheme(corpus, s)
        total += len(r["differences"])
        for d in r["differences"]:
            print(f"{s}: {d}")
    print(f"{len(schemes)} schemes' headers read again: {total} differences")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
