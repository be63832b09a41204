"""The UK schemes' tolerances, as their articles give them (issue 23): each test quotes the
article and decides a BOM within and beyond it. The tolerance lets non-originating materials
that fail the tariff shift through up to its share; it never relaxes a value limit of the list
(`within VNM`), and it is withheld where the article withholds it (chapters 50-63)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import originrules
from originrules.importers.uk_tariff import provisions as uk_provisions
from tests.conftest import SHARED, make_bom, material

ARTICLES = SHARED / "corpus" / "uk-roo" / "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/articles"
needs_corpus = pytest.mark.skipif(not ARTICLES.is_dir(), reason="../shared/corpus/uk-roo is not beside the repository")


def _decide(agreement: str, partner: str, product: str, own_share: str, **weights: str):  # type: ignore[no-untyped-def]
    """A product of `product`'s code whose one non-originating material is of its own heading
    (failing CTH), worth `own_share` of an ex-works price of 1000; the rest originating."""
    own = material("own", product, own_share, "CN", False, **({"net_weight_kg": weights["own_kg"]} if "own_kg" in weights else {}))
    rest = material("rest", "721420", str(1000 - int(own_share) - 100), partner, True)  # bars, originating in the partner
    extra = {"net_weight_kg": weights["product_kg"]} if "product_kg" in weights else {}
    bom = make_bom(product, [own, rest], fob="1000", ex_works="1000", exporting_country=partner, importing_country="GB", **extra)
    return originrules.check(bom, agreement)


def test_vietnam_a_steel_article_within_ten_per_cent_of_the_ex_works_price_originates():
    # sufficiently-worked.md 3(b): "10 per cent of the ex-works price of the product for other products"
    assert _decide("UK-VIETNAM", "VN", "732690", "50").originating is True  # 5%: within
    assert _decide("UK-VIETNAM", "VN", "732690", "100").originating is True  # 10.00%: at the limit
    assert _decide("UK-VIETNAM", "VN", "732690", "101").originating is False  # 10.1%: beyond


def test_ghana_allows_fifteen_per_cent():
    # sufficiently-worked.md 4(a): "their total value does not exceed 15 % of the ex-works price of the product"
    assert _decide("UK-GHANA", "GH", "731300", "150").originating is True
    assert _decide("UK-GHANA", "GH", "731300", "151").originating is False


def test_japan_allows_ten_per_cent_for_chapters_1_to_49_and_64_to_97_only():
    # tolerances.md 1.1: "for a product classified under Chapters 1 to 49 or Chapters 64 to 97 ... 10 per cent"
    assert _decide("UK-JAPAN", "JP", "730300", "100").originating is True
    assert _decide("UK-JAPAN", "JP", "730300", "101").originating is False


def test_vietnam_by_weight_for_chapters_2_and_4_to_24():
    # 3(a): "10 per cent of the weight of the product or ex-works price for products of Chapters 2 and 4 to 24"
    heavy_in_value = _decide("UK-VIETNAM", "VN", "120740", "200", own_kg="0.5", product_kg="10")  # 20% of the price, 5% of the weight
    assert heavy_in_value.originating is True
    assert _decide("UK-VIETNAM", "VN", "120740", "200", own_kg="1.5", product_kg="10").originating is False  # 20% and 15%
    # outside those chapters the weight does not count
    assert _decide("UK-VIETNAM", "VN", "732690", "200", own_kg="0.5", product_kg="10").originating is False


def test_vietnam_withholds_the_tolerance_from_textiles_of_chapters_50_to_63():
    # 3(b): "except for products of Chapters 50 to 63 of HS 2012, for which the tolerances mentioned in Notes 6 and 7 ... apply"
    assert _decide("UK-VIETNAM", "VN", "580500", "20").originating is False  # 2%, but chapter 58


@needs_corpus
@pytest.mark.parametrize("scheme, expected", [
    ("vietnam", {("10", "net_weight", "chapter 02, chapters 04-24", None), ("10", "basis", "chapter 02, chapters 04-24", None), ("10", "basis", None, "chapters 50-63")}),
    ("ghana", {("15", "basis", None, "chapters 50-63")}),
    ("albania", {("10", "basis", None, "chapters 50-63")}),
    ("kenya", {("15", "net_weight", "chapter 02, chapters 04-24", None), ("15", "basis", None, "chapters 50-63")}),
    ("japan", {("10", "basis", "chapters 01-49, chapters 64-97", None)}),
    ("australia", {("10", "net_weight", "chapters 01-24, chapters 50-63", None), ("10", "basis", "chapters 01-24, chapters 50-63", None), ("10", "basis", "chapters 25-49, chapters 64-97", None)}),
    ("switzerland-liechtenstein", {("15", "net_weight", "chapter 02, chapters 04-24", None), ("15", "basis", None, "chapters 50-63")}),
    ("canada", {("10", "basis", None, "chapters 50-63")}),
])
def test_each_schemes_tolerance_is_read_from_its_article_in_its_own_words(scheme: str, expected: set[tuple[str, str, str | None, str | None]]) -> None:
    found, missing = uk_provisions.read(ARTICLES / scheme)
    assert missing == []
    assert {(t.percent, t.of, t.for_chapters, t.except_chapters) for t in found} == expected
    assert all(t.words and t.article in uk_provisions.ARTICLES for t in found)


@needs_corpus
def test_a_scheme_whose_articles_give_no_general_tolerance_says_so():
    found, missing = uk_provisions.read(ARTICLES / "dcts-ldcs")  # its tolerances.md holds only the textile notes
    assert found == [] and "no general tolerance found" in missing[0]


def test_the_wordings_of_a_rate_are_one():
    for words in ("ten percent of the ex-works price", "10 per cent of the ex‐works price", "10 % of the ex- work price", "10% of the ex-works price"):
        assert uk_provisions._RATE.search(uk_provisions.plain(words)).group(1) == "10", words  # type: ignore[union-attr]


def test_every_shipped_uk_scheme_but_three_has_a_general_tolerance() -> None:
    from originrules import resources

    general = re.compile(r"^    de_minimis .* of (?:basis|net_weight)\b", re.MULTILINE)  # not the textile notes' `of textile_weight`
    without = sorted(p.stem for p in Path(resources.rulesets_dir()).glob("uk-*.roo") if not general.search(p.read_text(encoding="utf-8")))
    # DCTS: the corpus's articles hold only the textile notes (read as `of textile_weight`); GSP: no tolerance article at all
    assert without == ["uk-dcts-general-enhanced", "uk-dcts-ldcs", "uk-gsp"]


# ---------------------------------------------------------------- accessories, packing, neutral elements


def _boxed(agreement: str, partner: str) -> bool | None:
    """A carton of 4819 made in the partner from paper of 4804 (a tariff shift) worth 60% of the
    price, sold in a printed retail box of 4819 as well (15%), classified with it: the box alone
    fails the shift, and 75% of non-originating value is beyond the value alternatives."""
    paper = material("paper", "480411", "600", "CN", False)
    box = material("box", "481910", "150", "CN", False, role="retail_packing")
    bom = make_bom("481920", [paper, box], fob="1000", ex_works="1000", exporting_country=partner, importing_country="GB")
    return originrules.check(bom, agreement).originating


def test_vietnam_packaging_classified_with_the_product_is_included_for_determining_origin():
    # packaging.md: "Where ... packaging is included in the product for classification purposes, it shall
    # be included for the purposes of determining origin": the box must make the shift like any material
    # ("CTH or VNM <= 70%"; its 15% is beyond the 10% tolerance, which may not push VNM past 70% anyway)
    assert _boxed("UK-VIETNAM", "VN") is False


def test_japan_retail_packaging_is_disregarded_for_the_shift_and_counted_in_value():
    # packaging.md: "Packaging materials and containers in which a product is packaged for retail sale, if
    # classified with the product, shall be disregarded in determining whether all the non-originating
    # materials ... have undergone the applicable change in tariff classification": the same carton originates
    assert _boxed("UK-JAPAN", "JP") is True


@needs_corpus
@pytest.mark.parametrize(("scheme", "roles", "as_"), [
    ("vietnam", "retail_packing", "normal"),
    ("japan", "retail_packing", "value_only"),
    ("eu", "accessory, spare_part, tool", "value_only"),
    ("cptpp", "transport_packing", "ignored"),
    ("india", "indirect", "ignored"),  # "shall neither be considered originating nor non-originating"
    ("gsp", "accessory, spare_part, tool", "originating"),  # "regarded as having the same origin as the piece of equipment"
])
def test_each_treatment_is_read_from_the_article_that_says_it(scheme: str, roles: str, as_: str) -> None:
    found, _ = uk_provisions.read_treatments(ARTICLES / scheme)
    hit = next(t for t in found if t.roles == roles)
    assert (hit.as_, bool(hit.article)) == (as_, True)
    article = " ".join(uk_provisions.plain((ARTICLES / scheme / hit.article).read_text(encoding="utf-8")).split())
    assert all(piece.strip("…") in article for piece in hit.words.split(" … "))  # the article's own words, quoted


@needs_corpus
def test_a_treatment_no_article_gives_is_the_usual_one_said_aloud() -> None:
    found, missing = uk_provisions.read_treatments(ARTICLES / "vietnam")  # packaging.md speaks of retail packaging only
    transport = next(t for t in found if t.roles == "transport_packing")
    assert (transport.as_, transport.article) == ("ignored", "")
    assert any(m.startswith("transport_packing: no provision found (looked in articles/vietnam/packaging.md)") for m in missing)
