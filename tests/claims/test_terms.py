"""Term windows: anchors, lengths, extensions, restarts and roll-forward (hand-computed)."""

from __future__ import annotations

import pytest

from warrantykit.errors import EvaluationError

from .helpers import claim, decide, policy, term

ONE_TERM = """
terms:
  - id: w
    clause: T1
    anchor: {anchor}
    length: {length}
"""


def one_term(anchor: str = "acceptance", length: str = "36 months", extra: str = "") -> str:
    return ONE_TERM.format(anchor=anchor, length=length) + extra


# ---------------------------------------------------------------- durations


def test_p1_36_months_from_acceptance_start_day_excluded() -> None:
    """P1, DT-02/DT-03: 36 months from 2024-01-15 ends 2027-01-15 (the corresponding day)."""
    p = policy(one_term())
    d = decide(p, claim("2027-01-15", dates={"acceptance": "2024-01-15"}))
    w = term(d, "w")
    assert (w.start.isoformat(), w.end.isoformat()) == ("2024-01-15", "2027-01-15")
    assert d.status == "covered" and w.inside is True
    d2 = decide(p, claim("2027-01-16", dates={"acceptance": "2024-01-15"}))
    assert d2.status == "expired" and term(d2, "w").inside is False


def test_failure_on_the_anchor_day_is_inside() -> None:
    d = decide(policy(one_term()), claim("2024-01-15", dates={"acceptance": "2024-01-15"}))
    assert d.status == "covered"


def test_failure_before_the_anchor_is_not_applicable() -> None:
    d = decide(policy(one_term()), claim("2024-01-14", dates={"acceptance": "2024-01-15"}))
    assert d.status == "not_applicable"
    assert term(d, "w").inside is False


def test_start_day_included_ends_the_day_before() -> None:
    """DT-11 (BGB §187(2)/§188(2)): counted from the start of the day -> 2027-01-14."""
    p = policy(one_term() + "    counting: {start_day: included}\n")
    assert term(decide(p, claim("2025-01-01", dates={"acceptance": "2024-01-15"})), "w").end.isoformat() == "2027-01-14"


def test_month_end_clips() -> None:
    """DT-03: 1 month from 2024-01-31 is 2024-02-29 (clipped)."""
    p = policy(one_term(length="1 month"))
    d = decide(p, claim("2024-02-29", dates={"acceptance": "2024-01-31"}))
    assert term(d, "w").end.isoformat() == "2024-02-29" and d.status == "covered"


def test_month_end_error_when_the_policy_asks() -> None:
    p = policy("counting: {month_end: error}\n" + one_term(length="1 month"))
    with pytest.raises(EvaluationError, match="month_end"):
        decide(p, claim("2024-02-10", dates={"acceptance": "2024-01-31"}))


def test_days_and_years_differ_over_a_leap_day() -> None:
    """DT-14: 365 days from 2024-01-01 is 2024-12-31; 1 year is 2025-01-01."""
    days = decide(policy(one_term(length="365 days")), claim("2024-12-31", dates={"acceptance": "2024-01-01"}))
    years = decide(policy(one_term(length="1 year")), claim("2024-12-31", dates={"acceptance": "2024-01-01"}))
    assert term(days, "w").end.isoformat() == "2024-12-31"
    assert term(years, "w").end.isoformat() == "2025-01-01"


# ---------------------------------------------------------------- anchors


def test_missing_anchor_is_undetermined_naming_the_date() -> None:
    d = decide(policy(one_term()), claim("2025-01-01", dates={"purchase": "2024-01-01"}))
    assert d.status == "undetermined"
    assert d.missing == ("claim.asset.dates.acceptance",)
    assert d.remedy is None and d.costs == ()


def test_missing_failure_date_is_undetermined() -> None:
    d = decide(policy(one_term()), claim(None, dates={"acceptance": "2024-01-15"}))
    assert d.status == "undetermined" and d.missing == ("claim.failure_date",)


def test_later_of_invoice_and_delivery() -> None:
    """CN-AUTO-02: from the invoice date, or the delivery date when later."""
    p = policy(one_term(anchor="{later_of: [invoice, delivery]}", length="2 years"))
    d = decide(p, claim("2025-01-01", dates={"invoice": "2024-03-01", "delivery": "2024-03-05"}))
    assert term(d, "w").start.isoformat() == "2024-03-05"
    assert term(d, "w").end.isoformat() == "2026-03-05"
    # the later of a known and an unknown date is unknown
    d2 = decide(p, claim("2025-01-01", dates={"invoice": "2024-03-01"}))
    assert d2.status == "undetermined" and d2.missing == ("claim.asset.dates.delivery",)


