"""The `originrules` command. Thin: parse arguments, call the library, render, set the exit code.

Exit codes: 0 originating, 1 not originating, 2 bad input or usage, 3 undetermined.
"""

from __future__ import annotations

import json
import sys

import click

from originrules import __version__
from originrules.agreements import find, load_file, shipped
from originrules.bom import load_bom
from originrules.engine import check as run_check
from originrules.errors import OriginrulesError
from originrules.report import FORMATS, render

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
def check(bom: str, agreement: str, fmt: str, assume_origin: bool, ruleset: str | None) -> None:
    """Check a bill of materials (JSON, see docs/bom-format.md) against an agreement's rules.

    \b
    Example:
      originrules check examples/motorcycle-uae.json --agreement UAE
      originrules check bom.json -a uk --format json
    """
    try:
        crs = load_file(ruleset) if ruleset else find(agreement)
        if ruleset and agreement.upper() not in (crs.agreement.code.upper(), *(a.upper() for a in crs.agreement.aliases)):
            raise OriginrulesError(f"{ruleset} is the ruleset of {crs.agreement.code}, not {agreement}")
        decision = run_check(load_bom(bom), crs, assume_origin=assume_origin)
    except OriginrulesError as e:
        _fail(e)
    colour = fmt == "text" and sys.stdout.isatty()
    click.echo(render(decision, fmt, colour=colour), nl=False)
    sys.exit(decision.exit_code)


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


if __name__ == "__main__":  # pragma: no cover
    main()
