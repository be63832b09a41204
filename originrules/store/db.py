"""Opening the database: SQLite in the user's data directory unless told otherwise, migrated to
the current schema on open, every database failure turned into a clear error (exit 2)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from originrules.errors import OriginrulesError, Problem

ENV = "ORIGINRULES_DB"
BUSY_TIMEOUT_MS = 60_000  # a writer waits this long for another (two batches on one file)


class StoreError(OriginrulesError):
    """The database cannot be opened, read or written: locked, read-only, unreachable."""


def default_url() -> str:
    import platformdirs

    return f"sqlite:///{Path(platformdirs.user_data_dir('originrules')) / 'originrules.db'}"


def url_of(url: str | None) -> str:
    """--db, else ORIGINRULES_DB, else the SQLite file in the user's data directory; a URL that
    names no database, or one that keeps nothing (SQLite in memory), is refused (exit 2)."""
    url = url or os.environ.get(ENV) or default_url()
    try:
        made = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise StoreError(Problem(f"not a database URL: {url[:200]!r}", code="STO001", hint="e.g. sqlite:///decisions.db or postgresql+psycopg://user@host/db")) from None
    if made.get_backend_name() == "sqlite" and (made.database in (None, "", ":memory:") or "mode=memory" in url):
        raise StoreError(Problem(f"{url[:200]!r} is a database in memory: it would keep nothing once the command ends", code="STO001", hint="give a file, e.g. sqlite:///decisions.db"))
    return url


def _sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names (not for a `file:` URI such as ...?mode=ro&uri=true)."""
    made = sa.engine.make_url(url)
    if made.get_backend_name() != "sqlite" or made.database in (None, "", ":memory:") or made.query.get("uri") in ("true", "1"):
        return None
    return Path(made.database)


def exists(url: str) -> bool:
    """Is there a database there already? (A read never creates one.)"""
    path = _sqlite_file(url)
    return path.exists() if path is not None else True


def engine_for(url: str) -> sa.Engine:
    try:
        made = sa.engine.make_url(url)
    except sa.exc.ArgumentError as e:
        raise StoreError(Problem(f"not a database URL: {url!r} ({e})", code="STO001", hint="e.g. sqlite:///decisions.db or postgresql+psycopg://user@host/db")) from None
    if made.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(Problem(f"the database {path} cannot be created: {e.strerror or e} ({path.parent})", code="STO001", hint="give another with --db")) from None
        engine = sa.create_engine(made, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cur = dbapi.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                cur.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
            except sqlite3.OperationalError as e:
                # another process is making the same new file WAL (a file's journal mode is kept in
                # it): this one goes on; SQLite's locking serialises them either way
                if "locked" not in str(e).lower():
                    raise
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        return engine
    try:
        return sa.create_engine(made, pool_pre_ping=True)
    except (ImportError, sa.exc.NoSuchModuleError) as e:
        raise StoreError(Problem(f"cannot use {made.get_backend_name()}: {e}", code="STO001", hint="pip install 'originrules[db]'")) from None


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def head() -> str:
    """The newest migration's revision: the number its file name starts with (0001_..., 0002_...)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def current(engine: sa.Engine) -> str | None:
    """The database's revision, or None if it has none yet."""
    with guarded(str(engine.url)), engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: sa.Engine) -> None:
    """Bring the schema up to date (Alembic, the migrations shipped in the package). A database
    already at the newest revision costs one query: Alembic is loaded only to change a schema."""
    if current(engine) == head():
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # two processes opening a new database at once must not both create its tables: the
    # migration runs under a lock (a lock file beside SQLite's, an advisory lock in PostgreSQL)
    with guarded(str(engine.url)), _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(7262026)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    path = _sqlite_file(str(engine.url))
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: SQLite's own locking only
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None:
        yield
        return

    with open(path.with_name(path.name + ".migrating"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def guarded(url: str) -> Iterator[None]:
    """Database failures as our errors: what went wrong, with the database named (no password)."""
    shown = sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url else url
    try:
        yield
    except sa.exc.OperationalError as e:
        text = str(e.orig) if e.orig is not None else str(e)
        low = text.lower()
        if "locked" in low or "busy" in low:
            why = "is locked by another process (it waited; try again when that one has finished)"
        elif "readonly" in low or "read-only" in low or "read only" in low:
            why = "is read-only: check the file's permissions, or give another with --db"
        else:
            why = f"cannot be used: {text.splitlines()[0] if text else e}"
        raise StoreError(Problem(f"the database {shown} {why}", code="STO001")) from None
    except sa.exc.DatabaseError as e:
        raise StoreError(Problem(f"the database {shown} failed: {str(e.orig or e).splitlines()[0]}", code="STO001")) from None


def insert_many(conn: sa.Connection, table: sa.Table, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Append many rows (tuples of the columns `names`) in the caller's transaction, without
    SQLAlchemy's per-row work (a register of a million declarations): PostgreSQL by COPY,
    SQLite by the driver's executemany, each value turned into what the column stores by the
    column type's own bind processor. The values go as data, never as SQL."""
    if not rows:
        return
    listed = ", ".join(names)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({listed}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    processors = [(i, p, {}) for i, p in enumerate(table.c[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for n in names) if p is not None]
    if processors:
        rows = [_processed(r, processors) for r in rows]
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({listed}) VALUES ({', '.join('?' * len(names))})", rows)


def _processed(row: tuple[Any, ...], processors: list[tuple[int, Any, dict[Any, Any]]]) -> tuple[Any, ...]:
    """The row with each value as its column stores it. A value is processed once and then
    looked up: a register has few distinct dates, one import time and two flags."""
    values = list(row)
    for i, process, seen in processors:
        v = values[i]
        try:
            values[i] = seen[v]
        except KeyError:
            values[i] = seen[v] = process(v)
    return tuple(values)
