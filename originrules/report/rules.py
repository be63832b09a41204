"""A rule looked up by HS code, as people read it: the rule, where it is written, in plain
words; or why an agreement has none and what to do about it (rules, the web workspace)."""

from __future__ import annotations

from originrules.compile import CompiledRuleset


def rule_info(crs: CompiledRuleset, code: str) -> dict[str, object]:
    from originrules.lang.words import describe

    ag = crs.agreement
    found = crs.candidates(code.ljust(6, "0")) if len(code) < 6 else crs.candidates(code)
    return {
        "agreement": ag.code,
        "name": ag.name,
        "hs_code": code,
        "rules": [
            {
                **cr.ref.to_dict(),
                "reading": describe(cr.rule.body, crs.ruleset),
            }
            for cr in found
        ],
        "message": None if found else _no_rule(crs, code),
    }


def _no_rule(crs: CompiledRuleset, code: str) -> str:
    """Why an agreement has no rule for a code, and what the user can do about it."""
    ag = crs.agreement
    chapter = code[:2]
    in_chapter = sorted({str(k.codes) for r in crs.rules for k in r.rule.keys if k.codes.low[:2] <= chapter <= k.codes.high[:2]})
    if in_chapter:
        why = (f"{ag.code} has rules in chapter {chapter} ({', '.join(in_chapter[:6])}{', ...' if len(in_chapter) > 6 else ''}) "
               f"but none covering HS {code}: check the code, or the annex may give this heading no rule of its own")
    else:
        why = f"{ag.code} has no rule encoded for chapter {chapter} yet: the annex's rows for it are not in the shipped ruleset (docs/agreements.md says what is missing)"
    return why + "; to decide such a product, write its rule in a ruleset file and pass --ruleset FILE (docs/language.md)"