def test_earlier_of() -> None:
    p = policy(one_term(anchor="{earlier_of: [invoice, delivery]}", length="1 year"))
    d = decide(p, claim("2025-01-01", dates={"invoice": "2024-03-01", "delivery": "2024-03-05"}))
    assert term(d, "w").end.isoformat() == "2025-03-01"


def test_offset_and_fallback() -> None:
    """CN-MP-01: without an invoice, the period starts on production + 90 days."""
    p = policy(
        one_term(
            anchor="{event: invoice, fallback: {event: production, offset: 90 days}}",
            length="1 year",
        )
    )
    d = decide(p, claim("2024-06-01", dates={"production": "2024-01-01"}))
    w = term(d, "w")
    assert w.start.isoformat() == "2024-03-31"  # 2024-01-01 + 90 days (leap year)
    assert w.end.isoformat() == "2025-03-31"
    assert "fallback" in w.anchor
    # with the invoice the fallback is not used
    d2 = decide(p, claim("2024-06-01", dates={"invoice": "2024-02-01", "production": "2024-01-01"}))
    assert term(d2, "w").start.isoformat() == "2024-02-01"
    # neither known: both paths are missing
    d3 = decide(p, claim("2024-06-01", dates={"purchase": "2024-01-01"}))
    assert d3.missing == ("claim.asset.dates.invoice", "claim.asset.dates.production")


def test_restart_on_replacement() -> None:
    """CN-GEN-12: the period restarts on the exchange date."""
    p = policy("counting: {restart_on_replacement: true}\n" + one_term(anchor="invoice", length="1 year"))
    d = decide(p, claim("2025-06-01", dates={"invoice": "2024-01-10", "replacement": "2024-08-01"}))
    w = term(d, "w")
    assert (w.start.isoformat(), w.end.isoformat()) == ("2024-08-01", "2025-08-01")
    assert d.status == "covered"
    # without the option the replacement is ignored
    d2 = decide(policy(one_term(anchor="invoice", length="1 year")), claim("2025-06-01", dates={"invoice": "2024-01-10", "replacement": "2024-08-01"}))
    assert d2.status == "expired"


# ---------------------------------------------------------------- starts_after (P9)

P9 = """
terms:
  - id: quality
    clause: Q
    anchor: acceptance
    length: 2 years
  - id: maintenance
    clause: M
    kind: paid_service
    starts_after: quality
    length: {length}
    costs:
      parts: {{payer: customer, basis: contract_price_cap}}
      labour: {{payer: customer, basis: list_price}}
costs:
  expired:
    parts: {{payer: customer, basis: list_price}}
"""


def test_p9_maintenance_starts_the_day_after_quality_ends() -> None:
    """P9: quality 2 years to 2026-01-15; 1 year of maintenance 2026-01-16 .. 2027-01-15."""
    p = policy(P9.format(length="1 year"))
    d = decide(p, claim("2026-01-16", dates={"acceptance": "2024-01-15"}))
    m = term(d, "maintenance")
    assert (m.start.isoformat(), m.end.isoformat()) == ("2026-01-16", "2027-01-15")
    assert d.status == "expired" and m.inside is True
    # the paid-service term's own table sets the price basis
    parts = [c for c in d.costs if c.line == "parts"]
    assert [(c.payer, c.basis, c.rule) for c in parts] == [("customer", "contract_price_cap", "maintenance")]
    assert d.remedy is not None and d.remedy.option == "paid_repair" and d.remedy.rule == "maintenance"


def test_p9_lifetime_follow_up() -> None:
    p = policy(P9.format(length="lifetime"))
    d = decide(p, claim("2070-01-01", dates={"acceptance": "2024-01-15"}), as_of="2070-01-02")
    m = term(d, "maintenance")
    assert m.lifetime and m.end is None and m.inside is True
    assert d.status == "expired"


def test_quality_period_failure_is_covered() -> None:
    d = decide(policy(P9.format(length="1 year")), claim("2026-01-15", dates={"acceptance": "2024-01-15"}))
    assert d.status == "covered" and d.term == "quality"


# ---------------------------------------------------------------- seasons (P3, CONV-06)

SEASONS = """
seasons:
  heating:
    start: "11-15"
    end: "03-15"
terms:
  - id: heat
    clause: H
    anchor: acceptance
    length: {length}
"""


