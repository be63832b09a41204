"""Every command but `check`, imported when one is named (originrules.cli's group lists them)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from originrules.errors import OriginrulesError, Problem
from originrules.hs import normalise
from originrules.registry import codes, find, load_file, ruleset_text
from originrules.safetext import one_line, visible
from originrules.resources import rulesets_dir

from originrules.cli.common import AMOUNT, EXIT_BAD_INPUT, EXIT_NOT_REPRODUCED, RECORD_GROUP, _check_party, _declared, _echoed_json, _fail, _output, _write


@click.command()
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--party", help="Only the agreements this country (ISO code: IN, GB, AE ...) is a party to.")
def agreements(fmt: str, party: str | None) -> None:
    """List the shipped agreements: code, aliases, name, parties, entry into force, rules and
    the share of them translated from the annex prose (the rest are `untranslated` entries).
    With --party IN, only those India is a party to (India's agreements, not the UK's schemes
    with third countries)."""
    _check_party(party)
    from originrules.registry import listing

    try:
        rows = [r for r in listing() if party is None or party.upper() in r["parties"]]
    except OriginrulesError as e:
        _fail(e)
    if _echoed_json(fmt, rows):
        return
    for r in rows:
        aliases = f" ({', '.join(r['aliases'])})" if r["aliases"] else ""
        click.echo(f"{r['code']}{aliases}: {r['name']}")
        share = "" if r["translated"] == r["rules"] else f" ({r['translated']} translated, {100 * r['translated'] / max(r['rules'], 1):.0f}%; the rest answer undetermined)"
        click.echo(f"    parties {', '.join(r['parties'])}; in force {r['in_force']}; {r['rules']} rules{share}; {r['inferred']} inferred values")
        click.echo(f"    {r['source']}  [{r['ruleset']}]")


@click.command()
@click.argument("args", nargs=-1, metavar="AGREEMENT HS | --compare HS")
@click.option("--compare", is_flag=True, help="Show the rule for HS in every agreement, side by side.")
@click.option("--party", metavar="XX", help="With --compare: only the agreements this country (ISO alpha-2) is a party to.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(args: tuple[str, ...], compare: bool, party: str | None, fmt: str) -> None:
    """Show the rule that applies to an HS code, where it is written, and what it means.

    \b
    Examples:
      originrules rules UK 8703.22
      originrules rules --compare 871120 --party IN
    Exit code 3 if no rule applies (for --compare: in no agreement).
    """
    _check_party(party)
    wanted = 1 if compare else 2
    if len(args) != wanted:
        raise click.UsageError("give an HS code with --compare, else an agreement and an HS code")
    code = normalise(args[-1])
    if code is None or not 2 <= len(code) <= 10:
        raise click.BadParameter(f"{args[-1]!r} is not an HS code (2 to 10 digits; dots and spaces allowed)", param_hint="HS")
    try:
        targets = [find(c) for c in codes(party)] if compare else [find(args[0])]
    except OriginrulesError as e:
        _fail(e)
    from originrules.report.rules import rule_info

    rows = [rule_info(crs, code) for crs in targets]
    if fmt == "json":
        click.echo(json.dumps(rows if compare else rows[0], indent=2, ensure_ascii=False))
    else:
        for row in rows:
            click.echo(_rule_text(row))
    sys.exit(0 if any(r["rules"] for r in rows) else 3)


def _rule_text(row: dict) -> str:  # type: ignore[type-arg]
    head = f"{row['agreement']}: {row['name']}"
    if not row["rules"]:
        return f"{head}\n  no rule for HS {row['hs_code']}: {row['message']}\n"
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


def _lint_one(path: Path, codes: Any, lint_text: Any, load_schedule_text: Any) -> list[Any]:
    """A ruleset's problems; for an overlay (`extends UAE`), what it overrides, and its errors."""
    from originrules.errors import RulesetError
    from originrules.registry import extends, overlay

    text = _read_source(path)
    if not extends(text):
        return lint_text(text, str(path), codes, load_schedule_text)  # type: ignore[no-any-return]
    try:
        return overlay(text, str(path))[1]
    except RulesetError as e:
        return e.problems


def _roo_files(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.rglob("*.roo")) if p.is_dir() else [p])
    return out


