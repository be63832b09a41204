"""The `originrules` command. Thin: parse arguments, call the library, render, set the exit code.

Exit codes: 0 originating, 1 not originating, 2 bad input or usage, 3 undetermined.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from originrules import __version__
from originrules.agreements import CompiledRuleset, find, load_file, shipped
from originrules.bom import load_bom
from originrules.engine import check as run_check
from originrules.errors import OriginrulesError
from originrules.hs import normalise
from originrules.lang.words import describe
from originrules.advice import advise, what_if
from originrules.report import EXPLAIN_MODES, FORMATS, render

EXIT_BAD_INPUT = 2


def _fail(error: OriginrulesError) -> None:
    click.echo(error.render(), err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="originrules")
def main() -> None:
    """Decide whether a product originates under a free-trade agreement, and say why.

    \b
    Exit codes: 0 originating, 1 not originating, 2 bad input or usage,
                3 undetermined (no rule for the HS code, or the BOM lacks data the rule needs).
    """


@main.command()
@click.argument("bom", type=click.Path(dir_okay=False))
@click.option("-a", "--agreement", required=True, help="Agreement code or alias, any case: UAE, AE, UK, GB, EFTA, CH, ...")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format.")
@click.option(
    "--assume-origin",
    is_flag=True,
    help="Treat materials with no 'originating' field whose origin is in the cumulation zone as originating "
    "(each one is named in a warning). Without it they are non-originating, as the law presumes.",
)
@click.option("--ruleset", type=click.Path(dir_okay=False), help="Use this .roo file instead of the shipped ruleset.")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date the goods are imported (YYYY-MM-DD); an agreement not in force then is refused. Default: today.",
)
@click.option(
    "--explain",
    type=click.Choice(EXPLAIN_MODES),
    default="auto",
    show_default=True,
    help="full: every test; fails: only the failing path; auto: full if originating, else fails.",
)
@click.option(
    "--what-if",
    "what_ifs",
    multiple=True,
    metavar="ID.FIELD=VALUE",
    help="Change the BOM before deciding, without editing the file: 7.originating=true, 7.value=30.50, "
    "7.hs_code=871410, 7.origin=AE. Repeatable.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file instead of standard output.")
def check(
    bom: str,
    agreement: str,
    fmt: str,
    assume_origin: bool,
    ruleset: str | None,
    on: dt.datetime | None,
    explain: str,
    what_ifs: tuple[str, ...],
    output: str | None,
) -> None:
    """Check a bill of materials (JSON, see docs/bom-format.md) against an agreement's rules.

    For a product that does not originate, the report adds the advisor's answer: the fewest
    materials whose re-sourcing as originating would make it qualify.

    \b
    Examples:
      originrules check examples/motorcycle-uae.json --agreement UAE
      originrules check bom.json -a uk --format json
      originrules check bom.json -a uae --what-if 25.originating=true --explain full
      originrules check bom.json -a uae --format html -o report.html
    """
    try:
        crs = load_file(ruleset) if ruleset else find(agreement)
        if ruleset and agreement.upper() not in (crs.agreement.code.upper(), *(a.upper() for a in crs.agreement.aliases)):
            raise OriginrulesError(f"{ruleset} is the ruleset of {crs.agreement.code}, not {agreement}")
        day = on.date() if on else dt.date.today()
        the_bom = load_bom(bom)
        if what_ifs:
            the_bom = what_if(the_bom, what_ifs)
        decision = run_check(the_bom, crs, assume_origin=assume_origin, on=day)
        advice = advise(the_bom, crs, assume_origin=assume_origin) if decision.originating is False else None
    except OriginrulesError as e:
        _fail(e)
    colour = fmt == "text" and output is None and sys.stdout.isatty()
    text = render(decision, fmt, colour=colour, explain=explain, advice=advice)
    if output:
        _write(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(decision.exit_code)


def _write(path: str, text: str) -> None:
    """Write whole or not at all: a temporary file beside the target, then a rename."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        _fail(OriginrulesError(f"cannot write {path}: {e.strerror or e}"))


@main.command()
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def agreements(fmt: str) -> None:
    """List the shipped agreements: code, aliases, name, parties, entry into force, rules."""
    try:
        rows = []
        for code, crs in shipped().items():
            ag = crs.agreement
            rows.append(
                {
                    "code": code,
                    "aliases": list(ag.aliases),
                    "name": ag.name,
                    "parties": list(ag.parties),
                    "in_force": ag.in_force.isoformat() if ag.in_force else None,
                    "rules": len(crs.rules),
                    "source": ag.instrument,
                    "ruleset": crs.ruleset.path,
                    "inferred": sum(p.provenance.inferred for p in ag.params) + sum(r.provenance.inferred for r in crs.ruleset.rules),
                }
            )
    except OriginrulesError as e:
        _fail(e)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        aliases = f" ({', '.join(r['aliases'])})" if r["aliases"] else ""
        click.echo(f"{r['code']}{aliases}: {r['name']}")
        click.echo(f"    parties {', '.join(r['parties'])}; in force {r['in_force']}; {r['rules']} rules; {r['inferred']} inferred values")
        click.echo(f"    {r['source']}  [{r['ruleset']}]")


@main.command()
@click.argument("args", nargs=-1, metavar="AGREEMENT HS | --compare HS")
@click.option("--compare", is_flag=True, help="Show the rule for HS in every agreement, side by side.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(args: tuple[str, ...], compare: bool, fmt: str) -> None:
    """Show the rule that applies to an HS code, where it is written, and what it means.

    \b
    Examples:
      originrules rules UK 8703.22
      originrules rules --compare 871120
    Exit code 3 if no rule applies (for --compare: in no agreement).
    """
    wanted = 1 if compare else 2
    if len(args) != wanted:
        raise click.UsageError("give an HS code with --compare, else an agreement and an HS code")
    code = normalise(args[-1])
    if code is None or not 2 <= len(code) <= 10:
        raise click.BadParameter(f"{args[-1]!r} is not an HS code (2 to 10 digits; dots and spaces allowed)", param_hint="HS")
    try:
        targets = list(shipped().values()) if compare else [find(args[0])]
    except OriginrulesError as e:
        _fail(e)
    rows = [rule_info(crs, code) for crs in targets]
    if fmt == "json":
        click.echo(json.dumps(rows if compare else rows[0], indent=2, ensure_ascii=False))
    else:
        for row in rows:
            click.echo(_rule_text(row))
    sys.exit(0 if any(r["rules"] for r in rows) else 3)


def rule_info(crs: CompiledRuleset, code: str) -> dict[str, object]:
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
        "message": None if found else f"{ag.code} has no rule for HS {code}",
    }


def _rule_text(row: dict) -> str:  # type: ignore[type-arg]
    head = f"{row['agreement']}: {row['name']}"
    if not row["rules"]:
        return f"{head}\n  no rule for HS {row['hs_code']}\n"
    lines = [head]
    if len(row["rules"]) > 1:
        lines.append(f"  {len(row['rules'])} rules, told apart by description: set product.subdivision in the BOM")
    for r in row["rules"]:
        desc = f' "{r["description"]}"' if r["description"] else ""
        sub = f' [subdivision "{r["subdivision"]}"]' if r["subdivision"] else ""
        lines.append(f"  rule {r['key']}{desc}{sub}: {r['text']}")
        lines.append(f"    {r['source']}" + (f"; {r['legal_source']}" if r["legal_source"] else "") + ("; INFERRED" if r["inferred"] else ""))
        lines.append(f"    in plain words: {r['reading']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    main()
