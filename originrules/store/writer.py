"""Records written beside the deciding: `batch --record` hands each group of records to a
process of its own, which writes it in one transaction. The deciding process then pays only
for handing the rows over; loading SQLAlchemy, building the statements and committing happen on
another core (measured in benchmarks/bench_store.py).

The pipe between the two is private to them (made before the writer starts, never named on
disk), so what crosses it is our own data, not input anyone else could write.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from typing import Any

from originrules.errors import OriginrulesError, Problem


class Writer:
    """Groups of records in, each written whole or not at all; errors come back as StoreError."""

    def __init__(self, url: str | None):
        context = multiprocessing.get_context()
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(url, theirs, self._pipe), name="originrules-records", daemon=True)
        self._process.start()
        theirs.close()
        self._opened = False
        self._sent: set[str] = set()  # ruleset texts the writer has (each is sent once)
        # groups go through a thread of ours, so that deciding goes on while the writer is still
        # busy with the group before; a few groups at most wait (the deciding waits beyond that)
        self._outbox: queue.Queue[Any] = queue.Queue(maxsize=4)
        self._failed: BaseException | None = None
        self._sender = threading.Thread(target=self._send_all, name="originrules-records-sender", daemon=True)
        self._sender.start()

    def _send_all(self) -> None:
        while True:
            message = self._outbox.get()
            try:
                self._pipe.send(message)
            except OSError as e:  # the writer has stopped; its answer says why
                self._failed = e
            if message is None:
                return

    def opened(self, wait: bool = True) -> bool:
        """Has the writer opened the database? Raise why it could not; without `wait`, False
        while it is still opening."""
        if not self._opened and (wait or self._pipe.poll()):
            self._answer()
            self._opened = True
        return self._opened

    def write(self, rows: list[dict[str, Any]], texts: dict[str, str]) -> None:
        self.opened()
        if self._pipe.poll():  # the writer stopped on an earlier group: say why
            self._answer()
        if self._failed is not None:
            self._answer()
            raise self._failed
        new = {sha: text for sha, text in texts.items() if sha not in self._sent}
        self._outbox.put((rows, new))
        self._sent.update(new)

    def close(self) -> int:
        """Wait for every group to be written; the number of records written."""
        self.opened()
        self._outbox.put(None)
        self._sender.join()
        written = self._answer()
        self._process.join()
        return int(written)

    def _answer(self) -> Any:
        try:
            kind, value = self._pipe.recv()
        except (EOFError, OSError):
            from originrules.store.db import StoreError  # here, not above: it loads SQLAlchemy

            self._process.join(5)
            raise StoreError(Problem(f"the process writing the records ended unexpectedly (exit code {self._process.exitcode})", code="STO003")) from None
        if kind == "error":
            from originrules.store.db import StoreError

            raise StoreError(value)
        return value


def _serve(url: str | None, pipe: Any, ours: Any) -> None:
    """The writer: open the store, then write each group as it comes, until None (done) or the
    end of the pipe (the deciding process is gone: nothing half-begun is written)."""
    ours.close()  # the deciding process's end, inherited by a fork: else its death is never seen
    # Ctrl-C reaches the whole process group; the deciding process decides what to do, and a
    # group already handed over is written whole
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from originrules.store import Store

        store = Store(url)
    except OriginrulesError as e:
        pipe.send(("error", e.problems))
        return
    except Exception as e:  # noqa: BLE001 - said by the deciding process, as a store error, not a traceback here
        pipe.send(("error", [Problem(f"the database cannot be opened: {type(e).__name__}: {str(e)[:300]}", code="STO001")]))
        return
    pipe.send(("opened", None))
    texts: dict[str, str] = {}
    written = 0
    while True:
        try:
            message = pipe.recv()
        except EOFError:
            return
        if message is None:
            break
        rows, new = message
        texts.update(new)
        try:
            store.record(rows, texts)
        except OriginrulesError as e:
            pipe.send(("error", e.problems))
            return
        except Exception as e:  # noqa: BLE001 - reported by the deciding process, which exits 70 on it
            pipe.send(("error", [Problem(f"internal error while writing records: {type(e).__name__}: {str(e)[:300]}", code="STO003")]))
            return
        written += len(rows)
    pipe.send(("done", written))
