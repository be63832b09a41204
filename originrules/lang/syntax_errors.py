"""Syntax errors that teach: sample bad inputs, each with the message a rule writer should see.

When parsing fails, Lark replays these samples and picks the one that fails in the same parser
state (`UnexpectedInput.match_examples`). The samples double as tests (tests/test_lint.py):
each must produce its own code. docs/errors.md explains every code.
"""

from __future__ import annotations

# A header that parses, so that rule-level samples fail only where they mean to.
H = 'agreement X "x" {\n parties IN, AE\n value_name VA\n basis fob\n}\n'
A = 'agreement X "x" {\n'

# code -> (message, hint, samples)
SAMPLES: dict[str, tuple[str, str, list[str]]] = {
    "ORL110": (
        "expected a test such as CTH, WO or VA(...) >= 40%, or '('",
        "a rule body is tests joined by and / or, e.g. CTH and VA >= 40%",
        [H + "87:", H + "87: CTH and", H + "87: CTH or", H + "87: (", H + "87: CTH and (", H + "let x =", H + "87: CTH or\n8716: CTSH"],
    ),
    "ORL111": (
        "expected ':' between the rule's key (and description) and its test",
        'write the key, an optional "description", then a colon: 87 "Vehicles": CTH',
        [H + "87 CTH", H + '87 "Vehicles" CTH', H + "8701-8705 WO", H + '87 "x" subdivision "y" CTH'],
    ),
    "ORL112": (
        "a comparison needs a percentage such as 40%",
        "write the percent sign: VA >= 40%",
        [H + "87: VA >=", H + "87: VA >= 40", H + "87: VA(fob) >= 40.5", H + "87: VA >= 40 and CTH"],
    ),
    "ORL113": (
        "a '(' is not closed: expected ')'",
        "close every parenthesis you open",
        [H + "87: (CTH and WO", H + "87: (CTH or (WO and CC)", H + "87: va(40%"],
    ),
    "ORL114": (
        "tests must be joined by 'and' or 'or'",
        "e.g. CTH and WO, or CTH or WO",
        [H + "87: CTH WO", H + "87: CTH CTSH", H + "87: VA >= 40% CTH", H + "87: (CTH) WO"],
    ),
    "ORL115": (
        "a statement starts with an HS code (87, 8703, 870322, 8701-8705), 'ex', 'general', 'let' or 'agreement'",
        "rules are written KEY: TEST, e.g. 8703: CTH",
        [H + "CTH: WO", H + "rule 87: WO", H + '"87": WO', H + "87: WO\n: CTH"],
    ),
    "ORL116": (
        "a ')' with no '(' open",
        "remove the extra ')'",
        [H + "87: CTH)", H + "87: (CTH))", H + "87: CTH and WO)"],
    ),
    "ORL117": (
        "the agreement header needs '{' after its code and name",
        'agreement UAE "India–UAE CEPA" { ... }',
        ["agreement UAE\n parties IN, AE\n}", 'agreement UAE "x"\n parties IN\n}', "agreement\n{\n}"],
    ),
    "ORL118": (
        "unknown header line",
        "header lines are aliases, parties, in_force, hs_edition, cumulation, value_name, basis, method, de_minimis, "
        "insufficient_operations, proof and instrument; close the header with '}'",
        [A + " party IN\n}", A + " inforce 2022-01-01\n}", A + " parties IN, AE\n87: WO", A + " parties IN\n value VA\n}"],
    ),
    "ORL119": (
        "names in a list are separated by commas",
        "e.g. parties IN, AE",
        [A + " parties IN AE\n}", A + " basis fob ex_works\n}"],
    ),
    "ORL120": (
        "in_force needs a date such as 2022-05-01",
        "write the date as YYYY-MM-DD",
        [A + " in_force 2022\n}", A + " in_force May\n}"],
    ),
    "ORL121": (
        "source, inferred and descriptions take a quoted text",
        'e.g. source "Rule 5(1)"',
        [H + "87: WO source", H + "87: WO source Rule", A + " parties IN source Rule\n}", A + " instrument Notification\n}"],
    ),
    "ORL122": (
        "a method is written: method name = formula",
        "e.g. method build_down = (basis - VNM) / basis",
        [A + " method build_down (basis - VNM) / basis\n}", A + " method = VNM / basis\n}", A + " method bd = \n}"],
    ),
    "ORL123": (
        "de_minimis is written: de_minimis N% of basis",
        "e.g. de_minimis 10% of basis except chapters 50-63",
        [A + " de_minimis 10 of basis\n}", A + " de_minimis 10%\n}", A + " de_minimis of basis\n}"],
    ),
    "ORL124": (
        "except and from need HS codes",
        "e.g. CTH except 8407, chapter 04, 8701-8705",
        [H + "87: CTH except", H + "87: CTH except heading", H + "87: CTH except and WO"],
    ),
    "ORL125": (
        "a sub-rule is written: let name = test, or let name(p) = test",
        "e.g. let va(p) = VA(fob) >= p",
        [H + "let = CTH", H + "let x CTH", H + "let 5 = CTH"],
    ),
}


def examples() -> dict[str, list[str]]:
    return {code: samples for code, (_, _, samples) in SAMPLES.items()}
