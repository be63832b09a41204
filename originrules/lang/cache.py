"""The parsed-ruleset cache: plain JSON of the checked AST, in a directory only the user owns.

Parsing the whole UK annex takes a fifth of a second; a command-line check should not pay it
every time. No pickle: a cache file is data, and decoding it can only build originrules' own
AST classes from strings, numbers and lists (docs/security.md). An entry is keyed by the
SHA-256 of the version, the grammar, the citation and the ruleset text, and carries that key
and the digest of its own body, so a corrupt, truncated or swapped file is a miss, never a
wrong ruleset. A directory that another user owns or can write to is not used at all.

Set ORIGINRULES_CACHE=off to disable the cache, or to a directory to move it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from originrules import hs
from originrules.lang import ast

FORMAT = 2  # bump when the encoding changes

# The only classes a cache file can name: the AST's and the HS code sets. A name is looked up
# in this table, never imported or resolved as an attribute path.
_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for module in (ast, hs)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, msgspec.Struct) and cls.__module__ == module.__name__
}



# The encoding is positional, so that reading it back is quick (a check reads a whole annex):
# a node is a list headed by its class name, `["Span", 3, 1, 3, 9]`, its fields in order; a
# tuple is a list headed by "()"; a Decimal, a date and a dict are one-key objects {"d": "45"},
# {"date": "2024-01-01"}, {"m": [[key, value], ...]}; strings, numbers, booleans and null are
# themselves.
_TUPLE = "()"
_CONTAINERS = (list, dict)


def encode(value: Any) -> Any:
    """An AST value as JSON-ready data that `decode` turns back into the same value."""
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, tuple):
        return [_TUPLE, *map(encode, value)]
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dict):
        return {"m": [[k, encode(v)] for k, v in value.items()]}
    cls = type(value)
    if _CLASSES.get(cls.__name__) is not cls:
        raise TypeError(f"{cls.__name__} is not part of a ruleset")
    return [cls.__name__, *(encode(getattr(value, name)) for name in value.__struct_fields__)]


def _value(data: Any) -> Any:
    if type(data) is list:
        if not data:
            raise ValueError("not a cache entry")
        head = data[0]
        args = data[1:]
        for i, x in enumerate(args):  # in place: the commonest fields are plain values
            if type(x) in _CONTAINERS:
                args[i] = _value(x)
        if head == _TUPLE:
            return tuple(args)
        cls = _CLASSES.get(head) if isinstance(head, str) else None
        if cls is None:
            raise ValueError(f"{head!r} is not part of a ruleset")
        return cls(*args)
    if type(data) is dict and len(data) == 1:
        ((tag, v),) = data.items()
        if tag == "d" and isinstance(v, str):
            return Decimal(v)
        if tag == "date" and isinstance(v, str):
            return dt.date.fromisoformat(v)
        if tag == "m" and isinstance(v, list):
            return {k: _value(x) if type(x) in _CONTAINERS else x for k, x in v}
    raise ValueError("not a cache entry")


def decode(text: str) -> Any:
    """The value a cache body holds; ValueError if it is anything but an encoded ruleset value."""
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError as e:
        raise ValueError(str(e)) from None
    return _value(data) if type(data) in _CONTAINERS else data


# ---------------------------------------------------------------- the directory


def directory() -> Path | None:
    """Where the cache lives, or None if it is switched off."""
    setting = os.environ.get("ORIGINRULES_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "originrules"


def _private(path: Path, create: bool) -> bool:
    """Is `path` a directory of ours that no one else can write to? Create it (0700) if asked."""
    if create:
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return _note(f"cache directory {path} belongs to another user; not used")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return _note(f"cache directory {path} can be written by others (mode {stat.S_IMODE(st.st_mode):o}); not used")
    return True


def _note(message: str) -> bool:
    print(f"note: {message}", file=sys.stderr)
    return False


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join((str(FORMAT), *parts)).encode("utf-8")).hexdigest()


def cached(parts: tuple[str, ...], make: Callable[[], Any]) -> Any:
    """The value `make()` gives for these key parts, from the cache when a sound entry exists."""
    folder = directory()
    if folder is None:
        return make()
    key = _key(*parts)
    entry = folder / f"{key}.json"
    if entry.exists() and _private(folder, create=False):
        found = _read(entry, key)
        if found is not None:
            return found
    value = make()
    if _private(folder, create=True):
        _write(entry, key, value)
    return value


def _read(entry: Path, key: str) -> Any:
    try:
        st = entry.lstat()
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            _note(f"cache entry {entry} is not a file of ours; ignored")
            return None
        head, _, body = entry.read_text(encoding="utf-8").partition("\n")
        meta = json.loads(head)
        if meta != {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()}:
            raise ValueError("header does not match")
        return decode(body)
    except (OSError, ValueError, TypeError, RecursionError) as e:
        # a corrupt, truncated or foreign entry is a miss: parse afresh and overwrite it
        _note(f"cache entry {entry.name} ignored ({type(e).__name__}); parsing afresh")
        return None


def _write(entry: Path, key: str, value: Any) -> None:
    body = msgspec.json.encode(encode(value)).decode("utf-8")
    head = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()})
    tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(head + "\n" + body)
        os.replace(tmp, entry)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass  # a read-only cache is no reason to fail