def _read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OriginrulesError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise OriginrulesError(f"{path}: cannot read: {e}") from None


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--hs-nomenclature", type=click.Path(dir_okay=False), help="An HS nomenclature CSV (column 'hscode'): also report rule keys not in it.")
def lint(files: tuple[str, ...], fmt: str, hs_nomenclature: str | None) -> None:
    """Check ruleset files without evaluating anything; report every problem.

    \b
    Each problem has a stable code (docs/errors.md), a severity, file:line:col and a hint.
    Exit codes: 0 clean (notes only), 1 errors or warnings, 2 unreadable input.
    """
    from originrules.lang.check import lint_text, load_nomenclature
    from originrules.tariff import load_schedule_text

    try:
        codes = load_nomenclature(hs_nomenclature) if hs_nomenclature else None
        problems = [p for path in _roo_files(files) for p in _lint_one(path, codes, lint_text, load_schedule_text)]
    except OriginrulesError as e:
        _fail(e)
    if fmt == "json":
        click.echo(json.dumps([{"code": p.code, "severity": p.severity, "where": p.where, "message": p.message, "hint": p.hint} for p in problems], indent=2, ensure_ascii=False))
    else:
        for p in problems:
            click.echo(p.render())
        counts = {s: sum(p.severity == s for p in problems) for s in ("error", "warning", "note")}
        click.echo(f"{counts['error']} errors, {counts['warning']} warnings, {counts['note']} notes")
    # an `untranslated` entry is accepted (ORL280 warns, exit 0): check answers undetermined there
    sys.exit(1 if any(p.severity == "error" or (p.severity == "warning" and p.code != "ORL280") for p in problems) else 0)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file is not in the canonical layout.")
@click.option("--diff", is_flag=True, help="Change nothing; print what formatting would change.")
def fmt(files: tuple[str, ...], check_only: bool, diff: bool) -> None:
    """Rewrite ruleset files in the one canonical layout (comments kept).

    Formatting never changes a rule's meaning, and formatting twice changes nothing more.
    """
    from originrules.lang.format import format_text

    changed = []
    try:
        for path in _roo_files(files):
            text = _read_source(path)
            new = format_text(text, str(path))
            if new == text:
                continue
            changed.append(path)
            if diff:
                import difflib  # only here: a did-you-mean or a diff, never on a normal run

                click.echo("".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), str(path), f"{path} (formatted)")), nl=False)
            elif not check_only:
                _write(str(path), new)
    except OriginrulesError as e:
        _fail(e)
    for path in changed:
        click.echo(f"{'would reformat' if check_only or diff else 'reformatted'} {path}", err=True)
    sys.exit(1 if changed and (check_only or diff) else 0)


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--coverage", is_flag=True, help="Also report, per ruleset, the rules and 'or' arms no case reached.")
def test_cmd(paths: tuple[str, ...], fmt: str, coverage: bool) -> None:
    """Run the test cases written next to the rules (YAML; default: the shipped rulesets/tests).

    Exit 1 if any case fails, 2 if a case file is unreadable.
    """
    from originrules.tester import Coverage
    from originrules.tester import run as run_tests

    targets = [Path(p) for p in paths] or [rulesets_dir() / "tests"]
    cov = Coverage() if coverage else None
    try:
        results = run_tests(targets, cov)
    except OriginrulesError as e:
        _fail(e)
    failed = [r for r in results if not r.passed]
    if fmt == "json":
        out: dict[str, object] = {"passed": len(results) - len(failed), "failed": len(failed), "cases": [r.to_dict() for r in results]}
        if cov:
            out["coverage"] = cov.report()
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for r in results:
            click.echo(f"{'PASS' if r.passed else 'FAIL'}  {r.file}::{r.name}")
            if not r.passed:
                click.echo(f"      expected {r.expected}, got {r.got}")
                for d in r.details:
                    click.echo(f"      {d}")
        if cov:
            for c in cov.report():
                click.echo(f"coverage {c['ruleset']}: {c['rules_reached']} of {c['rules']} rules reached")
                for item in c["rules_not_reached"][:50]:
                    click.echo(f"    rule not reached: {item}")
                if len(c["rules_not_reached"]) > 50:
                    click.echo(f"    ... and {len(c['rules_not_reached']) - 50} more")
                for item in c["or_arms_never_met"]:
                    click.echo(f"    'or' arm never met: {item}")
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


