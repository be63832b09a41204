"""Declarations and records, against SQLite and a real PostgreSQL.

PostgreSQL: set ORIGINRULES_TEST_PG to a URL (postgresql+psycopg://user:pw@127.0.0.1/db);
.ci/run starts a server and sets it, with ORIGINRULES_REQUIRE_PG=1 so that CI cannot skip it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from originrules.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PG = os.environ.get("ORIGINRULES_TEST_PG")
HEADER = "supplier,part_number,hs_code,origin,originating,agreement,valid_from,valid_to,reference\n"
HOSTILE_SUPPLIER = "Acme; Ltd'); DROP TABLE declarations;--"
HOSTILE_PART = "=HYPERLINK(\"http://x\",\"y\")"


def _backends() -> list[str]:
    if PG or os.environ.get("ORIGINRULES_REQUIRE_PG"):
        return ["sqlite", "postgresql"]
    return ["sqlite"]


@pytest.fixture(params=_backends())
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'originrules.db'}"
    assert PG, "ORIGINRULES_REQUIRE_PG is set but ORIGINRULES_TEST_PG is not: PostgreSQL is not running"
    engine = sa.create_engine(PG)
    with engine.begin() as conn:  # a clean database for each test
        conn.execute(sa.text("DROP TABLE IF EXISTS record_chain, records, rulesets, declaration_history, declarations, alembic_version CASCADE"))
    engine.dispose()
    return PG


def cli(*args: str, db: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [*args, "--db", db])


def declarations_file(tmp_path: Path, rows: list[str], name: str = "ltsd.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def bom_with_suppliers(tmp_path: Path) -> Path:
    """The UAE motorcycle, its first two materials declared by suppliers in the register."""
    b = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    for m, (supplier, part) in zip(b["materials"], [("Pune Castings", "PC-7"), (HOSTILE_SUPPLIER, HOSTILE_PART)]):
        m.pop("originating", None)
        m["supplier"], m["part_number"] = supplier, part
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(b, indent=2), encoding="utf-8")
    return path


ROWS = [
    "Pune Castings,PC-7,840991,IN,true,UAE,2026-01-01,2026-12-31,LTSD-7",
    f'"{HOSTILE_SUPPLIER}","{HOSTILE_PART.replace(chr(34), chr(34) * 2)}",840991,IN,true,UAE,2026-01-01,2027-06-30,LTSD-8',
]


# ---------------------------------------------------------------- the register


def test_a_declarations_file_is_imported_and_hostile_names_round_trip(db: str, tmp_path: Path) -> None:
    result = cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    assert result.exit_code == 0 and "2 imported" in result.output
    listed = json.loads(cli("declarations", "list", "--date", "2026-06-01", "--format", "json", db=db).output)
    by_ref = {d["reference"]: d for d in listed}
    assert by_ref["LTSD-8"]["supplier"] == HOSTILE_SUPPLIER and by_ref["LTSD-8"]["part_number"] == HOSTILE_PART
    assert by_ref["LTSD-7"] == {
        "reference": "LTSD-7", "supplier": "Pune Castings", "part_number": "PC-7", "hs_code": "840991", "origin": "IN",
        "originating": True, "agreement": "UAE", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "revoked_on": None, "status": "valid",
    }


def test_a_file_with_one_bad_row_is_refused_whole_naming_row_and_column(db: str, tmp_path: Path) -> None:
    bad = [*ROWS, "Someone,X-1,871410,India,maybe,NOPE,2026-13-01,2026-01-01,LTSD-9"]
    result = cli("declarations", "import", str(declarations_file(tmp_path, bad)), db=db)
    assert result.exit_code == 2
    for fragment in ("row 4, column origin", "row 4, column originating", "row 4, column agreement", "row 4, column valid_from", "DEC001"):
        assert fragment in result.output
    assert json.loads(cli("declarations", "list", "--format", "json", db=db).output) == []  # nothing written


def test_importing_a_reference_again_updates_it_and_keeps_its_history(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    changed = [ROWS[0].replace("2026-12-31", "2027-12-31")]
    result = cli("declarations", "import", str(declarations_file(tmp_path, changed, "renewed.csv")), db=db)
    assert "0 imported, 1 updated" in result.output
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        changes = [r.change for r in conn.execute(sa.text("SELECT change FROM declaration_history WHERE reference = 'LTSD-7' ORDER BY id"))]
    engine.dispose()
    assert changes == ["imported", "updated"]


# ---------------------------------------------------------------- decisions on a date


def test_a_valid_declaration_makes_a_material_originating_and_the_report_names_it(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    out = json.loads(cli("check", str(bom_with_suppliers(tmp_path)), "-a", "UAE", "--date", "2026-11-26", "--format", "json", db=db).output)
    assert out["materials"]["items"][0]["originating"] is True
    assert out["materials"]["items"][0]["why"] == "declared originating in IN by declaration LTSD-7 (Pune Castings, part PC-7), valid 2026-01-01 to 2026-12-31"
    assert not any("LTSD-7" in w for w in out["warnings"])  # a valid declaration used is no warning


def test_an_expired_revoked_or_foreign_declaration_leaves_the_material_non_originating_and_says_why(db: str, tmp_path: Path) -> None:
    rows = [ROWS[0], ROWS[1].replace(",UAE,", ",UK,")]
    cli("declarations", "import", str(declarations_file(tmp_path, rows)), db=db)
    bom = str(bom_with_suppliers(tmp_path))
    after = json.loads(cli("check", bom, "-a", "UAE", "--date", "2027-01-05", "--format", "json", db=db).output)
    assert "material 1: counted as non-originating: LTSD-7 expired on 2026-12-31" in after["warnings"]
    assert any("are for UK, not UAE" in w for w in after["warnings"])
    # nobody declared these materials non-originating: the report says why they count so
    whys = [m["why"] for m in after["materials"]["items"][:2]]
    assert whys == ["no valid declaration: LTSD-7 expired on 2026-12-31",
                    f"no valid declaration: the declarations of {HOSTILE_SUPPLIER}, part {HOSTILE_PART} are for UK, not UAE"]
    text = cli("check", bom, "-a", "UAE", "--date", "2027-01-05", db=db).output
    crankcase = next(line for line in text.splitlines() if "Crankcase" in line)
    assert "declared non-originating" not in crankcase and "no valid declaration: LTSD-7 expired" in crankcase
    cli("declarations", "revoke", "LTSD-7", "--date", "2026-06-01", db=db)
    revoked = json.loads(cli("check", bom, "-a", "UAE", "--date", "2026-11-26", "--format", "json", db=db).output)
    assert "material 1: counted as non-originating: LTSD-7 was revoked on 2026-06-01" in revoked["warnings"]
    assert revoked["materials"]["items"][0]["originating"] is False


def test_a_bom_declaration_wins_only_when_the_bom_says_so(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, [ROWS[0].replace("true", "false")])), db=db)
    b = json.loads(bom_with_suppliers(tmp_path).read_text(encoding="utf-8"))
    b["materials"][0]["originating"] = True
    path = tmp_path / "own.json"
    path.write_text(json.dumps(b), encoding="utf-8")
    registered = json.loads(cli("check", str(path), "-a", "UAE", "--date", "2026-11-26", "--format", "json", db=db).output)
    assert registered["materials"]["items"][0]["originating"] is False  # the register's declaration
    b["materials"][0]["declaration"] = "bom"
    path.write_text(json.dumps(b), encoding="utf-8")
    own = json.loads(cli("check", str(path), "-a", "UAE", "--date", "2026-11-26", "--format", "json", db=db).output)
    assert own["materials"]["items"][0]["originating"] is True


# ---------------------------------------------------------------- records and their audit


def test_recorded_decisions_are_listed_and_reproduce_byte_for_byte(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    assert cli("check", str(bom_with_suppliers(tmp_path)), "-a", "UAE", "--date", "2026-11-26", "--record", db=db).exit_code == 0
    assert cli("check", str(EXAMPLES / "car-uk-fail.json"), "-a", "UK", "--record", "--what-if", "8.value=1", db=db).exit_code in (0, 1)
    catalogue = tmp_path / "c.jsonl"
    catalogue.write_text("\n".join(json.dumps(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(EXAMPLES.glob("*-uk*.json"))) + "\n", encoding="utf-8")
    assert cli("batch", str(catalogue), "-a", "UK", "-o", str(tmp_path / "out.jsonl"), "--record", db=db).exit_code == 0
    rows = json.loads(cli("history", "--format", "json", db=db).output)
    assert len(rows) == 2 + 4 and rows[0]["declarations"] == ["LTSD-7", "LTSD-8"]
    assert [r["agreement"] for r in json.loads(cli("history", "-a", "UAE", "--format", "json", db=db).output)] == ["UAE"]
    assert len(json.loads(cli("history", "--product", "Motorcycle", "--format", "json", db=db).output)) == 1
    verified = cli("audit", "verify", db=db)
    assert verified.exit_code == 0 and "6 records, 6 reproduced, 0 not" in verified.output
    engine = sa.create_engine(db)
    with engine.begin() as conn:  # someone edits a record behind the register's back
        conn.execute(sa.text("UPDATE records SET output = replace(output, 'originating', 'ORIGINATING') WHERE id = 1"))
    engine.dispose()
    tampered = cli("audit", "verify", db=db)
    assert tampered.exit_code == 4 and "record 1 " in tampered.output and "5 reproduced, 1 not" in tampered.output


def _three_records(db: str) -> None:
    """A NOT ORIGINATING car, an originating car and an originating motorcycle, recorded in turn."""
    assert cli("check", str(EXAMPLES / "car-uk-fail.json"), "-a", "UK", "--date", "2026-11-26", "--record", db=db).exit_code == 1
    assert cli("check", str(EXAMPLES / "car-uk.json"), "-a", "UK", "--date", "2026-11-26", "--record", db=db).exit_code == 0
    assert cli("check", str(EXAMPLES / "motorcycle-uae.json"), "-a", "UAE", "--date", "2026-11-26", "--record", db=db).exit_code == 0


def _sql(db: str, *statements: str) -> None:
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        for s in statements:
            conn.execute(sa.text(s))
    engine.dispose()


_COPY = ("INSERT INTO records (decision_id, kind, recorded_at, on_date, agreement, hs_code, product, verdict, input_sha256, ruleset_sha256, assume_origin, "
         "input, context, output, prev_sha256, entry_sha256) SELECT decision_id, kind, recorded_at, on_date, agreement, hs_code, product, verdict, "
         "input_sha256, ruleset_sha256, assume_origin, input, context, output, prev_sha256, entry_sha256 FROM records WHERE id = 2")
TAMPERING = {
    # a shown column edited behind the register's back: the record is named
    "verdict": (["UPDATE records SET verdict = 'originating' WHERE id = 1"], "record 1 "),
    "product": (["UPDATE records SET product = 'Something else' WHERE id = 1"], "record 1 "),
    "hs_code": (["UPDATE records SET hs_code = '870899' WHERE id = 1"], "record 1 "),
    "agreement": (["UPDATE records SET agreement = 'UAE' WHERE id = 1"], "record 1 "),
    "date": (["UPDATE records SET on_date = '2026-01-01' WHERE id = 1"], "record 1 "),
    "input hash": (["UPDATE records SET input_sha256 = ruleset_sha256 WHERE id = 1"], "record 1 "),
    # records deleted, in the middle or at the end; a copy inserted
    "deleted": (["DELETE FROM records WHERE id = 2"], "record 3 "),
    "deleted last": (["DELETE FROM records WHERE id = 3"], "chain: "),
    "copy inserted": ([_COPY], "record 4 "),
    # one record's input and output swapped for another's (both of one agreement, UK)
    "swapped": (["UPDATE records SET input = (SELECT input FROM records WHERE id = 2), output = (SELECT output FROM records WHERE id = 2) WHERE id = 1"], "record 1 "),
}


@pytest.mark.parametrize("attack", list(TAMPERING))
def test_audit_verify_finds_every_edited_deleted_inserted_or_swapped_record(db: str, attack: str) -> None:
    _three_records(db)
    before = cli("audit", "verify", db=db)
    assert before.exit_code == 0 and "3 records, 3 reproduced, 0 not" in before.output
    statements, named = TAMPERING[attack]
    _sql(db, *statements)
    after = cli("audit", "verify", db=db)
    assert after.exit_code == 4 and named in after.output and "NOT verified" in after.output, after.output


def test_an_anchor_kept_outside_the_database_catches_a_rewritten_chain(db: str) -> None:
    from originrules.store.chain import GENESIS, entry_hash

    _three_records(db)
    head = cli("audit", "verify", db=db).output.split("chain head: ")[1].split()[0]
    assert cli("audit", "verify", "--anchor", head, db=db).exit_code == 0
    # an attacker who can write the database edits a verdict and seals the whole chain anew
    engine = sa.create_engine(db)
    from originrules.store.schema import record_chain, records

    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE records SET output = replace(output, '\"verdict\": \"not originating\"', '\"verdict\": \"not originating \"') WHERE id = 1"))
        previous = GENESIS
        for r in conn.execute(sa.select(records).order_by(records.c.id)).all():
            previous_now = entry_hash(previous, r._mapping)
            conn.execute(records.update().where(records.c.id == r.id).values(prev_sha256=previous, entry_sha256=previous_now))
            previous = previous_now
        conn.execute(record_chain.update().values(head=previous))
    engine.dispose()
    rewritten = cli("audit", "verify", "--anchor", head, db=db)
    assert rewritten.exit_code == 4 and f"no record has the entry hash {head}" in rewritten.output


def test_a_recorded_what_if_is_marked_as_such_in_every_view(db: str) -> None:
    assert cli("check", str(EXAMPLES / "motorcycle-uae-fail.json"), "-a", "UAE", "--record", "--what-if", "1.origin=IN", "--what-if", "1.originating=true", db=db).exit_code in (0, 1)
    listed = json.loads(cli("history", "--format", "json", db=db).output)
    assert listed[0]["what_if"] == ["1.origin=IN", "1.originating=true"]
    assert "WHAT-IF (1.origin=IN; 1.originating=true), not the BOM as declared" in cli("history", db=db).output
    assert cli("audit", "verify", db=db).exit_code == 0


def test_recorded_texts_are_kept_as_written_whatever_they_hold(db: str, tmp_path: Path) -> None:
    # batch records reach PostgreSQL by COPY, whose text format has its own escapes: a tab, a
    # backslash, "\\N" (its NULL), a new line, quotes and SQL are data like any other text
    names = ["tab\there", "back\\slash \\N", "line\nbreak", "=SUM(A1) '; DROP TABLE records;--", '"quoted" \u00e9\u4e2d']
    b = json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))
    lines = []
    for name in names:
        b["product"]["description"] = name
        lines.append(json.dumps(b))
    catalogue = tmp_path / "hostile.jsonl"
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli("batch", str(catalogue), "-a", "UAE", "-o", str(tmp_path / "out.jsonl"), "--record", db=db).exit_code == 0
    assert [r["product"] for r in json.loads(cli("history", "--format", "json", db=db).output)] == names
    verified = cli("audit", "verify", db=db)
    assert verified.exit_code == 0 and "5 records, 5 reproduced, 0 not" in verified.output


def test_expiring_declarations_list_the_products_that_would_lose_origin(db: str, tmp_path: Path) -> None:
    # the failing UAE motorcycle qualifies only with material 6 declared originating
    b = json.loads((EXAMPLES / "motorcycle-uae-fail.json").read_text(encoding="utf-8"))
    advice = json.loads(CliRunner().invoke(main, ["check", str(EXAMPLES / "motorcycle-uae-fail.json"), "-a", "UAE", "--format", "json"]).output)["advice"]
    for mid in advice["materials"]:
        m = next(x for x in b["materials"] if x["id"] == mid)
        m.pop("originating", None)
        m["origin"], m["supplier"], m["part_number"] = "IN", "Supplier " + mid, "P-" + mid
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(b), encoding="utf-8")
    rows = [f"Supplier {mid},P-{mid},840991,IN,true,UAE,2026-01-01,2026-12-31,D-{mid}" for mid in advice["materials"]]
    cli("declarations", "import", str(declarations_file(tmp_path, rows)), db=db)
    # recorded with the duty question answered: the saving is what is at stake
    assert cli("check", str(path), "-a", "UAE", "--date", "2026-11-26", "--record", "--duty", db=db).exit_code == 0
    out = json.loads(cli("declarations", "expiring", "--within", "60", "--date", "2026-11-26", "--format", "json", db=db).output)
    assert {d["reference"] for d in out} == {f"D-{mid}" for mid in advice["materials"]}
    assert all(p["loses_origin"] and p["verdict_without"] == "not originating" for d in out for p in d["products"])
    assert all(p["duty_at_stake"] == "54.50" for d in out for p in d["products"])  # 5% MFN on the FOB value of 1,090 USD
    assert cli("declarations", "expiring", "--within", "10", "--date", "2026-11-26", "--format", "json", db=db).output.strip() == "[]"


# ---------------------------------------------------------------- faults


def test_two_batches_recording_into_one_sqlite_file_at_once_lose_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    catalogue = tmp_path / "c.jsonl"
    lines = [json.dumps(json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8")))] * 400
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = "import sys; from originrules.cli import run; run(sys.argv[1:])"
    CliRunner().invoke(main, ["history", "--db", db])  # nothing yet, and no file is made by reading
    procs = [
        subprocess.Popen([sys.executable, "-c", code, "batch", str(catalogue), "-a", "UAE", "-o", str(tmp_path / f"o{i}.jsonl"), "--record", "--db", db],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert len(json.loads(cli("history", "--format", "json", db=db).output)) == 800


def test_a_read_only_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=f"sqlite:///{path}")
    # opened read-only (SQLite's own mode: it holds for root too, unlike file permissions)
    readonly = f"sqlite:///file:{path}?mode=ro&uri=true"
    assert "LTSD-7" in cli("declarations", "list", db=readonly).output  # reading works
    result = cli("declarations", "revoke", "LTSD-7", db=readonly)
    assert result.exit_code == 2 and "STO001" in result.output and "read-only" in result.output


def test_a_database_that_cannot_be_created_stops_a_recording_batch_before_its_output(tmp_path: Path) -> None:
    # the records are written by a process of their own: its failure to open is still the run's
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    catalogue = tmp_path / "c.jsonl"
    catalogue.write_text(json.dumps(json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
    code = "import sys; from originrules.cli import run; run(sys.argv[1:])"
    done = subprocess.run([sys.executable, "-c", code, "batch", str(catalogue), "-a", "UAE", "-o", str(tmp_path / "o.jsonl"), "--record",
                           "--db", f"sqlite:///{blocker / 'sub' / 'x.db'}"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "STO001" in done.stderr and "cannot be created" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o.jsonl").exists()


def test_a_locked_database_is_a_clear_error_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import originrules.store.db as storedb

    path = tmp_path / "locked.db"
    db = f"sqlite:///{path}"
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    monkeypatch.setattr(storedb, "BUSY_TIMEOUT_MS", 200)
    holder = sa.create_engine(db)
    with holder.connect() as conn:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")  # another process holds the write lock
        result = cli("declarations", "revoke", "LTSD-7", db=db)
        conn.exec_driver_sql("ROLLBACK")
    holder.dispose()
    assert result.exit_code == 2 and "STO001" in result.output and "locked" in result.output


def test_a_bad_database_url_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["history", "--db", "nonsense://"])
    assert result.exit_code == 2 and "STO001" in result.output


@pytest.mark.parametrize("kill", ["the run and its writer", "the deciding process alone"])
def test_a_batch_killed_midway_leaves_whole_groups_of_records_that_all_verify(tmp_path: Path, kill: str) -> None:
    import signal
    import time

    db = f"sqlite:///{tmp_path / 'killed.db'}"
    catalogue = tmp_path / "big.jsonl"
    line = json.dumps(json.loads((EXAMPLES / "motorcycle-uae.json").read_text(encoding="utf-8")))
    catalogue.write_text((line + "\n") * 20_000, encoding="utf-8")
    code = "import sys; from originrules.cli import run; run(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "batch", str(catalogue), "-a", "UAE", "-o", str(tmp_path / "o.jsonl"), "--record", "--db", db],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    engine = sa.create_engine(db)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until some groups are in, then stop it hard
        time.sleep(0.2)
        try:
            with engine.connect() as conn:
                if conn.execute(sa.text("SELECT count(*) FROM records")).scalar() >= 1000:
                    break
        except sa.exc.OperationalError:
            continue
    if kill == "the run and its writer":
        os.killpg(proc.pid, signal.SIGKILL)  # as a terminal's kill does: the writer dies mid-transaction
    else:
        proc.send_signal(signal.SIGKILL)  # the writer sees its pipe close, writes no more and ends
    proc.wait(timeout=30)
    for _ in range(100):  # the writer is gone (no process of the session is left behind)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the record writer outlived the run")
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT count(*) FROM records")).scalar()
    engine.dispose()
    assert 0 < kept < 20_000 and kept % 500 == 0  # whole groups only
    assert not (tmp_path / "o.jsonl").exists()  # and no half-written output file
    result = cli("audit", "verify", db=db)
    assert result.exit_code == 0 and f"{kept} records, {kept} reproduced, 0 not" in result.output


def test_a_new_database_is_migrated_to_the_newest_revision(db: str) -> None:
    from originrules.store import Store
    from originrules.store.db import current, head

    store = Store(db)
    assert store.engine is not None and current(store.engine) == head() == "0003"
    with store.engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("declarations")}
    store.engine.dispose()
    assert {"ix_declarations_part", "ix_declarations_part_number"} <= indexes


def test_batch_decides_as_on_the_date_it_is_given(db: str, tmp_path: Path) -> None:
    # docs/declarations.md: `batch --date` decides a catalogue with the declarations valid that day
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text(json.dumps(json.loads(bom_with_suppliers(tmp_path).read_text(encoding="utf-8"))) + "\n", encoding="utf-8")

    def crankcase(day: str) -> dict:  # type: ignore[type-arg]
        out = CliRunner().invoke(main, ["batch", str(catalogue), "-a", "UAE", "--explain", "--date", day, "--db", db])
        return json.loads(out.output.splitlines()[0])["materials"]["items"][0]

    assert crankcase("2026-06-01")["originating"] is True  # LTSD-7 runs 2026-01-01 to 2026-12-31
    assert crankcase("2027-01-05")["why"] == "no valid declaration: LTSD-7 expired on 2026-12-31"


def test_the_register_listing_marks_each_declaration_expired_revoked_or_valid_on_the_day(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    cli("declarations", "revoke", "LTSD-8", "--date", "2027-02-01", db=db)
    listed = cli("declarations", "list", "--date", "2027-03-01", db=db).output.splitlines()
    assert sorted(line.split(": ")[:2] for line in listed) == [["EXPIRED", "LTSD-7"], ["REVOKED", "LTSD-8"]]  # LTSD-7 ended 2026-12-31; LTSD-8 revoked
    rows = json.loads(cli("declarations", "list", "--date", "2026-06-01", "--format", "json", db=db).output)
    assert {r["reference"]: r["status"] for r in rows} == {"LTSD-7": "valid", "LTSD-8": "valid"}


def test_expiring_lists_a_product_once_however_often_it_was_recorded(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    bom = bom_with_suppliers(tmp_path)
    cli("check", str(bom), "-a", "UAE", "--date", "2026-11-26", "--record", db=db)
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text(json.dumps(json.loads(bom.read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
    CliRunner().invoke(main, ["batch", str(catalogue), "-a", "UAE", "--record", "--date", "2026-11-26", "--db", db])  # the same product, another input hash
    rows = json.loads(cli("declarations", "expiring", "--within", "60", "--date", "2026-11-26", "--format", "json", db=db).output)
    ltsd7 = next(r for r in rows if r["reference"] == "LTSD-7")
    assert len(ltsd7["products"]) == 1 and ltsd7["products"][0]["loses_origin"] in (True, False)


def test_history_show_gives_one_recorded_decision_in_full(db: str, tmp_path: Path) -> None:
    cli("declarations", "import", str(declarations_file(tmp_path, ROWS)), db=db)
    assert cli("check", str(bom_with_suppliers(tmp_path)), "-a", "UAE", "--date", "2026-11-26", "--record", db=db).exit_code == 0
    [listed] = json.loads(cli("history", "--format", "json", db=db).output)
    shown = cli("history", "show", listed["decision_id"], db=db)
    assert shown.exit_code == 0
    assert f"decision:      {listed['decision_id']}" in shown.output and "decided as on: 2026-11-26" in shown.output
    assert "declarations:  LTSD-7, LTSD-8" in shown.output and '"verdict": "originating"' in shown.output  # the output as recorded
    record = json.loads(cli("history", "show", listed["decision_id"], "--format", "json", db=db).output)
    assert record["entry_sha256"] and json.loads(record["output"])["decision_id"] == listed["decision_id"]
    missing = cli("history", "show", "nosuchdecision", db=db)
    assert missing.exit_code == 2 and "no record of decision 'nosuchdecision'" in missing.output