def test_three_heating_seasons_complete_seasons_from_the_anchor() -> None:
    """CONV-06: from 2023-06-01 the seasons 2023/24, 2024/25, 2025/26 -> ends 2026-03-15."""
    p = policy(SEASONS.format(length="{seasons: 3, season: heating}"))
    d = decide(p, claim("2026-03-15", dates={"acceptance": "2023-06-01"}), as_of="2026-04-01")
    assert term(d, "heat").end.isoformat() == "2026-03-15" and d.status == "covered"
    d2 = decide(p, claim("2026-03-16", dates={"acceptance": "2023-06-01"}), as_of="2026-04-01")
    assert d2.status == "expired"


def test_season_in_progress_at_the_anchor() -> None:
    """From 2023-12-01 (inside 2023/24): 3 complete seasons end 2027-03-15; counting the
    running one (count_in_progress) ends 2026-03-15."""
    complete = policy(SEASONS.format(length="{seasons: 3, season: heating}"))
    running = policy(SEASONS.format(length="{seasons: 3, season: heating, count_in_progress: true}"))
    facts = claim("2026-06-01", dates={"acceptance": "2023-12-01"})
    assert term(decide(complete, facts), "heat").end.isoformat() == "2027-03-15"
    assert term(decide(running, facts), "heat").end.isoformat() == "2026-03-15"


# ---------------------------------------------------------------- meters (DT-16)

METER = """
terms:
  - id: car
    clause: "18"
    anchor: invoice
    length: {length}
"""


def test_meter_limit_is_inclusive() -> None:
    p = policy(METER.format(length="{meter: km, limit: 50000}"))
    at = decide(p, claim("2025-01-01", dates={"invoice": "2024-01-01"}, meters={"km": "50000"}))
    over = decide(p, claim("2025-01-01", dates={"invoice": "2024-01-01"}, meters={"km": "50001"}))
    assert at.status == "covered" and over.status == "expired"
    m = term(over, "car").meters[0]
    assert (m.meter, str(m.limit), str(m.reading), m.within) == ("km", "50000", "50001", False)


def test_meter_reading_missing_is_undetermined() -> None:
    p = policy(METER.format(length="{meter: km, limit: 50000}"))
    d = decide(p, claim("2025-01-01", dates={"invoice": "2024-01-01"}))
    assert d.status == "undetermined" and d.missing == ("claim.meters.km",)


def test_whichever_first() -> None:
    """CN-AUTO-01: 2 years or 50,000 km, whichever first."""
    p = policy(METER.format(length="{first_of: [2 years, {meter: km, limit: 50000}]}"))
    dates = {"invoice": "2024-01-01"}
    assert decide(p, claim("2025-06-01", dates=dates, meters={"km": "20000"})).status == "covered"
    assert decide(p, claim("2025-06-01", dates=dates, meters={"km": "60000"})).status == "expired"
    late = decide(p, claim("2026-01-02", dates=dates, meters={"km": "100"}))
    assert late.status == "expired"
    assert term(late, "car").end.isoformat() == "2026-01-01"
    # past the date the reading does not matter: expired even when it is unknown
    assert decide(p, claim("2026-01-02", dates=dates)).status == "expired"


def test_whichever_last() -> None:
    """SYS-ORCL-01: the latest expiration among the bounds."""
    p = policy(METER.format(length="{last_of: [2 years, {meter: km, limit: 50000}]}"))
    dates = {"invoice": "2024-01-01"}
    assert decide(p, claim("2026-06-01", dates=dates, meters={"km": "40000"})).status == "covered"
    assert decide(p, claim("2026-06-01", dates=dates, meters={"km": "60000"})).status == "expired"
    assert decide(p, claim("2025-06-01", dates=dates, meters={"km": "60000"})).status == "covered"


def test_first_of_two_durations_takes_the_earlier_end() -> None:
    p = policy(METER.format(length="{first_of: [2 years, 700 days]}"))
    d = decide(p, claim("2025-01-01", dates={"invoice": "2024-01-01"}))
    assert term(d, "car").end.isoformat() == "2025-12-01"  # 2024-01-01 + 700 days


# ---------------------------------------------------------------- lifetime, fact lengths


def test_lifetime() -> None:
    d = decide(policy(one_term(length="lifetime")), claim("2060-01-01", dates={"acceptance": "2024-01-15"}), as_of="2060-01-01")
    w = term(d, "w")
    assert w.lifetime and w.end is None and d.status == "covered"


def test_length_from_a_fact() -> None:
    """CN-BLD-02: the design service life from the facts."""
    p = policy(one_term(length="{fact: asset.attributes.design_life_years, unit: years}"))
    facts = claim("2070-01-01", dates={"acceptance": "2024-01-15"}, asset={"attributes": {"design_life_years": 50}})
    d = decide(p, facts, as_of="2070-01-01")
    assert term(d, "w").end.isoformat() == "2074-01-15" and d.status == "covered"
    missing = decide(p, claim("2030-01-01", dates={"acceptance": "2024-01-15"}))
    assert missing.status == "undetermined"
    assert missing.missing == ("claim.asset.attributes.design_life_years",)


