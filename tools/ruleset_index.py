"""Write rulesets/index.json: what `originrules agreements` lists of each shipped ruleset, with
the SHA-256 of the file it was read from (an entry whose file has changed since is not used:
the ruleset is loaded instead). tools/uk_schemes.py runs it after writing the UK schemes;
tests/test_rulesets.py fails while the index is stale.

    python tools/ruleset_index.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from originrules import registry  # noqa: E402
from originrules.resources import rulesets_dir  # noqa: E402


def index() -> str:
    entries = []
    for code, crs in sorted(registry.shipped().items()):
        path = rulesets_dir() / crs.ruleset.path.removeprefix("rulesets/")
        entries.append({**registry.summary(crs), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    return json.dumps({"agreements": entries}, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (rulesets_dir() / registry.INDEX).write_text(index(), encoding="utf-8")
