"""The Store: one object for the declarations register and the records, over one database."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from originrules.bom import Bom
from originrules.store import declarations as decl
from originrules.store import records as rec
from originrules.store.db import StoreError, engine_for, exists, guarded, migrate, url_of
from originrules.store.schema import records as records_table
from originrules.store.schema import rulesets


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Store:
    def __init__(self, url: str | None = None, *, create: bool = True):
        self.url = url_of(url)
        self._local = threading.local()
        self.engine: sa.Engine | None = None
        if create or exists(self.url):
            self.engine = engine_for(self.url)
            migrate(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One unit of work: all of it is written, or none of it."""
        if self.engine is None:
            raise StoreError(f"no database at {self.url}")
        with guarded(self.url), self.engine.begin() as conn:
            yield conn

    # -- declarations
    def import_declarations(self, path: str) -> dict[str, int]:
        """Every row of the file, or (any row bad, any two declarations disagreeing) none."""
        with self.transaction() as conn:
            counts = decl.import_file(conn, path, _now())
        self.analyze()
        return counts

    def analyze(self) -> None:
        """Fresh planner statistics after a large import: PostgreSQL would otherwise scan the
        whole register for a BOM's parts until autovacuum came by."""
        if self.engine is not None and self.engine.dialect.name == "postgresql":
            with self.transaction() as conn:
                conn.execute(sa.text("ANALYZE declarations"))

    def declarations(self) -> list[decl.Declaration]:
        with self.transaction() as conn:
            return decl.listing(conn)

    def expiring(self, day: dt.date, within: int) -> list[decl.Declaration]:
        with self.transaction() as conn:
            return decl.expiring(conn, day, within)

    def revoke(self, reference: str, day: dt.date) -> decl.Declaration:
        with self.transaction() as conn:
            return decl.revoke(conn, reference, day, _now())

    def resolve(self, bom: Bom, agreement: str, day: dt.date) -> decl.Resolved:
        if self.engine is None:
            return decl.resolve(None, bom, agreement, day)
        with guarded(self.url):
            return decl.resolve(self._reading(), bom, agreement, day)

    def _reading(self) -> sa.Connection:
        """A connection kept open for status lookups, one per thread, in autocommit: a lookup
        (one SELECT) is then one round trip to the server, not a checkout with its ping, BEGIN,
        the query and COMMIT; and psycopg prepares the statement after a few uses."""
        assert self.engine is not None
        conn: sa.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._local.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return conn

    # -- records
    def record(self, rows: list[dict[str, Any]], texts: dict[str, str]) -> None:
        with self.transaction() as conn:
            rec.add(conn, rows, texts)

    def check(self, bom: Any, agreement: str, on: dt.date | str | None = None, *, keep: bool = False, **options: Any) -> Any:
        """Decide a BOM (a Bom or a mapping as `json.load` gives it) with its materials' status from
        the declarations valid on `on` (a date or ISO text; today if not given), as `originrules
        check --db` does; `keep=True` records the decision, as `check --record`."""
        from originrules.bom import as_bom, as_date
        from originrules.engine import check

        day = as_date(on) or dt.date.today()
        resolved = self.resolve(as_bom(bom), agreement, day)
        decision = check(resolved.bom, agreement, on=day, **options)
        if keep:
            self.keep(decision, day, resolved.used)
        return decision

    def keep(self, decision: Any, on: dt.date | str | None = None, used: tuple[str, ...] = (), original: str | None = None, **extra: Any) -> str:
        """Record a decision (its report as `check --record` writes it, the ruleset's text, the
        declarations it used); `original`: the BOM file's text as read, when it came from a file.
        Returns the decision id."""
        from originrules.bom import as_date
        from originrules.registry import ruleset_text
        from originrules.store.rows import row

        day = as_date(on) or dt.date.today()
        self.record([row(decision, "check", rec.render_record(decision, "check"), original, day, used, _now(), **extra)],
                    {decision.ruleset.sha256: ruleset_text(decision.ruleset.path)})
        return str(decision.decision_id)

    def history(self, product: str | None = None, agreement: str | None = None) -> list[dict[str, Any]]:
        if self.engine is None:
            return []
        with self.transaction() as conn:
            return rec.history(conn, product, agreement)

    def keep_chips(self, decision: Any) -> str:
        """Record an export-control decision (originrules.chips), as `chips check --record`:
        the order, the regime's text with its chips' table, the report as JSON."""
        from originrules.chips import render

        row = {
            "decision_id": decision.decision_id, "kind": "chips", "recorded_at": _now(), "on_date": decision.on,
            "agreement": decision.regime.code, "hs_code": "", "product": rec.chips_product(decision.order),
            "verdict": decision.verdict, "input_sha256": rec.sha256_text(decision.order.text), "ruleset_sha256": decision.regime.sha256,
            "assume_origin": False, "input": decision.order.text,
            "context": json.dumps({"what_if": list(decision.what_if), "warnings": [], "declarations": []}, sort_keys=True),
            "output": render(decision, "json"), "_ruleset": (decision.regime.sha256, decision.regime.path),
        }
        self.record([row], {decision.regime.sha256: decision.regime.text})
        return str(decision.decision_id)

    def show(self, decision_id: str) -> dict[str, Any] | None:
        """One recorded decision in full (records.show), or None."""
        if self.engine is None:
            return None
        with self.transaction() as conn:
            return rec.show(conn, decision_id)

    def verify(self, anchor: str | None = None) -> tuple[int, list[dict[str, Any]], str]:
        """(records checked, those that fail and why, the chain's head): see records.verify."""
        if self.engine is None:
            return 0, [], rec.GENESIS
        with self.transaction() as conn:
            return rec.verify(conn, anchor)

    def impact(self, expiring: list[decl.Declaration], day: dt.date) -> list[dict[str, Any]]:
        """For each expiring declaration, the recorded products that rest on it, decided again
        without it: which would lose origin, and the duty at stake where a record knows it."""
        import attrs

        from originrules.bom import loads
        from originrules.compile import compile_ruleset
        from originrules.engine import check
        from originrules.lang.resolve import load_text

        out: list[dict[str, Any]] = []
        if self.engine is None or not expiring:
            return out
        with self.transaction() as conn:
            texts = {r.sha256: (r.text, r.path) for r in conn.execute(sa.select(rulesets))}
            latest: dict[tuple[str, str], Any] = {}
            for r in conn.execute(sa.select(records_table).order_by(records_table.c.id)):
                # the latest record of each product and agreement: a product recorded by `check`
                # (the file's text) and by `batch` (its line) has two input hashes but is one product
                latest[(r.product, r.hs_code, r.agreement)] = r
        compiled: dict[str, Any] = {}
        for d in expiring:
            products = []
            for r in latest.values():
                context = json.loads(r.context)
                if d.reference not in context["declarations"]:
                    continue
                bom = loads(r.input, "record")
                without = tuple(m._replace(originating=False) if (m.supplier, m.part_number) == (d.supplier, d.part_number) else m for m in bom.materials)
                bom = attrs.evolve(bom, materials=without, digest=None)
                if r.ruleset_sha256 not in compiled:
                    text, path = texts[r.ruleset_sha256]
                    compiled[r.ruleset_sha256] = compile_ruleset(load_text(text, path))
                after = check(bom, compiled[r.ruleset_sha256], assume_origin=r.assume_origin, explain=False)
                products.append({
                    "decision_id": r.decision_id, "agreement": r.agreement, "hs_code": r.hs_code, "product": r.product,
                    "verdict_now": r.verdict, "verdict_without": after.verdict,
                    "loses_origin": r.verdict == "originating" and after.originating is not True,
                    "duty_at_stake": context.get("duty_saving"),
                })
            out.append({**d.to_dict(), "days_left": (d.valid_to - day).days, "products": products})
        return out