@click.command()
@click.argument("catalogue", type=click.Path(dir_okay=False))
@click.option("-a", "--agreement", help="Agreement code or alias. Default: every shipped agreement that covers each BOM's route (product.exporting_country to importing_country).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Decisions as JSON Lines, or a CSV summary if it ends in .csv. Default: standard output.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes to use.")
@click.option("--input-format", type=click.Choice(["json", "csv", "xlsx"]), help="json (JSON Lines: one BOM per line), csv or xlsx (a bom_id column). Default: by extension.")
@click.option("--explain", is_flag=True, help="Write the full decision (with its trace) for each BOM, not the summary record.")
@click.option("--assume-origin", is_flag=True, help="As for check.")
@click.option("--ruleset", type=click.Path(dir_okay=False), help="Use this .roo file instead of the shipped ruleset.")
@click.option("--db", "db_url", help="The database of declarations and records (as for check).")
@click.option("--record", "record_it", is_flag=True, help="Keep every decision in the database (committed in groups of 500: a run stopped midway leaves whole groups only).")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Decide as on this day: the declarations valid then, the agreements in force then (default: today).")
def batch(
    catalogue: str, agreement: str | None, output: str | None, jobs: int, input_format: str | None, explain: bool, assume_origin: bool, ruleset: str | None,
    db_url: str | None, record_it: bool, on: dt.datetime | None,
) -> None:
    """Check every BOM of a catalogue: one decision per BOM (and agreement), in input order.

    \b
    Without -a, each BOM is decided under every shipped agreement covering its route; each
    record names its agreement, and a BOM no agreement covers is a record saying so. A BOM that
    cannot be read becomes an error record with its line number, and the batch goes on. A
    record that does not originate carries the failing tests with their figures (reasons). A
    summary (by verdict, by agreement, by rule) ends the run on standard error. Exit 0 when every record was decided, 2 if any was an error record (bad
    input: exit 1 is kept for "not originating").
    Examples:
      originrules batch catalogue.jsonl --agreement UK -o decisions.jsonl --jobs 2
      originrules batch catalogue.jsonl -o decisions.jsonl           # every agreement on each route
      originrules batch catalogue.csv -a UAE -o summary.csv
    """
    from originrules import batch as core

    summary = core.Summary()
    try:
        if ruleset:
            load_file(ruleset)
        elif agreement:
            find(agreement)
        items, count = core.records(catalogue, input_format)
        if not (agreement or ruleset):
            count = None  # a BOM may give a record per agreement on its route
    except OriginrulesError as e:
        _fail(e)
    as_csv = bool(output and output.lower().endswith(".csv"))
    writer, texts, pending = None, {}, []
    if record_it:
        from originrules.store.writer import Writer

        writer = Writer(db_url)  # opens the database beside the deciding; asked before any output

    def flush(everything: bool = False) -> None:
        """Hand the kept decisions to the writer in groups of RECORD_GROUP, each one transaction
        (all of the group, or none); at the end, the rest."""
        # held while the writer is still opening the database (it loads SQLAlchemy meanwhile)
        while writer is not None and pending and (everything or (len(pending) >= RECORD_GROUP and writer.opened(wait=False))):
            group = pending[:RECORD_GROUP]
            for row in group:
                sha, path = row["_ruleset"]
                if sha not in texts:
                    texts[sha] = ruleset_text(path)
            writer.write(group, texts)
            del pending[:RECORD_GROUP]

    chunks = core.run(items, agreement, ruleset=ruleset, jobs=jobs, explain=explain, assume_origin=assume_origin, db=db_url, record=record_it, as_csv=as_csv,
                      on=on.date() if on else None)
    bar = click.progressbar(length=count, label="checking", file=sys.stderr) if sys.stderr.isatty() and count else None
    try:
        with _output(output) if output else nullcontext(sys.stdout) as out, bar if bar is not None else nullcontext() as progress:
            if as_csv:
                import csv

                csv.writer(out).writerow(core.SUMMARY_COLUMNS)
            held: list[str] = []  # output decided while the database is still being opened
            for chunk in chunks:
                # a database that cannot be opened stops the run before any of its output
                if writer is not None and not writer.opened(wait=False):
                    held.append(chunk.text)
                else:
                    out.write("".join(held) + chunk.text)
                    held.clear()
                summary.merge(chunk.summary)
                pending.extend(chunk.kept)
                flush()
                if progress is not None:
                    progress.update(chunk.boms)
            flush(everything=True)
            if writer is not None:
                writer.close()  # every record written before the output is complete
            out.write("".join(held))
    except OriginrulesError as e:  # the records could not be written: no output either
        _fail(e)
    totals = summary.to_dict()
    click.echo(
        f"{totals['total']} decisions: {totals['originating']} originating, {totals['not originating']} not originating, "
        f"{totals['undetermined']} undetermined, {totals[core.NOT_COVERED]} on a route no agreement covers, {totals['error']} errors",
        err=True,
    )
    for code, counts in totals["by_agreement"].items():
        click.echo(f"  {code}: " + ", ".join(f"{v} {k}" for k, v in counts.items()), err=True)
    for rule, counts in totals["by_rule"].items():
        click.echo(f"  rule {rule}: " + ", ".join(f"{v} {k}" for k, v in counts.items()), err=True)
    sys.exit(EXIT_BAD_INPUT if totals["error"] else 0)


