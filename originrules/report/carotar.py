"""The CAROTAR 2020 worksheet (Customs Notification 81/2020-Cus (N.T.)): what an Indian importer
claiming preference must declare on the bill of entry and keep in Form I, filled from the
decision where the BOM says it, and marked for the user where it cannot."""

from __future__ import annotations

from originrules.engine import Decision
from originrules.numbers import exact_sum
from originrules.report.model import Banner, Block, Facts, Heading, Paragraph, Table, money, what_if_banner

FILL = "(to be filled in by the importer)"


def _criterion(d: Decision) -> str:
    if d.rule is None:
        return "none: " + "; ".join(d.reasons)
    return f"product-specific rule {d.rule.key} of {d.agreement.code}: {d.rule.text} ({d.rule.legal_source})"


def _absorbed(d: Decision) -> list[str]:
    found: list[str] = []

    def walk(t) -> None:  # type: ignore[no-untyped-def]
        found.extend(x for x in (t.detail.get("de_minimis") or {}).get("absorbed", ()) if x not in found)
        for c in t.children:
            walk(c)

    if d.trace:
        walk(d.trace)
    return found


def carotar_blocks(d: Decision) -> list[Block]:
    p, cur = d.bom.product, d.bom.product.currency
    exporter = p.exporting_country
    partner = [m for m in d.materials if m.originating and exporter and m.origin != exporter]
    absorbed = _absorbed(d)
    out: list[Block] = what_if_banner(d)
    if p.importing_country != "IN":
        # CAROTAR governs claims of preference on imports into India, and nothing else
        where = f"into {p.importing_country}" if p.importing_country else "into a country the BOM does not name (product.importing_country)"
        out.append(Banner(f"NOT APPLICABLE: CAROTAR 2020 is for preference claimed on imports into India; this product is imported {where}. Use the decision report instead."))
    out += [
        Paragraph(f"Verdict: {d.verdict} under {d.agreement.code} ({d.agreement.name}).", d.originating),
        Paragraph("Customs (Administration of Rules of Origin under Trade Agreements) Rules, 2020 (CAROTAR), Notification 81/2020-Customs (N.T.). "
                  f"Fields marked {FILL} cannot be filled from the bill of materials."),
        Heading("Bill of entry: the six declarations per item"),
        Facts(
            (
                ("1. proof of origin reference number", FILL),
                ("2. date of the proof of origin", FILL),
                ("3. origin criterion", _criterion(d)),
                ("4. cumulation applied", "yes: " + ", ".join(f"{m.id} ({m.origin})" for m in partner) if partner else "no"),
                ("5. proof issued back-to-back in a third country", FILL),
                ("6. goods transported directly (direct consignment)", FILL),
            )
        ),
        Heading("Form I: origin-related information"),
        Facts(
            (
                ("importer, bill of entry number and date", FILL),
                ("description of goods", p.description or FILL),
                ("tariff classification (8 digits)", p.hs_code if len(p.hs_code) >= 8 else f"{p.hs_code} (8-digit national code {FILL})"),
                ("country of origin / export", exporter or FILL),
                ("production process", ", ".join(p.processes) if p.processes else FILL),
                ("criterion claimed", _criterion(d)),
                ("de minimis used", "yes, on materials " + ", ".join(absorbed) if absorbed else "no"),
            )
        ),
        Heading("Components"),
    ]
    rows = []
    for m in d.materials:
        local = "bought locally" if exporter and m.origin == exporter else f"imported from {m.origin}" if m.origin != "unknown" else "origin unknown"
        proof = "origin declaration held (per BOM)" if m.originating else "none: counted as non-originating"
        rows.append((m.id, m.description, m.hs_code or FILL, money(m.value), m.origin, f"{local}; made by the producer: {FILL}", proof))
    out.append(Table(("id", "description", "HS", f"value ({cur or 'currency'})", "origin", "source", "origin proof"), tuple(rows)))
    vnm = exact_sum(m.value for m in d.materials if not m.originating)
    vom = exact_sum(m.value for m in d.materials if m.originating)
    costs = d.bom.costs
    out.append(Heading("Value addition"))
    out.append(
        Facts(
            (
                ("ex-works price", money(p.ex_works, cur) if p.ex_works is not None else FILL),
                ("FOB value", money(p.fob, cur) if p.fob is not None else FILL),
                ("originating materials (VOM)", money(vom, cur)),
                ("non-originating materials (VNM)", money(vnm, cur)),
                *((name.replace("_", " "), money(costs[name], cur) if name in costs else FILL) for name in ("direct_labour", "direct_overhead", "profit", "other_costs")),
            )
        )
    )
    out.append(Heading("Record"))
    out.append(Facts((("decision id", d.decision_id), ("ruleset", f"{d.ruleset.path} sha256 {d.ruleset.sha256}"), ("input", f"sha256 {d.input_sha256}"))))
    return out
