"""Write the HS code lists shipped in the package (originrules/data/hs-EDITION.txt) from the
public-domain nomenclature files in ../shared/data/hs (ODC-PDDL-1.0; see SOURCE.md there).

    python tools/hs_lists.py [../shared/data/hs]

One code a line (chapters, headings, subheadings), sorted; nothing else is kept, and not the
Comtrade pseudo-codes of section TOTAL (99, 9999, 999999: "commodities not specified").
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(source: Path) -> None:
    for edition in ("2017", "2022"):
        with open(source / f"harmonized-system-{edition}.csv", encoding="utf-8-sig", newline="") as f:
            codes = sorted({row["hscode"] for row in csv.DictReader(f) if row["hscode"].isdigit() and len(row["hscode"]) in (2, 4, 6) and row["section"] != "TOTAL"})
        out = REPO / "originrules" / "data" / f"hs-{edition}.txt"
        out.write_text(f"# HS {edition}: chapters, headings and subheadings. From datasets/harmonized-system (ODC-PDDL-1.0), UN Comtrade lists.\n" + "\n".join(codes) + "\n", encoding="utf-8")
        print(f"{out.relative_to(REPO)}: {len(codes)} codes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data" / "hs")
