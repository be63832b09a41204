"""The `originrules` command. Thin: parse arguments, call the library, render, set the exit code.

Exit codes: 0 originating, 1 not originating, 2 bad input or usage, 3 undetermined.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from originrules import __version__
from originrules.engine import check as run_check
from originrules.errors import OriginrulesError
from originrules.registry import find, load_file
from originrules.report import FORMATS  # light: renderers are imported when used
from originrules.report.model import EXPLAIN_MODES
from originrules.cli.common import AMOUNT, EXIT_BAD_INPUT, EXIT_INTERNAL, REPORT_TO, _WRITE_ERRORS, _declared, _fail, _write

# Commands import what they need when they run (renderers, .advice, .tester, .lang.*), and every
# command but `check` lives in originrules.cli.commands, imported when it is named: a one-off
# `originrules check` should start quickly.


def _one_shot(command: Any) -> Any:
    """A command that decides one BOM and exits runs with Python's cycle collector held off: a
    200,000-material BOM is hundreds of thousands of tuples, and every collection re-scans them
    all (a fifth of such a check). Nothing it builds is kept beyond the command."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from originrules.bom import collector_paused

        with collector_paused():
            return command(*args, **kwargs)

    return run


# command name -> its function in originrules.cli.commands
_ELSEWHERE = {
    "agreements": "agreements",
    "rules": "rules",
    "lint": "lint",
    "fmt": "fmt",
    "test": "test_cmd",
    "batch": "batch",
    "duty": "duty_cmd",
    "compare": "compare_cmd",
    "serve": "serve",
    "import": "import_group",
    "declarations": "declarations",
    "history": "history",
    "audit": "audit",
    "schema": "schema",
    "chips": "chips",
}


class _Commands(click.Group):
    """The command group: `check` is defined here; the others are imported when named (or when
    --help lists them), so a check does not build two dozen commands it will not run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_ELSEWHERE})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is None and name in _ELSEWHERE:
            from originrules.cli import commands

            found = getattr(commands, _ELSEWHERE[name])
        return found


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="originrules")
@click.option("--debug", is_flag=True, help="On an internal error, show the Python traceback.")
def main(debug: bool) -> None:
    """Decide whether a product originates under a free-trade agreement, and say why.

    \b
    Exit codes: 0 originating, 1 not originating, 2 bad input or usage,
                3 undetermined (no rule for the HS code, or the BOM lacks data the rule needs),
                70 internal error (a bug in originrules: please report it).
    """


def run(argv: list[str] | None = None) -> None:
    """The `originrules` command: the click group, with every way out mapped to a documented
    exit code. Exit 1 means only "not originating"; a bug is 70, with the inputs' digests.
    Without `argv` it is the process's own command (the console script, python -m
    originrules.cli) and reads sys.argv."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = main.main(args=args, prog_name="originrules", standalone_mode=False)
        code = code if isinstance(code, int) else 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_BAD_INPUT)
        # click's wrapper after a closed pipe (named _PacifyFlushWrapper since click 8.2, the old name deprecated)
        pacified = getattr(click.utils, "_PacifyFlushWrapper", None) or getattr(click.utils, "PacifyFlushWrapper")
        if isinstance(sys.stdout, pacified):
            # click's answer to a reader that closed the pipe (`| head -1`) is exit 1, which
            # means "not originating" here: said, and exit 2, like any other failed write
            click.echo("error: [CLI006] cannot write the output: the pipe was closed by its reader", err=True)
            code = EXIT_BAD_INPUT
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = 130
    except click.ClickException as e:
        e.show()
        code = e.exit_code
    except OSError as e:
        if e.errno not in _WRITE_ERRORS:
            code = _internal_error(e, args)
        else:
            click.echo(f"error: [CLI006] cannot write the output: {e.strerror or e}", err=True)
            code = EXIT_BAD_INPUT
    except Exception as e:  # noqa: BLE001 - the one place every unexpected error is turned into exit 70
        code = _internal_error(e, args)
    try:
        sys.stdout.flush()
    except OSError as e:
        click.echo(f"error: [CLI006] cannot write the output: {e.strerror or e}", err=True)
        code = EXIT_BAD_INPUT
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that exit does not flush again
    if argv is None:
        # the process ends here: Python's shutdown would scan every object the command made for
        # cycles once more (about 20 ms of a 200 ms check), only to free what exit frees anyway.
        # Files are closed and output flushed above; a caller passing argv keeps its heap as it was
        gc.freeze()
    sys.exit(code)


