"""Convert a BOM of ../shared/corpus/boms/ into originrules' BOM format (docs/bom-format.md).

    python tools/convert_corpus_bom.py ../shared/corpus/boms/motorcycle-8711-in-ae.json > examples/x.json

Numbers are carried over as exact decimal strings; `originating: false` in the corpus is kept
as an explicit declaration (no supplier declaration held).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal


def convert(src: dict, importing_country: str | None = None) -> dict:
    product = src["product"]
    return {
        "_comment": f"Converted from shared/corpus/boms ({src['id']}); illustrative figures, not a real BOM.",
        "product": {
            "hs_code": product["hs_code"],
            "description": product["description"],
            "ex_works": str(src["ex_works_price"]),
            "fob": str(src["fob_value"]),
            "currency": src["currency"],
            "exporting_country": src["exporting_country"],
            "importing_country": importing_country or src["importing_country"],
        },
        "materials": [
            {
                "id": str(m["line"]),
                "description": m["description"],
                "hs_code": m["hs_code"],
                "value": str(m["value"]),
                "origin": m["country_of_origin"],
                "originating": m["originating"],
            }
            for m in src["materials"]
        ],
    }


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as f:
        src = json.load(f, parse_float=Decimal)
    json.dump(convert(src, argv[2] if len(argv) > 2 else None), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
