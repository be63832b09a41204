"""What preference is worth: each seed fact about vehicles and engines as an expected rate."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import originrules
from originrules.cli import main
from originrules.tariff import agreement_year, schedule_dump, schedules
from tests.conftest import REPO


def year(agreement: str, n: int) -> dt.date:
    """A day in agreement year n (anniversary counting): the n-1th anniversary of entry into force."""
    start = originrules.find_agreement(agreement).agreement.in_force
    return start.replace(year=start.year + n - 1)


def rate(agreement: str, hs: str, exporter: str, importer: str, n: int, **attributes: str):  # type: ignore[no-untyped-def]
    return originrules.duty(agreement, hs, exporter=exporter, importer=importer, on=year(agreement, n), attributes=attributes).to_dict()


def uk_in(hs: str, n: int, **attributes: str):  # type: ignore[no-untyped-def]
    return rate("UK", hs, "GB", "IN", n, **attributes)


# ---------------------------------------------------------------- India's side of the India–UK CETA


def test_uk_ice_cars_in_quota_to_10_percent_by_year_5():
    assert uk_in("870322", 5, cc="1200", propulsion="petrol")["in_quota"] == "10.00"
    assert uk_in("870322", 1, cc="1200", propulsion="petrol")["in_quota"] == "58.00"  # 70 - 60/5


def test_uk_ice_car_quota_20000_rising_to_37000_in_year_5_and_15000_from_year_15():
    quotas = {n: uk_in("870323", n, cc="1800", propulsion="diesel")["quota"] for n in (1, 3, 5, 10, 14, 15, 20)}
    assert quotas == {1: "20000", 3: "28500", 5: "37000", 10: "37000", 14: "37000", 15: "15000", 20: "15000"}


def test_uk_ice_cars_out_of_quota_50_above_1500cc_and_45_up_to_1500cc_in_10_years():
    assert uk_in("870323", 10, cc="1800", propulsion="petrol")["out_quota"] == "50.00"
    assert uk_in("870322", 10, cc="1500", propulsion="petrol")["out_quota"] == "45.00"


def test_uk_quota_used_up_means_the_out_of_quota_rate():
    d = originrules.duty("UK", "870323", exporter="GB", importer="IN", on=year("UK", 10), attributes={"cc": "1800", "propulsion": "petrol"}, quota_used=37000).to_dict()
    assert (d["applied"], d["preferential"]) == ("out_quota", "50.00")


def test_uk_electrified_cars_only_under_quota_from_year_6_to_10_percent_by_year_10():
    ev = {"propulsion": "electric", "cif": "50000GBP"}
    assert uk_in("870380", 5, **ev)["preferential"] is None  # not before year 6
    assert uk_in("870380", 10, **ev)["in_quota"] == "10.00"
    assert uk_in("870380", 10, propulsion="hybrid", cif="90000GBP")["in_quota"] == "10.00"
    assert uk_in("870380", 6, **ev)["quota"] == "4400" and uk_in("870380", 15, **ev)["quota"] == "22000"
    assert uk_in("870380", 10, propulsion="electric", cif="30000GBP")["preferential"] is None  # under GBP 40,000


def test_uk_two_wheelers_55_to_22_by_year_10():
    assert uk_in("871120", 10, propulsion="petrol")["preferential"] == "22.00"
    assert uk_in("871120", 10, propulsion="petrol")["mfn"] == "55.00"


def test_uk_trucks_in_quota_8_8_in_5_years_quota_2500_to_3500_kept_out_of_quota_22_in_10():
    truck = {"propulsion": "diesel"}
    assert uk_in("870421", 5, **truck)["in_quota"] == "8.80"
    assert [uk_in("870421", n, **truck)["quota"] for n in (1, 5, 12)] == ["2500", "3500", "3500"]
    assert uk_in("870421", 10, **truck)["out_quota"] == "22.00"


def test_uk_buses_22_in_10_years_out_of_quota_only():
    d = uk_in("870210", 10, propulsion="diesel")
    assert (d["preferential"], d["quota"]) == ("22.00", None)


def test_uk_petrol_engines_to_0_and_diesel_engines_to_8_25_by_year_5():
    assert uk_in("840734", 10)["preferential"] == "0.00"
    assert uk_in("840820", 5)["preferential"] == "8.25"


@pytest.mark.parametrize(
    "hs,attributes",
    [
        ("870322", {"condition": "used", "cc": "1200", "propulsion": "petrol"}),
        ("870322", {"wheels": "3", "cc": "200", "propulsion": "petrol"}),
        ("870322", {"form": "CKD", "cc": "1200", "propulsion": "petrol"}),
        ("870421", {"form": "SKD", "propulsion": "diesel"}),
        ("871160", {"propulsion": "electric"}),
        ("870421", {"propulsion": "electric"}),
        ("870210", {"propulsion": "electric"}),
    ],
    ids=["used", "three-wheeler", "CKD", "SKD", "electric two-wheeler", "electric truck", "electric bus"],
)
def test_uk_exclusions_leave_the_mfn_rate(hs: str, attributes: dict[str, str]):
    d = uk_in(hs, 10, **attributes)
    assert (d["applied"], d["preferential"]) == ("mfn", None)


def test_uk_side_zero_for_vehicles_except_electrified_cars():
    assert rate("UK", "870421", "IN", "GB", 1)["preferential"] == "0.00"
    assert rate("UK", "870380", "IN", "GB", 1, propulsion="electric")["preferential"] is None


def test_no_preference_before_entry_into_force():
    d = originrules.duty("UK", "871120", exporter="GB", importer="IN", on=dt.date(2026, 7, 14), attributes={"propulsion": "petrol"}).to_dict()
    assert (d["agreement_year"], d["preferential"]) == (0, None)


# ---------------------------------------------------------------- India–UAE


def test_uae_side_5_percent_to_0_at_entry_into_force():
    d = rate("UAE", "870322", "IN", "AE", 1)
    assert (d["mfn"], d["preferential"], d["date"]) == ("5.00", "0.00", "2022-05-01")


def test_uae_india_excludes_8702_and_8703_and_eliminates_8706_at_once():
    assert rate("UAE", "870322", "AE", "IN", 3)["preferential"] is None
    assert rate("UAE", "870210", "AE", "IN", 3)["preferential"] is None
    assert rate("UAE", "870600", "AE", "IN", 1)["preferential"] == "0.00"


def test_uae_india_motorcycles_by_engine_size_and_form():
    assert rate("UAE", "871120", "AE", "IN", 5, cc="150")["preferential"] is None  # 50-250 cc excluded
    big = {n: rate("UAE", "871130", "AE", "IN", n, cc="500")["preferential"] for n in (1, 6, 11, 15)}
    assert big == {1: "45.00", 6: "35.00", 11: "25.00", 15: "25.00"}  # 50 -> 45 in year 1 -> 25 over 10 years
    assert rate("UAE", "871130", "AE", "IN", 10, cc="500", form="CKD")["preferential"] == "7.50"
    assert rate("UAE", "871130", "AE", "IN", 10, cc="500", form="SKD")["preferential"] == "12.50"


# ---------------------------------------------------------------- Oman, EFTA, Mauritius, Australia


def test_oman_side_zero_and_india_excludes_vehicles_and_engines():
    for hs in ("870210", "870322", "870421", "871120", "840734", "840820"):
        assert rate("OMAN", hs, "IN", "OM", 1)["preferential"] == "0.00"
        assert rate("OMAN", hs, "OM", "IN", 1)["preferential"] is None


def test_efta_states_at_zero():
    for importer in ("CH", "NO", "IS", "LI"):
        assert rate("EFTA", "870322", "IN", importer, 1)["preferential"] == "0.00"


def test_efta_india_engines_by_size_and_exporting_state():
    assert rate("EFTA", "840734", "CH", "IN", 10)["preferential"] is None  # car petrol engines excluded
    assert rate("EFTA", "840731", "NO", "IN", 10)["preferential"] == "0.00"  # up to 50 cc, by year 10
    two = {"vehicle": "two_wheeler"}
    assert rate("EFTA", "840732", "NO", "IN", 5, **two)["preferential"] is None  # cuts start in year 6
    assert rate("EFTA", "840732", "IS", "IN", 10, **two)["preferential"] == "11.25"  # halfway down a 10-year path
    assert rate("EFTA", "840732", "NO", "IN", 15, **two)["preferential"] == "7.50"  # 50% off by year 15
    assert rate("EFTA", "840733", "CH", "IN", 10, **two)["preferential"] == "7.50"  # by year 10 for Switzerland
    assert rate("EFTA", "840820", "CH", "IN", 10, cc="2200")["preferential"] == "0.00"


def test_mauritius_zero_only_for_buses_and_india_keeps_mfn():
    assert rate("MAURITIUS", "870210", "IN", "MU", 1)["preferential"] == "0.00"
    assert rate("MAURITIUS", "870322", "IN", "MU", 1)["preferential"] is None
    assert rate("MAURITIUS", "870210", "MU", "IN", 1)["preferential"] is None


def test_australia_zero_for_indian_vehicles_and_india_excludes():
    assert rate("AUSTRALIA", "870322", "IN", "AU", 1)["preferential"] == "0.00"
    assert rate("AUSTRALIA", "870322", "AU", "IN", 1)["preferential"] is None


# ---------------------------------------------------------------- years, commands, snapshots


def test_agreement_years_by_anniversary_or_calendar():
    start = dt.date(2026, 7, 15)
    assert [agreement_year(start, d, "anniversary") for d in (dt.date(2026, 7, 14), start, dt.date(2027, 7, 14), dt.date(2027, 7, 15))] == [0, 1, 1, 2]
    assert [agreement_year(start, d, "calendar") for d in (start, dt.date(2026, 12, 31), dt.date(2027, 1, 1))] == [1, 1, 2]


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_duty_command():
    result = run("duty", "UK", "8703.22", "--from", "GB", "--to", "IN", "--year", "2031", "--attr", "cc=1200", "--attr", "propulsion=petrol", "--format", "json")
    data = json.loads(result.output)
    assert (data["agreement_year"], data["mfn"], data["in_quota"], data["margin"]) == (5, "70.00", "10.00", "60.00")
    assert data["line"]["source"].startswith("rulesets/tariffs/india-uk-ceta-in.roo:")
    missing = run("duty", "UK", "8703", "--from", "GB", "--to", "IN")
    assert missing.exit_code == 2 and "give --attr" in missing.output


def test_check_with_duty_adds_the_saving_on_the_customs_value():
    result = run("check", str(REPO / "examples" / "motorcycle-uae.json"), "-a", "UAE", "--duty", "--format", "json")
    data = json.loads(result.output)
    assert data["duty"]["saving"] == "54.50"  # 5% of FOB 1,090 into the UAE


def test_compare_tabulates_every_agreement_on_the_route_best_first():
    bom = originrules.load_bom(REPO / "examples" / "motorcycle-uae.json")
    rows = originrules.compare(bom, importer="AE", on=dt.date(2027, 1, 1))
    assert [r["agreement"] for r in rows] == ["UAE"]
    assert (rows[0]["verdict"], rows[0]["saving"]) == ("originating", "54.50")
    car = originrules.load_bom(REPO / "examples" / "car-uk.json")
    uk, *others = originrules.compare(car, importer="GB", attributes={"propulsion": "petrol"}, customs_value=__import__("decimal").Decimal("650000"))
    assert (uk["agreement"], uk["verdict"], uk["rate"], uk["saving"]) == ("UK", "originating", "0.00", "65000.00")
    # the UK's DCTS also covers India; with no tariff schedule shipped for it, it ranks after the CETA
    assert [r["agreement"] for r in others] == ["UK-DCTS-GENERAL-ENHANCED"]


@pytest.mark.parametrize("schedule", schedules(), ids=lambda s: s.path.rsplit("/", 1)[1])
def test_schedule_snapshot(schedule, snapshot):  # type: ignore[no-untyped-def]
    assert schedule_dump(schedule) == snapshot


def test_every_schedule_value_has_a_source():
    for s in schedules():
        assert all(line.provenance.source for line in s.lines)


def test_a_rate_resting_on_an_inferred_or_chapter_line_is_said_to_be_an_estimate_wherever_it_is_shown(tmp_path):
    # issue 25, item 2: Australia's schedule has one line for chapter 87, its MFN marked inferred; a
    # gearbox (870840) takes that line: the rate and the saving are estimates, and every view says so
    import json

    from click.testing import CliRunner

    from originrules.cli import main
    from originrules.tariff import duty

    gearbox = duty("AUSTRALIA", "870840", exporter="IN", importer="AU", on="2026-12-05")
    assert "marked inferred" in gearbox.estimate and "no line for heading 8708" in gearbox.estimate
    assert gearbox.to_dict()["estimate"] == gearbox.estimate
    text = CliRunner().invoke(main, ["duty", "AUSTRALIA", "870840", "--from", "IN", "--to", "AU"]).output
    assert "AN ESTIMATE:" in text
    bom = json.loads((REPO / "examples" / "motorcycle-uae.json").read_text(encoding="utf-8"))
    bom["product"].update({"hs_code": "870840", "importing_country": "AU"})
    path = tmp_path / "gearbox.json"
    path.write_text(json.dumps(bom), encoding="utf-8")
    compared = CliRunner().invoke(main, ["compare", str(path)]).output
    australia = next(line for line in compared.splitlines() if line.startswith("AUSTRALIA"))
    assert australia.rstrip().endswith("*") and "* an estimate, not a rate of the schedule" in compared
    rows = json.loads(CliRunner().invoke(main, ["compare", str(path), "--format", "json"]).output)
    assert next(r for r in rows if r["agreement"] == "AUSTRALIA")["estimate"] == gearbox.estimate
