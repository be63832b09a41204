"""What every command shares: numbers from the command line, JSON output, failing with a
clear message and exit 2, writing a file whole or not at all, the declarations register."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from originrules.errors import OriginrulesError, Problem

EXIT_BAD_INPUT = 2
EXIT_NOT_REPRODUCED = 4  # audit verify: some record does not decide again to the same bytes
RECORD_GROUP = 500  # decisions kept per transaction by batch --record
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): never 1, which means "not originating"
_WRITE_ERRORS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF}
REPORT_TO = "https://github.com/originrules/originrules/issues"


class _Amount(click.ParamType):
    """A decimal amount from the command line, within the limits every input number keeps."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from originrules.numbers import LIMITS, parse

        if not isinstance(value, str):
            return value
        number = parse(value)
        if number is None or number < 0:
            self.fail(f"{value[:40]!r} is not a non-negative number within the limits ({LIMITS})", param, ctx)
        return number


AMOUNT = _Amount()


def _echoed_json(fmt: str, data: Any) -> bool:
    """With --format json, print `data` as JSON (and the caller is done)."""
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    return fmt == "json"


def _check_party(party: str | None) -> None:
    if party is not None and not (len(party) == 2 and party.isascii() and party.isalpha()):
        _fail(OriginrulesError(Problem(f"--party {party[:20]!r} is not an ISO 3166 alpha-2 country code (IN, GB, AE ...)", code="CLI003")))


def _fail(error: OriginrulesError) -> None:
    click.echo(error.render(), err=True)
    sys.exit(EXIT_BAD_INPUT)


def _declared(bom: Any, agreement: str, day: dt.date, db_url: str | None, writing: bool) -> tuple[Any, tuple[str, ...], Any]:
    """The BOM with its materials' status from the declaration register where it names a
    supplier and part number; the references used; the store (opened only when needed)."""
    if not (bom.suppliers or writing):  # the common case: no database (nor SQLAlchemy) to load
        return bom, (), None
    from originrules.store import Store
    from originrules.store.declarations import needs_register

    if not (needs_register(bom) or writing):
        return bom, (), None
    store = Store(db_url, create=writing)
    resolved = store.resolve(bom, agreement, day)
    return resolved.bom, resolved.used, store


@contextmanager
def _output(path: str) -> Iterator[Any]:
    """A file to write whole or not at all: a new temporary file beside the target (O_EXCL, so
    nothing planted there is followed), renamed over it when the writing is done, removed if it
    fails. A device or pipe (/dev/null, /dev/stdout, a FIFO) is written in place, never replaced;
    a failure there is still an error (CLI006), never a silent exit 0."""
    target = Path(path)
    try:
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8", newline="") as f:
                yield f
            return
        import tempfile  # only when writing a file: a check to the terminal does not load it

        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                yield f
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        _fail(OriginrulesError(Problem(f"cannot write {path}: {e.strerror or e}", code="CLI006")))


def _write(path: str, text: str) -> None:
    with _output(path) as f:
        f.write(text)
