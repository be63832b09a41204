"""Text from a file shown or written elsewhere: a ruleset, a report, a terminal. A control
character (a newline ending a `.roo` comment, NUL, ESC starting a terminal sequence) or an
invisible format character (a right-to-left override reordering what a reader sees) is written
as a visible escape (\\x1b, \\u202e), never raw."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = (
    *range(0x00, 0x20), 0x7F, *range(0x80, 0xA0),  # C0 and C1 controls, DEL
    0x061C, *range(0x200B, 0x2010), *range(0x2028, 0x202F), *range(0x2060, 0x2070),  # bidi marks, embeddings, overrides, isolates; zero-width; separators
    0xFEFF, *range(0xFFF9, 0xFFFC),
)

#: str.translate table: every unsafe character but the new line (a report's own) as its escape
ESCAPES = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE if c != 0x0A}


def visible(text: str) -> str:
    """`text` on one line, each control or invisible format character written as its escape."""
    return text.translate(ESCAPES).replace("\n", "\\n")


def one_line(text: str) -> str:
    """Whitespace runs (new lines, tabs) as single spaces, the rest as `visible`: prose quoted on one line."""
    return visible(" ".join(text.split()))


_FIND = re.compile("[" + "".join(re.escape(chr(c)) for c in _UNSAFE) + "]")


def unsafe_character(text: str) -> str | None:
    """The first control or invisible format character in `text` ("U+001B"), or None."""
    m = _FIND.search(text)
    if m is None:
        return None
    c = m.group()
    return f"U+{ord(c):04X}" + (f" {unicodedata.name(c)}" if unicodedata.name(c, "") else "")
