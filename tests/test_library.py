"""The library agrees with the command line (issue 25, item 1): whatever `json.load` gives works in
every public function, numbers read exactly from their text, dates as `date` or ISO text, and the
declarations register and the records open from Python as `--db` opens them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import originrules
from originrules.errors import BomError
from tests.test_store import ROWS, bom_with_suppliers, db, declarations_file  # noqa: F401  (db: the fixture, on SQLite and PostgreSQL)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _plain(name: str) -> dict:  # type: ignore[type-arg]
    """The example as `json.load` gives it, its figures written as JSON numbers as people write them."""
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    for key in ("ex_works", "fob"):
        data["product"][key] = int(data["product"][key])
    for m in data["materials"]:
        m["value"] = float(m["value"]) if "." in m["value"] else int(m["value"])
    return data


def test_check_takes_what_json_load_gives_and_decides_as_the_cli_does():
    assert originrules.check(_plain("motorcycle-uae.json"), "UAE").originating is True
    assert originrules.check(_plain("motorcycle-uae-fail.json"), "UAE").originating is False
    on_file = originrules.check(originrules.load_bom(str(EXAMPLES / "motorcycle-uae.json")), "UAE")
    from_numbers = originrules.check(_plain("motorcycle-uae.json"), "UAE")
    assert from_numbers.to_dict()["trace"] == on_file.to_dict()["trace"]  # the same figures, to the cent


def test_a_float_is_read_as_its_shortest_repr_never_its_binary_fraction():
    data = _plain("motorcycle-uae.json")
    data["materials"][0]["value"] = 19.99  # the binary fraction behind it: 19.989999999999998436805981327779591083526611328125
    assert originrules.check(data, "UAE").bom.materials[0].value == Decimal("19.99")
    data["materials"][0]["value"] = 0.1 + 0.2  # repr 0.30000000000000004: 17 decimals, beyond a file's limit too
    with pytest.raises(BomError, match=r"materials\[0\]\.value: 0.30000000000000004 is outside the limits"):
        originrules.check(data, "UAE")


def test_advise_what_if_and_compare_take_a_mapping_and_a_date_as_text():
    fail = _plain("motorcycle-uae-fail.json")
    advice = originrules.advise(fail, "UAE", on="2026-12-05")
    assert advice.possible is True and advice.materials
    changed = originrules.what_if(fail, advice.what_if)
    assert originrules.check(changed, "UAE", on="2026-12-05").originating is True
    rows = originrules.compare(_plain("motorcycle-uae.json"), importer="AE", on="2026-12-05")
    assert rows and rows[0]["agreement"] == "UAE"


def test_a_date_that_is_not_iso_text_is_a_clear_error_not_a_type_error():
    with pytest.raises(BomError, match="expected a date"):
        originrules.check(_plain("motorcycle-uae.json"), "UAE", on="05/12/2026")
    assert originrules.check(_plain("motorcycle-uae.json"), "UAE", on=dt.datetime(2026, 12, 5, 9, 30)).originating is True


def test_the_register_and_the_records_open_from_python_as_db_opens_them(db: str, tmp_path: Path) -> None:  # noqa: F811
    store = originrules.Store(db)
    assert store.import_declarations(str(declarations_file(tmp_path, ROWS)))["imported"] == 2
    assert {d.reference for d in store.declarations()} == {"LTSD-7", "LTSD-8"}
    bom = json.loads(bom_with_suppliers(tmp_path).read_text(encoding="utf-8"))
    decision = store.check(bom, "UAE", on="2026-06-01", keep=True)
    assert decision.originating is True  # the two declared parts count as originating
    kept = store.history(agreement="UAE")
    assert [r["decision_id"] for r in kept] == [decision.decision_id]
    checked, bad, _ = store.verify()
    assert (checked, bad) == (1, [])