@click.command(name="duty")
@click.argument("agreement")
@click.argument("hs")
@click.option("--from", "exporter", help="Exporting country (ISO alpha-2). Default: from --bom, or the agreement's other party.")
@click.option("--to", "importer", help="Importing country (ISO alpha-2). Default: from --bom, or the agreement's other party.")
@click.option("--bom", "bom_path", type=click.Path(dir_okay=False), help="Take the route (and, if HS is '-', the code) from this BOM; --from/--to override it.")
@click.option("--year", type=click.IntRange(1900, 2200), help="Calendar year (rates on 1 January). Default: today.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day of import, instead of --year.")
@click.option("--attr", "attrs_", multiple=True, metavar="NAME=VALUE", help="Product attributes: cc=1200, propulsion=petrol|diesel|electric|hybrid, cif=30000GBP, condition=new|used, form=CBU|CKD|SKD, wheels=3.")
@click.option("--quota-used", type=AMOUNT, help="Units (or tonnes) of the year's quota already used.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def duty_cmd(agreement: str, hs: str, exporter: str | None, importer: str | None, bom_path: str | None, year: int | None, on: dt.datetime | None, attrs_: tuple[str, ...], quota_used: Decimal | None, fmt: str) -> None:
    """The MFN rate, the preferential rate that year (in or out of quota) and the margin.

    \b
    Example:
      originrules duty UK 8703.22 --from GB --to IN --year 2031 --attr cc=1200 --attr propulsion=petrol
    Assumed unless given: condition=new, form=CBU, wheels=4.
    """

    from originrules.tariff import duty, parse_attributes

    used = quota_used
    try:
        exporter, importer, hs = _route(agreement, hs, exporter, importer, bom_path)
        d = duty(agreement, hs, exporter=exporter, importer=importer, year=year, on=on.date() if on else None, attributes=parse_attributes(attrs_), quota_used=used)
    except OriginrulesError as e:
        _fail(e)
    data = d.to_dict()
    if _echoed_json(fmt, data):
        return
    line = data["line"]
    click.echo(f"{data['agreement']}: {data['exporter']} to {data['importer']} on {data['date']} (agreement year {data['agreement_year']})")
    as_of = f" (as of {data['mfn_as_of']})" if data["mfn_as_of"] else ""
    unknown = f"unknown ({data['notes'][0]})" if data["notes"] else "unknown"
    click.echo(f"  MFN rate:           {data['mfn'] + '%' + as_of if data['mfn'] else unknown}")
    if data.get("estimate"):
        click.echo(visible(f"  AN ESTIMATE:        {data['estimate']}"))
    click.echo(f"  preferential rate:  {data['preferential'] + '%' if data['preferential'] else 'none'} ({data['applied']})")
    if data["quota"] is not None:
        click.echo(f"  in quota:           {data['in_quota']}% for {data['quota']} {data['quota_unit']} this year; out of quota: {data['out_quota'] + '%' if data['out_quota'] else 'MFN'}")
    click.echo(f"  margin:             {data['margin'] + ' points' if data['margin'] else 'none'}")
    if line:
        click.echo(f"  schedule line {line['key']} \"{line['description']}\" at {line['source']}")
        click.echo(f"    {line['legal_source']}" + (f"; INFERRED: {line['inferred']}" if line["inferred"] else ""))
    for note in data["notes"]:
        click.echo(f"  note: {note}")


def _route(agreement: str, hs: str, exporter: str | None, importer: str | None, bom_path: str | None) -> tuple[str, str, str]:
    """The route of a duty question: the flags, else the BOM's, else the agreement's other party
    (a two-party agreement has one route each way)."""
    if bom_path:
        from originrules.inputs import load as load_any

        p = load_any(bom_path).product
        exporter, importer = exporter or p.exporting_country, importer or p.importing_country
        hs = p.hs_code if hs == "-" else hs
    parties = find(agreement).agreement.parties
    if len(parties) == 2 and bool(exporter) != bool(importer):
        given = (exporter or importer or "").upper()
        if given in parties:
            other = next(c for c in parties if c != given)
            exporter, importer = (given, other) if exporter else (other, given)
    if not (exporter and importer):
        raise OriginrulesError(Problem(f"which way? give --from and --to (or --bom with the route); {agreement.upper()} covers {', '.join(parties)}", code="CLI004"))
    return exporter, importer, hs


@click.command(name="compare")
@click.argument("bom", type=click.Path(dir_okay=False))
@click.option("--to", "importer", help="Importing country (ISO alpha-2). Default: the BOM's product.importing_country.")
@click.option("--year", type=click.IntRange(1900, 2200), help="Calendar year (rates on 1 January). Default: today.")
@click.option("--attr", "attrs_", multiple=True, metavar="NAME=VALUE", help="Product attributes for the schedules (see duty).")
@click.option("--customs-value", type=AMOUNT, help="Customs value per unit (default: the BOM's FOB value).")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--db", "db_url", help="The database of declarations (as for check).")
def compare_cmd(bom: str, importer: str | None, year: int | None, attrs_: tuple[str, ...], customs_value: Decimal | None, fmt: str, db_url: str | None) -> None:
    """Every agreement covering the BOM's route: origin verdict, rule, duty and saving, best first."""

    from originrules.inputs import load as load_any
    from originrules.tariff import compare, parse_attributes

    value = customs_value
    try:
        the_bom = load_any(bom)
        importer = importer or the_bom.product.importing_country
        if not importer:
            raise OriginrulesError(Problem("the BOM names no product.importing_country: give it, or --to COUNTRY", bom, "CLI004"))
        day = dt.date(year, 1, 1) if year else dt.date.today()

        def resolve(b: Any, code: str) -> Any:
            return _declared(b, code, day, db_url, False)[0]

        rows = compare(the_bom, importer=importer, year=year, attributes=parse_attributes(attrs_), customs_value=value, resolve=resolve)
    except OriginrulesError as e:
        _fail(e)
    if _echoed_json(fmt, rows):
        return
    if not rows:
        click.echo(f"no shipped agreement covers this route to {importer.upper()}")
        sys.exit(3)
    click.echo(f"{'agreement':<10} {'verdict':<16} {'rule':<12} {'MFN':>8} {'rate':>8} {'saving':>13}")
    for r in rows:
        mfn = (r.get("duty") or {}).get("mfn")
        mark = "*" if r.get("estimate") else ""  # a figure resting on an inferred or broader line is marked, and why said below
        click.echo(f"{r['agreement']:<10} {r['verdict']:<16} {r['rule'] or '-'!s:<12} {str(mfn or '-') + '%' + mark:>8} {str(r['rate'] or '-') + '%' + mark:>8} {(r['saving'] or '-') + mark:>13}")
        if r.get("estimate"):
            click.echo(visible(f"    * an estimate, not a rate of the schedule: {r['estimate']}"))
        if r.get("duty_error"):
            click.echo(f"    {r['duty_error']}")
        elif mfn is None or r["rate"] is None:
            notes = (r.get("duty") or {}).get("notes") or []
            click.echo(f"    rate unknown: {notes[0]}" if notes else "    rate unknown: no line in the shipped schedule")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on. Another than this computer's own needs --allow-remote.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--allow-remote", is_flag=True, help="Let other computers reach the workspace (it has no log-in: use only on a network you trust).")
@click.option("--db", "db_url", help="The database of declarations and records (as for check).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes serving requests (one per core serves many users at once).")
def serve(host: str, port: int, allow_remote: bool, db_url: str | None, workers: int) -> None:
    """A local web workspace: check a BOM, what-ifs, rules, declarations, history, a JSON API.

    \b
    pip install 'originrules[web]' ; originrules serve ; then open http://127.0.0.1:8000
    """
    import ipaddress

    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local and not allow_remote:
        raise click.UsageError(f"--host {host} would let other computers in: add --allow-remote if that is what you want")
    try:
        import uvicorn

        from originrules.web.app import create_app
    except ImportError:
        _fail(OriginrulesError(Problem("the web workspace needs its extra: pip install 'originrules[web]'", code="WEB000")))
    if not local:
        click.echo(f"WARNING: the workspace listens on {host}: anyone who can reach this computer can use it and its records", err=True)
    click.echo(f"originrules workspace on http://{host}:{port}  (Ctrl-C to stop)", err=True)
    # the names it answers to: this computer's own, and the one given here (a page on any other
    # name, one rebinding its DNS to this address included, is refused)
    hosts = () if host in ("127.0.0.1", "localhost", "::1") else (f"[{host}]" if ":" in host else host,)
    if workers == 1:
        uvicorn.run(create_app(db_url, hosts=hosts), host=host, port=port, log_level="warning")
    else:  # each worker process builds the app itself, from the settings passed down
        import secrets

        from originrules.web.app import HOSTS_ENV, SECRET_ENV

        if db_url:
            os.environ["ORIGINRULES_DB"] = db_url
        os.environ[HOSTS_ENV] = ",".join(hosts)
        os.environ.setdefault(SECRET_ENV, secrets.token_hex(32))  # one CSRF secret for every worker
        uvicorn.run("originrules.web.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


@click.group(name="import")
def import_group() -> None:
    """Write rules from annex tables (and, next, annex prose) into ruleset files."""


@import_group.command(name="table")
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("-a", "--agreement", required=True, help="The agreement the table belongs to.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The overlay ruleset to write (use it with check --ruleset).")
def import_table_cmd(table: str, agreement: str, output: str) -> None:
    """An annex table (CSV or Excel: HS code | description | rule text, as copied from a
    notification) into an overlay of AGREEMENT's ruleset. Phrasings read: WO, CC, CTH, CTSH,
    "CTH + VA 40%", "RVC 35%", "CTH and RVC of 40%", "CC or VA 35%"; a text not read is left as
    a comment in the file and listed here (exit 3).

    \b
    Example:
      originrules import table annex.csv --agreement UAE -o uae-rows.roo
      originrules check bom.json -a UAE --ruleset uae-rows.roo
    """
    from originrules.importers.table import import_table

    try:
        result = import_table(table, agreement)
    except OriginrulesError as e:
        _fail(e)
    _write(output, result.text)
    click.echo(f"{output}: {result.translated} of {result.rows} rows translated", err=True)
    for n, phrase in result.untranslated:
        click.echo(f"  row {n}: not translated: {one_line(phrase)}", err=True)
    sys.exit(3 if result.untranslated else 0)


@import_group.command(name="uk-tariff")
@click.argument("scheme", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The ruleset to write.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Also write a JSON report: rule_sets, translated, and each untranslated rule set with its prose.")
def import_uk_tariff_cmd(scheme: str, output: str, report_path: str | None) -> None:
    """A rule-set file of the UK Online Trade Tariff (rule_sets/<scheme>.json of the
    trade-tariff-backend) into a ruleset: the header from the scheme's metadata and articles, each
    rule set's prose read by a grammar of the legal phrasings and kept as its citation. A rule set
    the grammar cannot read is written as an `untranslated` entry quoting the prose (check answers
    undetermined there, exit 3).

    \b
    Example:
      originrules import uk-tariff rule_sets/eu.json -o uk-eu.roo --report eu.json
      originrules check bom.json --ruleset uk-eu.roo
    """
    from originrules.importers.uk_tariff import import_uk_tariff

    try:
        result = import_uk_tariff(scheme)
    except OriginrulesError as e:
        _fail(e)
    _write(output, result.text)
    if report_path:
        _write(report_path, json.dumps(result.report, indent=2, ensure_ascii=False) + "\n")
    r = result.report
    click.echo(f"{output}: {r['agreement']}, {r['translated']} of {r['rule_sets']} rule sets translated ({len(r['untranslated'])} untranslated, {len(r['skipped'])} skipped)", err=True)
    for missing in r["not_found"]:  # a provision looked for and not found is said aloud: a missing tolerance is a wrong verdict
        click.echo(f"  not found: {one_line(missing)}", err=True)


@click.group()
def declarations() -> None:
    """Supplier declarations of origin: the register check, batch and compare read.

    \b
    A declarations file (CSV or XLSX) has the columns supplier, part_number, hs_code, origin,
    originating, agreement, valid_from, valid_to, reference (dates YYYY-MM-DD). A BOM material
    that gives supplier and part_number takes its status from the declaration valid on the
    decision date (docs/declarations.md).
    """


def _db_option(f: Any) -> Any:
    return click.option("--db", "db_url", help="A SQLAlchemy URL. Default: ORIGINRULES_DB, else a SQLite file in your data directory.")(f)


def _format_option(f: Any) -> Any:
    return click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)(f)


@declarations.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@_db_option
def declarations_import(file: str, db_url: str | None) -> None:
    """Import a declarations file: every row, or (if any row is bad) none. A reference imported
    again is updated, and its history kept."""
    from originrules.store import Store

    try:
        counts = Store(db_url).import_declarations(file)
    except OriginrulesError as e:
        _fail(e)
    click.echo(f"{file}: {counts['imported']} imported, {counts['updated']} updated, {counts['unchanged']} unchanged")


@declarations.command(name="list")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day each declaration's status is told for (default: today).")
@_db_option
@_format_option
def declarations_list(on: dt.datetime | None, db_url: str | None, fmt: str) -> None:
    """Every declaration in the register, each marked valid, expired, revoked or not yet valid on
    the date (default: today)."""
    from originrules.store import Store

    day = on.date() if on else dt.date.today()
    try:
        rows = Store(db_url, create=False).declarations()
    except OriginrulesError as e:
        _fail(e)
    _declaration_rows([{**d.to_dict(), "status": d.status_on(day)} for d in rows], fmt)


@declarations.command(name="expiring")
@click.option("--within", type=click.IntRange(0, 100_000), required=True, help="Days from the date.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: today.")
@_db_option
@_format_option
def declarations_expiring(within: int, on: dt.datetime | None, db_url: str | None, fmt: str) -> None:
    """Declarations that end within DAYS, and the recorded products resting on each: decided
    again without it, which would lose origin (and the duty at stake, where known)."""
    from originrules.store import Store

    day = on.date() if on else dt.date.today()
    try:
        store = Store(db_url, create=False)
        rows = store.impact(store.expiring(day, within), day)
    except OriginrulesError as e:
        _fail(e)
    if _echoed_json(fmt, rows):
        return
    if not rows:
        click.echo(f"no declaration ends between {day} and {day + dt.timedelta(days=min(within, (dt.date.max - day).days))}")
    for d in rows:
        click.echo(visible(f"{d['reference']}: {d['supplier']}, part {d['part_number']} ({d['agreement']}) ends {d['valid_to']}, in {d['days_left']} days"))
        for p in d["products"]:
            stake = f"; duty at stake {p['duty_at_stake']} per unit" if p["duty_at_stake"] else ""
            lose = "LOSES ORIGIN" if p["loses_origin"] else "keeps its verdict"
            click.echo(f"    {visible(p['product'] or 'HS ' + p['hs_code'])} under {p['agreement']}: {p['verdict_now']} now, {p['verdict_without']} without it: {lose}{stake}")


@declarations.command(name="revoke")
@click.argument("reference")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="From when (default: today).")
@_db_option
def declarations_revoke(reference: str, on: dt.datetime | None, db_url: str | None) -> None:
    """Revoke a declaration from a date on (its history is kept)."""
    from originrules.store import Store

    try:
        d = Store(db_url, create=False).revoke(reference, on.date() if on else dt.date.today())
    except OriginrulesError as e:
        _fail(e)
    click.echo(f"{d.reference} revoked from {d.revoked_on}")


def _declaration_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    if _echoed_json(fmt, rows):
        return
    for d in rows:
        revoked = f", revoked {d['revoked_on']}" if d["revoked_on"] else ""
        what = "originating" if d["originating"] else "non-originating"
        status = f"{d['status'].upper()}: " if d.get("status", "valid") != "valid" else ""
        click.echo(visible(f"{status}{d['reference']}: {d['supplier']}, part {d['part_number']} (HS {d['hs_code']}): {what} in {d['origin']} under {d['agreement']}, {d['valid_from']} to {d['valid_to']}{revoked}"))


@click.group(invoke_without_command=True)
@click.option("--product", help="Part of the product's description or HS code.")
@click.option("-a", "--agreement", help="Agreement code.")
@_db_option
@_format_option
@click.pass_context
def history(ctx: click.Context, product: str | None, agreement: str | None, db_url: str | None, fmt: str) -> None:
    """Recorded decisions (check --record, batch --record), oldest first; `history show ID`: one in full."""
    from originrules.store import Store

    if ctx.invoked_subcommand is not None:
        return

    try:
        code = find(agreement).agreement.code if agreement else None
        rows = Store(db_url, create=False).history(product, code)
    except OriginrulesError as e:
        _fail(e)
    if _echoed_json(fmt, rows):
        return
    for r in rows:
        hypothetical = f"  WHAT-IF ({'; '.join(r['what_if'])}), not the BOM as declared" if r["what_if"] else ""
        click.echo(visible(f"{r['recorded_at'][:19]}  {r['agreement']:<9} {r['verdict']:<16} HS {r['hs_code']}  {r['product']}  [{r['decision_id']}]{hypothetical}"))


@history.command(name="show")
@click.argument("decision_id")
@_db_option
@_format_option
def history_show(decision_id: str, db_url: str | None, fmt: str) -> None:
    """One recorded decision in full: when and as on which day it was decided, the product, the
    declarations it used, the hashes, and the output exactly as recorded. Exit 2 if there is none."""
    from originrules.store import Store

    try:
        record = Store(db_url, create=False).show(decision_id)
    except OriginrulesError as e:
        _fail(e)
    if record is None:
        _fail(OriginrulesError(Problem(f"no record of decision {visible(decision_id)[:40]!r} (`originrules history` lists them)", code="CLI003")))
    if _echoed_json(fmt, record):
        return
    hypothetical = f"  WHAT-IF ({'; '.join(record['what_if'])}), not the BOM as declared" if record["what_if"] else ""
    for label, value in (("decision", record["decision_id"]), ("recorded", record["recorded_at"]), ("decided as on", record["on_date"]),
                         ("agreement", record["agreement"]), ("verdict", record["verdict"] + hypothetical), ("product", f"{record['product']} (HS {record['hs_code']})"),
                         ("declarations", ", ".join(record["declarations"]) or "none"), ("input", f"sha256 {record['input_sha256']}"),
                         ("ruleset", f"sha256 {record['ruleset_sha256']}"), ("entry", f"sha256 {record['entry_sha256']}")):
        click.echo(visible(f"{label + ':':<15}{value}"))
    click.echo("output as recorded:")
    click.echo(visible(record["output"]) if record["kind"] != "check" else record["output"])


@click.group()
def audit() -> None:
    """Check the records."""


@audit.command(name="verify")
@click.option("--anchor", metavar="HASH", help="A chain head printed by an earlier run and kept outside the database: the records up to it must be unchanged.")
@_db_option
def audit_verify(anchor: str | None, db_url: str | None) -> None:
    """Check every record: its hash chain (nothing edited, deleted, inserted or reordered), its
    ruleset text's hash, and, decided again from its stored input and ruleset text, every column
    it shows and its output, byte for byte. Exit 0 only if all hold; otherwise each failing
    record is named with why, and the exit code is 4 (1 is kept for "not originating").

    The last line gives the chain's head: kept elsewhere (a ticket, an e-mail), it lets a later
    `audit verify --anchor HASH` prove that no record up to it was rewritten (docs/security.md)."""
    from originrules.store import Store

    if anchor is not None and (len(anchor) != 64 or any(c not in "0123456789abcdef" for c in anchor)):
        _fail(OriginrulesError(Problem(f"--anchor {anchor[:80]!r} is not a chain head (64 lower-case hex digits)", code="CLI003")))
    try:
        count, bad, head = Store(db_url, create=False).verify(anchor)
    except OriginrulesError as e:
        _fail(e)
    for b in bad:
        click.echo(f"record {b['id']} ({b['decision_id']}): {b['why']}" if b["id"] is not None else f"chain: {b['why']}")
    failed = len({b["id"] for b in bad if b["id"] is not None})
    click.echo(f"{count} records, {count - failed} reproduced, {failed} not")
    click.echo(f"chain head: {head}" + ("" if not bad else " (NOT verified)"))
    sys.exit(0 if not bad else EXIT_NOT_REPRODUCED)


@click.group()
def schema() -> None:
    """Print the JSON Schema of originrules' file formats."""


@schema.command(name="bom")
def schema_bom() -> None:
    """The JSON Schema of the BOM file (docs/bom-format.md)."""
    from originrules.inputs import bom_schema

    click.echo(json.dumps(bom_schema(), indent=2, ensure_ascii=False))


# ---------------------------------------------------------------- chips: export-control scenarios


@click.group()
def chips() -> None:
    """Export-control scenarios for AI chips: what an order of advanced computing items would need
    under a regime kept as data (rulesets/us-ai-diffusion-2025.regime: the US AI diffusion
    framework of January 2025, rescinded before its compliance date and never enforced).

    \b
    Exit codes of check: 0 no licence needed, 1 licence needed, 3 undetermined, 2 bad order.
    """


_REGIME_OPTION = click.option("--regime", default="us-ai-diffusion-2025", show_default=True, help="A shipped regime's name, or a .regime file.")


@chips.command(name="check")
@click.argument("order", type=click.Path(dir_okay=False))
@_REGIME_OPTION
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Decide as on this day (default: the order's date).")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text", show_default=True)
@click.option("--what-if", "what_ifs", multiple=True, metavar="LIMIT=N", help="Change a limit of the regime: lpp=7916000, or lpp_h100_equivalents=500 (the reported proposal). Marked hypothetical.")
@click.option("--record", "record_it", is_flag=True, help="Keep the decision in the database (originrules history; audit verify).")
@_db_option
def chips_check(order: str, regime: str, on: dt.datetime | None, fmt: str, what_ifs: tuple[str, ...], record_it: bool, db_url: str | None) -> None:
    """Decide an ORDER (JSON): exporter, destination, date, end_user {name, type, hq_country, veu},
    prior_tpp_this_year, country_tpp_used, items [{chip, quantity}].

    \b
    Examples:
      originrules chips check order.json
      originrules chips check order.json --what-if lpp_h100_equivalents=500 --format json
    """
    from originrules.bom import decode
    from originrules.chips import check, render

    try:
        try:
            text = Path(order).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise OriginrulesError(Problem("no such file", order, "CHP010")) from None
        except (OSError, UnicodeDecodeError) as e:
            raise OriginrulesError(Problem(f"cannot read: {e}", order, "CHP010")) from None
        from originrules.chips import load, read_order, whole_numbers

        rules = load(regime)
        decision = check(read_order(whole_numbers(decode(text, order)), rules, order), rules, on=on.date() if on else None, what_if=what_ifs)
        if record_it:
            from originrules.store import Store

            Store(db_url).keep_chips(decision)
    except OriginrulesError as e:
        _fail(e)
    click.echo(render(decision, fmt), nl=False)
    sys.exit(decision.exit_code)


@chips.command(name="list")
@_REGIME_OPTION
@_format_option
def chips_list(regime: str, fmt: str) -> None:
    """The chips the regime knows: ECCN, TPP (with its H100-equivalents) and the source of each."""
    from originrules.chips import listing, load

    try:
        rows = listing(load(regime))
    except OriginrulesError as e:
        _fail(e)
    if _echoed_json(fmt, rows):
        return
    for r in rows:
        inferred = f"; inferred: {r['inferred']}" if r["inferred"] else ""
        click.echo(f"{r['chip']:<18} {r['eccn']:<8} TPP {r['tpp']:>7,} ({r['h100_equivalents']} H100){'' if r['controlled'] else '  not controlled by the regime'}")
        click.echo(f"    {r['basis']}; {r['source']}{inferred}")


@chips.command(name="lint")
@_REGIME_OPTION
def chips_lint(regime: str) -> None:
    """Check a regime file: it reads, every figure carries its source (or says why it is inferred),
    every name a step uses is defined, the last step answers every order. Exit 2 if not."""
    from originrules.chips import load

    try:
        r = load(regime)
    except OriginrulesError as e:
        _fail(e)
    click.echo(f"{r.path}: {len(r.steps)} steps, {len(r.groups)} country groups, {len(r.limits)} limits, {len(r.chips)} chips; "
               f"every figure sourced; {r.inferred_count()} marked inferred")
