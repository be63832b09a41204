"""A parse tree of one entry's prose (prose.lark) written in the rule language."""

from __future__ import annotations

import re
import datetime as dt
from typing import Any
from decimal import Decimal

from lark import Token, Transformer, v_args

from originrules.importers.uk_tariff.materials import DESCRIBED, MATERIALS, _SAME_PARTS, _STAGE_WORDS, _materials_named, _weight_group, named_yarn_stage
from originrules.importers.uk_tariff.report import NeedsRange, Untranslatable


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
        names = [f"process({_slug(name)})" for name in _processes(text)]
        if len(names) == 1:
            return names[0] + tail
        # "A accompanied by B or C accompanied by D or printing ..., provided that the value of the
        # unprinted fabric ...": alternatives, and the condition is the last one's
        last = names.pop() + tail
        return "(" + " or ".join([*names, f"({last})" if tail else last]) + ")"


_LINK = re.compile(r"\b(?:accompanied by|combined with|preceded by|followed by)\b")


def _processes(text: str) -> list[str]:
    """The processes a phrase joins by "or": a part that links two operations ("yarn dyeing
    accompanied by weaving") after a part that does already starts a process of its own; any other
    part ("or by coating", "or flocking", "or finishing operations") belongs to the one before.
    'weaving accompanied by dyeing or by coating or printing accompanied by at least two ...' ->
    ['weaving accompanied by dyeing or by coating', 'printing accompanied by at least two ...']"""
    out: list[str] = []
    for part in re.split(r",? or (?!by\b|with\b)", text):
        if out and _LINK.search(part) and _LINK.search(out[-1]):
            out.append(part)
        elif out:
            out[-1] += " or " + part
        else:
            out.append(part)
    return out


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