# ---------------------------------------------------------------- extensions (P7, CONV-04)

EXTEND = """
counting: {{extend_by: [{what}]}}
terms:
  - id: w
    clause: W
    anchor: invoice
    length: 1 year
    covers: {covers}
"""


def repair(handed: str, returned: str | None, **more: object) -> dict[str, object]:
    out: dict[str, object] = {"handed_over": handed, "fixed": True, **more}
    if returned is not None:
        out["returned"] = returned
    return out


def test_repair_days_extend_the_end_once() -> None:
    """P7/CONV-03/CONV-04: 5 + 12 repair days -> 2025-01-10 + 17 = 2025-01-27."""
    p = policy(EXTEND.format(what="repair_days", covers="all"))
    repairs = [repair("2024-03-01", "2024-03-06"), repair("2024-06-01", "2024-06-13")]
    d = decide(p, claim("2025-01-27", dates={"invoice": "2024-01-10"}, repairs=repairs))
    w = term(d, "w")
    assert (w.original_end.isoformat(), w.extension_days, w.end.isoformat()) == ("2025-01-10", 17, "2025-01-27")
    assert d.status == "covered"
    assert decide(p, claim("2025-01-28", dates={"invoice": "2024-01-10"}, repairs=repairs)).status == "expired"


def test_waiting_for_parts_days_are_added_when_listed() -> None:
    both = policy(EXTEND.format(what="repair_days, waiting_for_parts_days", covers="all"))
    only_waiting = policy(EXTEND.format(what="waiting_for_parts_days", covers="all"))
    repairs = [repair("2024-03-01", "2024-03-06", waiting_for_parts_days=4)]
    facts = claim("2024-06-01", dates={"invoice": "2024-01-10"}, repairs=repairs)
    assert term(decide(both, facts), "w").extension_days == 9
    assert term(decide(only_waiting, facts), "w").extension_days == 4


def test_a_repair_in_the_extension_extends_further() -> None:
    """The sum is taken to its fixed point: 2025-01-10 + 17 = 2025-01-27 covers the hand-over
    on 2025-01-12, whose 8 days extend the end to 2025-02-04."""
    p = policy(EXTEND.format(what="repair_days", covers="all"))
    repairs = [
        repair("2024-03-01", "2024-03-06"),
        repair("2024-06-01", "2024-06-13"),
        repair("2025-01-12", "2025-01-20"),
    ]
    d = decide(p, claim("2025-02-04", dates={"invoice": "2024-01-10"}, repairs=repairs))
    assert term(d, "w").end.isoformat() == "2025-02-04" and d.status == "covered"


def test_repairs_outside_the_window_or_after_as_of_do_not_count() -> None:
    p = policy(EXTEND.format(what="repair_days", covers="all"))
    repairs = [repair("2023-12-01", "2023-12-20"), repair("2025-03-01", "2025-03-10")]
    d = decide(p, claim("2024-06-01", dates={"invoice": "2024-01-10"}, repairs=repairs), as_of="2024-07-01")
    assert term(d, "w").extension_days == 0


def test_an_open_repair_counts_until_as_of() -> None:
    p = policy(EXTEND.format(what="repair_days", covers="all"))
    d = decide(p, claim("2024-06-01", dates={"invoice": "2024-01-10"}, repairs=[repair("2024-06-01", None)]), as_of="2024-06-21")
    assert term(d, "w").extension_days == 20


def test_component_terms_count_their_own_repairs() -> None:
    p = policy(EXTEND.format(what="repair_days", covers="{components: [compressor]}"))
    repairs = [
        repair("2024-03-01", "2024-03-06", component="compressor"),
        repair("2024-04-01", "2024-04-11", component="fan"),
        repair("2024-05-01", "2024-05-03"),  # the whole unit
    ]
    d = decide(p, claim("2024-06-01", dates={"invoice": "2024-01-10"}, repairs=repairs, component="compressor"))
    assert term(d, "w").extension_days == 7


# ---------------------------------------------------------------- roll-forward (P8, DT-12)

ROLL = """
counting:
  roll_forward: {{mode: {mode}, calendar: cn, coverage_window: {window}}}
terms:
  - id: w
    clause: W
    anchor: acceptance
    length: 1 year
"""


