"""An estimate of how the importer does on a scheme it has never seen: leave each scheme out.

    python tools/uk_unseen.py ../shared/corpus/uk-roo

Every scheme of the corpus was read while the prose grammar was written, so none is unseen. This
tool asks, for each scheme S, how many of S's rule sets the importer would still translate had
S's own phrasings never been written: a rule set counts only if it is translated and every step
of every entry's parse (a grammar rule with the exact keywords it matched) also reads an entry of
some other scheme. It is an estimate, and an optimistic one in two ways: the tables of materials
and the normalising substitutions are not left out with the scheme, and families of schemes that
copy one text (the PEM lists) see each other. It is pessimistic in one: a step first written for
S may well have been needed by the next scheme too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lark import Lark, LarkError, Tree

from originrules.importers.uk_tariff import prose as importer

RULE_SETS = "trade-tariff-backend/lib/rules_of_origin/roo_schemes_uk/rule_sets"
Step = tuple[str, tuple[str, ...]]


def _parser() -> Lark:
    # the importer's grammar, keeping every keyword: a step is a rule with the words it matched
    grammar = (Path(importer.__file__).resolve().parent / "prose.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="earley", lexer="basic", ambiguity="resolve", keep_all_tokens=True)


def _steps(tree: Tree) -> frozenset[Step]:
    return frozenset((t.data, tuple(c.data if isinstance(c, Tree) else c.type for c in t.children)) for t in tree.iter_subtrees())


def scheme_entries(path: Path, parse: Any, cache: dict[str, frozenset[Step] | None]) -> list[tuple[bool, list[frozenset[Step] | None]]]:
    """[(translated?, each entry's steps or None)] for each rule set with a whole code range."""
    out = []
    translations: dict[Any, Any] = {}
    for rs in json.loads(path.read_text(encoding="utf-8"))["rule_sets"]:
        if importer.key_of(rs) is None:
            continue
        translated = all(
            body is not None and not why
            for described, entries in importer.groups(rs)
            for body, _, why in [importer.translate_rule_set(rs, translations, None if described is None else entries)]
        )
        steps = []
        for entry in importer._entries(rs):
            template = importer._DIGITS.sub("1", importer.normalise(entry)[0])
            if template not in cache:
                try:
                    cache[template] = _steps(parse(template))
                except LarkError:
                    cache[template] = None
            steps.append(cache[template])
        out.append((translated, steps))
    return out


def estimate(files: list[Path]) -> list[tuple[str, int, int, int]]:
    """[(scheme, rule sets, translated, translated as if unseen)]."""
    parse, cache = _parser().parse, {}
    schemes = {p.stem: scheme_entries(p, parse, cache) for p in files}
    used_by: dict[Step, set[str]] = defaultdict(set)
    for name, rule_sets in schemes.items():
        for _, steps in rule_sets:
            for s in steps:
                for step in s or ():
                    used_by[step].add(name)
    return [
        (name, len(rule_sets), sum(t for t, _ in rule_sets),
         sum(1 for t, steps in rule_sets if t and all(s is not None and all(used_by[x] - {name} for x in s) for s in steps)))
        for name, rule_sets in schemes.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="shared/corpus/uk-roo")
    args = parser.parse_args(argv)
    rows = estimate(sorted(p for p in (Path(args.path) / RULE_SETS).glob("*.json") if p.stem != "india"))
    for name, n, translated, unseen in sorted(rows, key=lambda r: r[3] / max(r[1], 1)):
        print(f"{name:28} {n:5} rule sets  translated {100 * translated / max(n, 1):5.1f}%  as if unseen {100 * unseen / max(n, 1):5.1f}%")
    total, translated, unseen = (sum(r[i] for r in rows) for i in (1, 2, 3))
    print(f"{'all':28} {total:5} rule sets  translated {100 * translated / max(total, 1):5.1f}%  as if unseen {100 * unseen / max(total, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