def _internal_error(error: BaseException, args: list[str]) -> int:
    if "--debug" in args:
        raise error
    click.echo(f"originrules: internal error: {type(error).__name__}: {str(error)[:300]}", err=True)
    for arg in args:
        path = Path(arg)
        try:
            if path.is_file():
                click.echo(f"  input {arg}: sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}", err=True)
        except OSError:
            pass
    click.echo(f"  originrules {__version__}; this is a bug. Please report it at {REPORT_TO} with this message", err=True)
    click.echo("  and, if you can, the input; run again with --debug (originrules --debug ...) for the traceback.", err=True)
    return EXIT_INTERNAL


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
@click.option("--input-format", type=click.Choice(["json", "csv", "xlsx"]), help="The BOM's format; default: by extension (.csv, .xlsx, else JSON).")
@click.option("--duty", "with_duty", is_flag=True, help="For an originating product, add the duty saved per unit on its customs value (the importing country's schedule).")
@click.option("--attr", "attrs_", multiple=True, metavar="NAME=VALUE", help="With --duty: a product attribute schedules use (cc=1200, propulsion=petrol, cif=30000GBP).")
@click.option("--customs-value", type=AMOUNT, help="With --duty: the customs value per unit (default: the BOM's FOB value).")
@click.option("--db", "db_url", help="The database of declarations and records (a SQLAlchemy URL). Default: ORIGINRULES_DB, else a SQLite file in your data directory.")
@click.option("--record", "record_it", is_flag=True, help="Keep the decision in the database (originrules history; originrules audit verify).")
@_one_shot
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
    input_format: str | None,
    with_duty: bool,
    attrs_: tuple[str, ...],
    customs_value: Decimal | None,
    db_url: str | None,
    record_it: bool,
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
    from originrules.inputs import load as load_any
    from originrules.report import render

    try:
        crs = load_file(ruleset) if ruleset else find(agreement)
        if ruleset and agreement.upper() not in (crs.agreement.code.upper(), *(a.upper() for a in crs.agreement.aliases)):
            raise OriginrulesError(f"{ruleset} is the ruleset of {crs.agreement.code}, not {agreement}")
        day = on.date() if on else dt.date.today()
        the_bom = load_any(bom, input_format)
        the_bom, used, store = _declared(the_bom, crs.agreement.code, day, db_url, record_it)
        if what_ifs:
            from originrules.advice import what_if

            the_bom = what_if(the_bom, what_ifs)
        decision = run_check(the_bom, crs, assume_origin=assume_origin, on=day)
        advice = None
        if decision.originating is False:
            from originrules.advice import advise

            advice = advise(the_bom, crs, assume_origin=assume_origin, decision=decision)
        saving = _duty_saving(decision, day, attrs_, customs_value) if with_duty else None
        if record_it:
            _record_check(store, decision, bom, day, used, saving)
    except OriginrulesError as e:
        _fail(e)
    colour = fmt == "text" and output is None and sys.stdout.isatty()
    text = render(decision, fmt, colour=colour, explain=explain, advice=advice, duty=saving)
    if saving is not None and fmt != "json":
        text += _saving_text(saving)
    if output:
        _write(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(decision.exit_code)


def _record_check(store: Any, decision: Any, path: str, day: dt.date, used: tuple[str, ...], saving: dict[str, Any] | None) -> None:
    # the bytes as read (read_text would turn CRLF into LF, and the text would no longer have its hash)
    original = Path(path).read_bytes().decode("utf-8") if decision.bom.digest is not None else None
    extra = {"duty_saving": saving.get("saving")} if saving else {}
    store.keep(decision, day, used, original, **extra)


def _duty_saving(decision: Any, day: dt.date, attrs_: tuple[str, ...], customs_value: Decimal | None) -> dict[str, Any]:
    """The duty question for a checked product: what it pays with and without preference."""
    from decimal import Decimal

    from originrules.tariff import DutyError, duty, parse_attributes

    p = decision.bom.product
    if not (p.exporting_country and p.importing_country):
        raise DutyError("--duty needs product.exporting_country and product.importing_country in the BOM")
    value = customs_value if customs_value is not None else p.fob
    d = duty(decision.agreement.code, p.hs_code, exporter=p.exporting_country, importer=p.importing_country, on=day, attributes=parse_attributes(attrs_))
    out = d.to_dict()
    out["customs_value"] = None if value is None else str(value)
    out["currency"] = p.currency
    if customs_value is None:
        out["notes"].append("customs value taken as the BOM's FOB value; give --customs-value for the CIF value")
    if not decision.originating:
        out["saving"] = "0.00"
        out["notes"].append("the product does not originate: no preference")
    elif value is not None and d.margin is not None:
        margin = Decimal(d.margin.numerator) / Decimal(d.margin.denominator)
        out["saving"] = str((margin * value / 100).quantize(Decimal("0.01")))
    else:
        out["saving"] = None
    return out


def _saving_text(s: dict[str, Any]) -> str:
    line = s["line"] or {}
    cur = f" {s['currency']}" if s["currency"] else ""
    lines = ["", "Duty:", f"  {s['importer']} imports from {s['exporter']} under {s['agreement']}, agreement year {s['agreement_year']}"]
    lines.append(f"  MFN {s['mfn']}%; under the agreement {s['preferential'] or 'no preference'}{'%' if s['preferential'] else ''} ({s['applied']})")
    if line:
        lines.append(f"  schedule line {line['key']} \"{line['description']}\" at {line['source']}; {line['legal_source']}")
    estimate = f" — AN ESTIMATE: {s['estimate']}" if s.get("estimate") and s["saving"] not in (None, "0.00") else ""
    lines.append(f"  duty saved per unit: {s['saving'] if s['saving'] is not None else 'unknown'}{cur} on a customs value of {s['customs_value']}{cur}{estimate}")
    lines.extend(f"  note: {n}" for n in s["notes"])
    return "\n".join(lines) + "\n"
