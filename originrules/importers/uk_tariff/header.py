"""The agreement header of an imported scheme: parties, dates and cumulation from the scheme's
metadata; bases, methods, tolerances and the treatment of accessories, packing and neutral
elements from its articles, each line quoting the words it rests on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from originrules.importers import strict_json
from originrules.importers.uk_tariff.provisions import plain, read_absorption, read_sets, read_textile_note, read_treatments, refers_to
from originrules.importers.uk_tariff.provisions import read as read_provisions
from originrules.safetext import one_line
from originrules.importers.uk_tariff.prose import _quote, key_of, prose


def agreement_id(scheme_code: str) -> str:
    return "UK-" + scheme_code.upper()


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

def _sentence(path: Path, pattern: str) -> str | None:
    """The sentence of an article that a pattern finds in it."""
    text = " ".join(plain(path.read_text(encoding="utf-8")).split())
    m = re.search(rf"[^.]*{pattern}", text, re.IGNORECASE)
    return m.group(0).strip()[:300] if m else None


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
        "# hand: a reading to change belongs in originrules/importers/uk_tariff/prose.lark.",
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
    if "regional value content" in " ".join(prose(r) for r in rule_sets).lower():
        # no scheme's own article gives the formulas; the tariff's common page names the two methods
        # (the formulas themselves are images there), so the usual formulas are written, inferred
        common = articles.parent / "common" / "rvc.md"
        said = _sentence(common, r"can be calculated using one of two methods[^.]*") if common.is_file() else None
        source = f"articles/common/rvc.md: {said}" if said else meta + ": the build-down and build-up methods"
        why = "no article of the scheme states the formula" + ("; the tariff's common page names the methods and gives the formulas as images" if said else "")
        for name, formula in (("build_down", "(basis - VNM) / basis"), ("build_up", "VOM / basis")):
            lines += [f"    method {name} = {formula}", f"        source {_quote(source)}", f"        inferred {_quote(f'the usual {name} formula: {why}')}"]
        if not said:
            not_found.append("value methods: no article states the build-down and build-up formulas: the usual ones are written, marked inferred")
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
                + (f" except {t.except_chapters}" if t.except_chapters else "") + (" within VNM" if t.within else "") + (" covering WO" if t.covers_wo else ""),
                f"        source {_quote(f'articles/{code}/{t.article}: {t.words}')}",
            ]
            if t.note:
                lines.append(f"        inferred {_quote(t.note)}")
        if missing:
            lines += [f"    # {one_line(m)}" for m in missing]
    lines += _textile_note(code, articles.parent.parent / "introductory_notes", rule_sets, not_found)
    # material roles, each from the article on accessories, packing or neutral elements that says it
    treatments, missing = read_treatments(articles)
    not_found.extend(missing)
    for t in treatments:
        lines.append(f"    treat {t.roles} as {t.as_}")
        if t.article:
            lines.append(f"        source {_quote(f'articles/{code}/{t.article}: {t.words}')}")
            if t.note:
                lines.append(f"        inferred {_quote(t.note)}")
        else:
            lines += [f"        source {_quote(meta + ': the usual provision of UK agreements')}",
                      f"        inferred {_quote('no article of the scheme says; ' + t.words)}"]
    absorbed = read_absorption(articles)
    if absorbed:  # the engine rolls every nested intermediate up so; the language has no line to switch it
        lines.append(f"    # absorption (articles/{code}/{absorbed[0]}): {one_line(absorbed[1])}: an intermediate the BOM nests that originates counts as originating in full")
    else:
        not_found.append("absorption: no article states it in the words the importer reads; the engine still counts an intermediate that originates under its own rule as originating in full")
    sets = read_sets(articles)
    if sets:  # the language has no provision for sets: said in the file and by the import
        lines.append(f"    # sets (articles/{code}/sets.md): {one_line(sets)}: not modelled, a set is checked as one product")
        not_found.append(f"sets: articles/{code}/sets.md gives sets a tolerance of their own; the language has no provision for sets, so a set is checked as one product")
    lines.append("}")
    return "\n".join(lines)


def _textile_note(code: str, notes: Path, rule_sets: list[dict[str, Any]], not_found: list[str]) -> list[str]:
    """The introductory notes' tolerance for products of mixed textile materials, for the rule sets
    of chapters 50-63 that refer to its note: `de_minimis 10% of textile_weight for ...`."""
    path = next((f for f in (notes / f"{code}_intro.md", notes / f"{code.replace('-', '_')}_intro.md") if f.is_file()), None)
    note = read_textile_note(path) if path else None
    if note is None:
        if path and "basic textile materials" in path.read_text(encoding="utf-8"):
            not_found.append(f"mixed textile tolerance: introductory_notes/{path.name} speaks of basic textile materials in words the importer does not read: no such tolerance applied")
        return []
    textile = [(k, rs) for rs in rule_sets if (k := key_of(rs)) and "50" <= k[1][:2] <= "63"]
    keys = [k for k, rs in textile if refers_to(note, prose(rs))]
    scope = f"for the rules of chapters 50-63 that refer to note {note.note}"
    if not keys and not any(re.search(r"\bnote \d", prose(rs), re.IGNORECASE) for rs in rule_sets):
        # the tariff's data carries no reference to any note (Vietnam, Turkey, ...): the list's
        # references to this one are lost with them, so it is applied to every rule of chapters 50-63
        keys = [k for k, _ in textile]
        scope = f"the tariff's rule texts carry no reference to any note, so the list's references to note {note.note} are not known: applied to every rule of chapters 50-63"
        not_found.append(f"mixed textile tolerance (introductory_notes/{path.name}, note {note.note}): the rule texts do not say which rules refer to the note; applied to every rule of chapters 50-63, marked inferred")  # type: ignore[union-attr]
    if not keys:
        not_found.append(f"mixed textile tolerance: no rule of chapters 50-63 refers to note {note.note} of introductory_notes/{path.name}: not applied")  # type: ignore[union-attr]
        return []
    written = []
    for digits, low, high in sorted(set(keys)):
        if digits == 2:
            written.append(f"chapter {low}" if low == high else f"chapters {low}-{high}")
        else:
            written.append(low if low == high else f"{low}-{high}")
    return [
        f"    de_minimis {note.percent}% of textile_weight for {', '.join(dict.fromkeys(written))}",
        f"        source {_quote(f'introductory_notes/{note.file}, note {note.note}: {note.words}')}",
        f"        inferred {_quote(f'{scope}; the basic textile materials are read as those of chapters 50-55 and heading 5605 (the note also names paper and paper-making materials, not counted); the higher shares the note gives products with segmented polyurethane yarn or with strip of aluminium or plastic film are not modelled')}",
    ]


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
