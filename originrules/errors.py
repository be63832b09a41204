"""originrules' own errors. Everything a user can cause ends in one of these, never a traceback."""

from __future__ import annotations

import msgspec


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with an input, with where it is and what would fix it. (Change one with
    `msgspec.structs.replace`: a Struct is built in C, where an attrs class is compiled at import.)"""

    message: str
    where: str = ""  # "file:line:col" for rulesets, "file: json.path" for BOMs
    code: str = ""  # a stable code such as "ORL201"; docs/errors.md explains each
    hint: str = ""
    excerpt: str = ""  # the source line and a caret, for syntax errors
    severity: str = "error"  # "error", "warning" or "note"

    def render(self) -> str:
        head = f"{self.where}: " if self.where else ""
        code = f"[{self.code}] " if self.code else ""
        out = f"{head}{self.severity}: {code}{self.message}"
        if self.excerpt:
            out += "\n" + self.excerpt
        if self.hint:
            out += f"\n  hint: {self.hint}"
        return out


class OriginrulesError(Exception):
    """Base class: bad input of any kind. The CLI prints it (render()) and exits 2.

    From Python: `code` is the first problem's stable code (docs/errors.md), `problems` every
    problem with where it is; str() is the messages in words, without the command line's marks.
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.code: str = next((p.code for p in self.problems if p.code), "")
        super().__init__("\n".join(f"{p.where}: {p.message}" if p.where else p.message for p in self.problems))

    def render(self) -> str:
        """As the command line prints it: where, severity, [code], message, excerpt, hint."""
        return "\n".join(p.render() for p in self.problems)


class RulesetError(OriginrulesError):
    """A ruleset file cannot be read, parsed or resolved."""


class BomError(OriginrulesError):
    """A bill of materials is malformed; each problem names its JSON path."""


class UnknownAgreement(OriginrulesError):
    """The agreement code or alias is not one of the shipped rulesets."""


class NotInForce(OriginrulesError):
    """The agreement is not in force on the date asked about."""
