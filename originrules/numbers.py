"""Numbers: the limits every number read from a file must keep, and the one decimal context.

Money, rates and percentages are exact `Decimal`s. So that no arithmetic on them can round,
overflow or raise, every number read from a BOM, CSV/XLSX cell, `--what-if`, ruleset, tariff
schedule or duty attribute is kept within these limits (docs/security.md), and arithmetic runs
in `EXACT`, whose precision holds any product, sum or ratio of such numbers exactly and which
traps rather than rounds if that ever failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, Rounded, localcontext

#: a number is below 10**15 (a thousand million million, in any currency)
MAX_INTEGER_DIGITS = 15
#: and has at most 12 decimal places (exchange rates need more than money does)
MAX_FRACTION_DIGITS = 12
LIMITS = f"at most {MAX_INTEGER_DIGITS} digits before the decimal point and {MAX_FRACTION_DIGITS} after it"

EXACT = Context(prec=400, Emax=10_000, Emin=-10_000, traps=[Inexact, Rounded, InvalidOperation, DivisionByZero, Overflow])

_PLACES = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
_WIDE = Context(prec=MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2)


def within_limits(number: Decimal) -> Decimal | None:
    """The number, if it keeps the limits (trailing zeros past the 12th place are dropped); else None."""
    if not number.is_finite():
        return None
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        return None
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -MAX_FRACTION_DIGITS:
        # 1.50000000000000000 is 1.5 typed long; 1E-5000 is not a money amount
        short = number.quantize(_PLACES, context=_WIDE)
        if short != number:
            return None
        plain = short.normalize(_WIDE)
        number = plain if plain.as_tuple().exponent <= 0 else short.quantize(Decimal(1), context=_WIDE)  # type: ignore[operator]
    return number


def limit_message(text: object) -> str:
    shown = str(text)
    if len(shown) > 40:
        shown = f"{shown[:20]}...{shown[-8:]} ({len(shown)} characters)"
    return f"{shown} is outside the limits of a number here ({LIMITS})"


def parse(text: str) -> Decimal | None:
    """A number written as text (`40`, `1,050.50`, `12.5%`), if it is one and keeps the limits."""
    try:
        number = Decimal(text.strip().rstrip("% \t").replace(",", ""))
    except ArithmeticError:
        return None
    return within_limits(number)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """A sum of money that never rounds (the default context would, past 28 digits)."""
    with localcontext(EXACT):
        return sum(values, Decimal(0))