@pytest.mark.parametrize("mode", ["day_after_holiday", "next_working_day"])
def test_p8_coverage_end_on_national_day_2024_rolls_when_asked(mode: str) -> None:
    """P8, DT-04/DT-08, DT-09: 1 year from 2023-10-01 ends on 2024-10-01, inside the
    National Day holiday (1-7 Oct 2024); both modes give Tuesday 2024-10-08."""
    p = policy(ROLL.format(mode=mode, window="true"), calendar=True)
    d = decide(p, claim("2024-10-05", dates={"acceptance": "2023-10-01"}))
    w = term(d, "w")
    assert (w.end.isoformat(), w.rolled_from.isoformat()) == ("2024-10-08", "2024-10-01")
    assert d.status == "covered"
    assert decide(p, claim("2024-10-09", dates={"acceptance": "2023-10-01"})).status == "expired"


def test_dt12_coverage_window_does_not_roll_by_default() -> None:
    p = policy(ROLL.format(mode="day_after_holiday", window="false"), calendar=True)
    d = decide(p, claim("2024-10-05", dates={"acceptance": "2023-10-01"}))
    assert term(d, "w").end.isoformat() == "2024-10-01" and term(d, "w").rolled_from is None
    assert d.status == "expired"


def test_the_two_modes_differ_on_a_calendar_open_at_weekends() -> None:
    """DT-04 vs DT-08 on a 7x8 calendar with a closure on Friday 2025-06-13: the day after the
    run of statutory rest days (Fri holiday, Sat, Sun) is Monday 2025-06-16; the next
    working day of a calendar open on Saturdays is Saturday 2025-06-14."""
    head = (
        "calendars:\n  cn:\n    preset: 7x8\n    holidays: {country: CN}\n"
        "    trusted_years: [2020, 2026]\n    extra_holidays: [2025-06-13]\n"
    )
    for mode, expected in (("day_after_holiday", "2025-06-16"), ("next_working_day", "2025-06-14")):
        p = policy(head + ROLL.format(mode=mode, window="true"))
        d = decide(p, claim("2025-01-01", dates={"acceptance": "2024-06-13"}))
        assert term(d, "w").end.isoformat() == expected


def test_untrusted_holiday_years_warn() -> None:
    p = policy(ROLL.format(mode="day_after_holiday", window="true"), calendar=True)
    d = decide(p, claim("2027-01-01", dates={"acceptance": "2026-10-01"}))
    assert any("not trusted for 2027" in w for w in d.warnings)


# ---------------------------------------------------------------- selection and effect


LAYERED = """
terms:
  - id: project
    clause: P
    anchor: acceptance
    length: 36 months
  - id: heating
    clause: H
    covers: {components: [heating_system]}
    anchor: acceptance
    length: 4 years
"""


def test_component_and_project_terms_both_apply_the_most_favourable_covers() -> None:
    p = policy(LAYERED)
    d = decide(p, claim("2027-06-01", dates={"acceptance": "2024-01-15"}, component="heating_system"), as_of="2027-07-01")
    assert [t.id for t in d.terms] == ["project", "heating"]
    assert term(d, "project").inside is False and term(d, "heating").inside is True
    assert d.status == "covered" and d.term == "heating"
    # another component only gets the project term
    other = decide(p, claim("2027-06-01", dates={"acceptance": "2024-01-15"}, component="pump"), as_of="2027-07-01")
    assert [t.id for t in other.terms] == ["project"] and other.status == "expired"


def test_no_term_for_the_component_is_not_applicable() -> None:
    p = policy(
        """
        terms:
          - id: heating
            clause: H
            covers: {components: [heating_system]}
            anchor: acceptance
            length: 4 years
        """
    )
    d = decide(p, claim("2025-01-01", dates={"acceptance": "2024-01-15"}, component="pump"))
    assert d.status == "not_applicable" and d.terms == ()


def test_category_selector_unknown_category_is_undetermined() -> None:
    p = policy(
        """
        terms:
          - id: tv
            clause: A
            covers: {categories: [colour_tv]}
            anchor: invoice
            length: 1 year
        """
    )
    d = decide(p, claim("2024-06-01", dates={"invoice": "2024-01-01"}))
    assert d.status == "undetermined" and d.missing == ("claim.asset.category",)
    d2 = decide(p, claim("2024-06-01", dates={"invoice": "2024-01-01"}, asset={"category": "colour_tv"}))
    assert d2.status == "covered"


def test_policy_effective_window() -> None:
    p = policy("effective: {from: 2024-01-01}\n" + one_term())
    d = decide(p, claim("2024-06-01", dates={"acceptance": "2023-12-31"}))
    assert d.status == "not_applicable" and term(d, "w").in_effect is False
    assert decide(p, claim("2024-06-01", dates={"acceptance": "2024-01-01"})).status == "covered"
