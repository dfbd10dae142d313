"""Remedy rules (R1-R10, CN-GEN-04..11), with hand-computed boundaries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from .helpers import claim, decide, policy

CN = timezone(timedelta(hours=8))

WINDOWS = """
{counting}
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
remedies:
  - id: r3-seven-days
    clause: R3
    kind: purchase_window
    window: {{anchor: purchase, within: 7 days}}
    when: {{fact: claim.fault_kind, eq: performance}}
    options: [refund, exchange, repair]
    precedence: 20
  - id: r4-fifteen-days
    clause: R4
    kind: purchase_window
    window: {{anchor: purchase, after: 7 days, within: 15 days}}
    when: {{fact: claim.fault_kind, eq: performance}}
    options: [exchange, repair]
    precedence: 10
"""


def windows(counting: str = "") -> str:
    return WINDOWS.format(counting=counting)


@pytest.mark.parametrize(
    ("failure", "rule", "option"),
    [
        ("2024-03-01", "r3-seven-days", "refund"),  # day 0, the purchase day
        ("2024-03-08", "r3-seven-days", "refund"),  # day 7: "within 7 days" includes it (DT-06)
        ("2024-03-09", "r4-fifteen-days", "exchange"),  # day 8: "after 7 days" excludes day 7
        ("2024-03-16", "r4-fifteen-days", "exchange"),  # day 15
        ("2024-03-17", "w", "repair"),  # day 16: the term's default remedy (R1)
    ],
)
def test_r3_r4_purchase_windows(failure: str, rule: str, option: str) -> None:
    """R3/R4, CN-GEN-04/05: purchase 2024-03-01."""
    d = decide(policy(windows()), claim(failure, dates={"purchase": "2024-03-01"}, fault_kind="performance"))
    assert d.status == "covered"
    assert d.remedy is not None and (d.remedy.rule, d.remedy.option) == (rule, option)


def test_purchase_window_options_and_customer_choice() -> None:
    facts = claim("2024-03-05", dates={"purchase": "2024-03-01"}, fault_kind="performance", customer_choice="exchange")
    d = decide(policy(windows()), facts)
    assert d.remedy is not None
    assert d.remedy.options == ("refund", "exchange", "repair") and d.remedy.option == "exchange"
    assert d.remedy.window_end is not None and d.remedy.window_end.isoformat() == "2024-03-08"


def test_purchase_window_when_condition() -> None:
    d = decide(policy(windows()), claim("2024-03-05", dates={"purchase": "2024-03-01"}, fault_kind="cosmetic"))
    assert d.remedy is not None and d.remedy.option == "repair"


def test_unknown_window_condition_is_undetermined() -> None:
    d = decide(policy(windows()), claim("2024-03-05", dates={"purchase": "2024-03-01"}))
    assert d.status == "undetermined" and d.missing == ("claim.fault_kind",)


def test_refund_window_rolls_off_national_day() -> None:
    """DT-12: a remedy window is an action deadline. Purchase 2024-09-24 + 7 days = 2024-10-01,
    a holiday: with a roll-forward mode it ends 2024-10-08, so day 12 (10-06) still refunds."""
    counting = "counting:\n  roll_forward: {mode: day_after_holiday, calendar: cn}\n"
    rolled = policy(windows(counting), calendar=True)
    plain = policy(windows())
    facts = claim("2024-10-06", dates={"purchase": "2024-09-24"}, fault_kind="performance")
    d = decide(rolled, facts)
    assert d.remedy is not None and d.remedy.option == "refund"
    assert d.remedy.window_end is not None and d.remedy.window_end.isoformat() == "2024-10-08"
    d2 = decide(plain, facts)
    assert d2.remedy is not None and d2.remedy.rule == "r4-fifteen-days"
    # the exclusive lower bound of R4 rolls too: 10-08 is still R3, 10-09 is R4
    assert decide(rolled, claim("2024-10-08", dates={"purchase": "2024-09-24"}, fault_kind="performance")).remedy.rule == "r3-seven-days"  # type: ignore[union-attr]
    assert decide(rolled, claim("2024-10-09", dates={"purchase": "2024-09-24"}, fault_kind="performance")).remedy.rule == "r4-fifteen-days"  # type: ignore[union-attr]


# ---------------------------------------------------------------- repeated repairs

REPEATED = """
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 3 years
remedies:
  - id: rr
    clause: R2
    kind: repeated_repairs
    count: {count}
    comparison: {comparison}
    same: {same}
    consecutive: {consecutive}
    {within}
    options: [replace]
    replacement: same_brand_model
"""


def repeated(count: int = 3, comparison: str = "at_least", same: str = "fault", consecutive: str = "false", within: str = "") -> str:
    return REPEATED.format(count=count, comparison=comparison, same=same, consecutive=consecutive, within=within)


def rep(handed: str, returned: str, fixed: bool | None = False, fault: str | None = "E1", **more: object) -> dict[str, object]:
    out: dict[str, object] = {"handed_over": handed, "returned": returned, **more}
    if fixed is not None:
        out["fixed"] = fixed
    if fault is not None:
        out["fault_code"] = fault
    return out


THREE = [rep("2024-02-01", "2024-02-03"), rep("2024-03-01", "2024-03-03"), rep("2024-04-01", "2024-04-03")]


def test_r2_three_consecutive_unfixed_repairs_replace() -> None:
    d = decide(policy(repeated(consecutive="true")), claim("2024-05-01", fault_code="E1", repairs=THREE))
    assert d.remedy is not None and (d.remedy.option, d.remedy.rule) == ("replace", "rr")
    assert d.remedy.replacement == "same_brand_model"


def test_a_fixed_repair_breaks_the_run() -> None:
    repairs = [THREE[0], rep("2024-03-01", "2024-03-03", fixed=True), THREE[2], rep("2024-04-10", "2024-04-12")]
    consecutive = decide(policy(repeated(consecutive="true")), claim("2024-05-01", fault_code="E1", repairs=repairs))
    assert consecutive.remedy is not None and consecutive.remedy.option == "repair"
    # without 'consecutive' all four repairs of E1 count
    total = decide(policy(repeated()), claim("2024-05-01", fault_code="E1", repairs=repairs))
    assert total.remedy is not None and total.remedy.option == "replace"


def test_other_faults_do_not_count() -> None:
    repairs = [*THREE[:2], rep("2024-04-01", "2024-04-03", fault="E9")]
    d = decide(policy(repeated()), claim("2024-05-01", fault_code="E1", repairs=repairs))
    assert d.remedy is not None and d.remedy.option == "repair"
    anything = decide(policy(repeated(same="any")), claim("2024-05-01", fault_code="E1", repairs=repairs))
    assert anything.remedy is not None and anything.remedy.option == "replace"


@pytest.mark.parametrize(("comparison", "n", "expected"), [("at_least", 2, "replace"), ("more_than", 2, "repair"), ("more_than", 3, "replace")])
def test_at_least_vs_more_than(comparison: str, n: int, expected: str) -> None:
    """DT-06 / CONV-02: '2 repairs' includes 2; '超过 2 次' needs 3."""
    d = decide(policy(repeated(count=2, comparison=comparison)), claim("2024-05-01", fault_code="E1", repairs=THREE[:n]))
    assert d.remedy is not None and d.remedy.option == expected


def test_r5_within_one_year_from_purchase() -> None:
    within = "within: 1 year\n    anchor: purchase"
    p = policy(repeated(count=2, within=within))
    inside = decide(p, claim("2024-12-01", dates={"purchase": "2024-01-01"}, fault_code="E1", repairs=THREE[:2]))
    assert inside.remedy is not None and inside.remedy.option == "replace"
    late = decide(p, claim("2025-01-05", dates={"purchase": "2024-01-01"}, fault_code="E1", repairs=THREE[:2]))
    assert late.remedy is not None and late.remedy.option == "repair"


def test_unknown_fault_code_only_matters_when_it_could_cross_the_threshold() -> None:
    p = policy(repeated(count=2))
    unknown = decide(p, claim("2024-05-01", repairs=THREE[:2]))
    assert unknown.status == "undetermined" and unknown.missing == ("claim.fault_code",)
    one_repair = decide(p, claim("2024-05-01", repairs=THREE[:1]))
    assert one_repair.status == "covered" and one_repair.remedy is not None


def test_still_failing_needs_the_fault_after_the_last_repair() -> None:
    p = policy(repeated(count=2))
    fixed_last = [THREE[0], rep("2024-03-01", "2024-03-20", fixed=True)]
    # the failure precedes the last (successful) repair's return: not still failing
    d = decide(p, claim("2024-03-10", fault_code="E1", repairs=fixed_last))
    assert d.remedy is not None and d.remedy.option == "repair"
    # a failure after the return is the fault coming back
    d2 = decide(p, claim("2024-03-25", fault_code="E1", repairs=fixed_last))
    assert d2.remedy is not None and d2.remedy.option == "replace"


# ---------------------------------------------------------------- unrepaired

UNREPAIRED = """
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
remedies:
  - id: cn-gen-07
    clause: Art. 12
    kind: unrepaired
    more_than: 30 days
    counted_from: {counted_from}
    cause: {cause}
    borne_by: seller
    options: [exchange]
"""


def test_cn_gen_07_more_than_30_days_is_strict() -> None:
    """Handed over 2024-03-01: day 30 is 2024-03-31 (not yet), day 31 2024-04-01 (replace)."""
    p = policy(UNREPAIRED.format(counted_from="handed_over", cause="parts_unavailable"))
    repairs = [{"handed_over": "2024-03-01", "delay_caused_by": "parts_supply"}]
    day30 = decide(p, claim("2024-03-01", repairs=repairs), as_of="2024-03-31")
    day31 = decide(p, claim("2024-03-01", repairs=repairs), as_of="2024-04-01")
    assert day30.remedy is not None and day30.remedy.option == "repair"
    assert day31.remedy is not None and (day31.remedy.option, day31.remedy.borne_by) == ("exchange", "seller")


def test_unrepaired_cause() -> None:
    p = policy(UNREPAIRED.format(counted_from="handed_over", cause="parts_unavailable"))
    by_repairer = decide(p, claim("2024-03-01", repairs=[{"handed_over": "2024-03-01", "delay_caused_by": "repairer"}]), as_of="2024-05-01")
    assert by_repairer.remedy is not None and by_repairer.remedy.option == "repair"
    unknown = decide(p, claim("2024-03-01", repairs=[{"handed_over": "2024-03-01"}]), as_of="2024-05-01")
    assert unknown.status == "undetermined" and unknown.missing == ("claim.repairs[0].delay_caused_by",)


def test_unrepaired_from_the_report_until_resolution() -> None:
    p = policy(UNREPAIRED.format(counted_from="report", cause="any"))
    reported = datetime(2024, 3, 1, 9, 0, tzinfo=CN).isoformat()
    resolved = datetime(2024, 3, 31, 18, 0, tzinfo=CN).isoformat()
    d = decide(p, claim("2024-03-01", reported_at=reported, resolved_at=resolved), as_of="2024-06-01")
    assert d.remedy is not None and d.remedy.option == "repair"  # resolved on day 30
    open_claim = decide(p, claim("2024-03-01", reported_at=reported), as_of="2024-04-01")
    assert open_claim.remedy is not None and open_claim.remedy.option == "exchange"


# ---------------------------------------------------------------- loaners (R7, R8)

LOANER = """
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
remedies:
  - id: r7
    clause: R7
    kind: loaner
    after: 48 hours
    provides: backup_unit
  - id: r8
    clause: R8
    kind: loaner
    after: 24 hours
    calendar: cn
    provides: spare_part_on_site
    deliver_within: 4 hours
"""


def test_r7_loaner_due_48_hours_after_the_report() -> None:
    p = policy(LOANER, calendar=True)
    reported = "2024-06-01T10:00:00+08:00"
    pending = decide(p, claim("2024-06-01", reported_at=reported), as_of="2024-06-02")
    r7 = pending.loaners[0]
    assert r7.due == datetime(2024, 6, 3, 10, 0, tzinfo=CN)
    assert (r7.state, r7.overdue) == ("pending", False)
    owed = decide(p, claim("2024-06-01", reported_at=reported), as_of="2024-06-03")
    assert (owed.loaners[0].state, owed.loaners[0].overdue) == ("owed", True)
    in_time = decide(p, claim("2024-06-01", reported_at=reported, resolved_at="2024-06-03T09:59:00+08:00"), as_of="2024-06-10")
    assert (in_time.loaners[0].state, in_time.loaners[0].overdue) == ("not_owed", False)
    late = decide(p, claim("2024-06-01", reported_at=reported, resolved_at="2024-06-03T10:01:00+08:00"), as_of="2024-06-10")
    assert late.loaners[0].state == "owed"


def test_r8_on_a_business_calendar_skips_the_dragon_boat_holiday() -> None:
    """24 business hours on Mon-Fri 09:00-17:00 from Fri 2024-06-07 10:00: Fri 7 h, Mon 10 Jun
    is the Dragon Boat holiday, Tue 8 h, Wed 8 h, Thu 1 h -> Thu 2024-06-13 10:00; the part is
    due on site 4 business hours later, 14:00."""
    p = policy(LOANER, calendar=True)
    d = decide(p, claim("2024-06-07", reported_at="2024-06-07T10:00:00+08:00"), as_of="2024-06-07")
    r8 = d.loaners[1]
    assert r8.due == datetime(2024, 6, 13, 10, 0, tzinfo=CN)
    assert r8.deliver_by == datetime(2024, 6, 13, 14, 0, tzinfo=CN)
    assert r8.state == "pending"


def test_loaner_without_report_time() -> None:
    d = decide(policy(LOANER, calendar=True), claim("2024-06-01"))
    assert d.status == "covered"
    assert d.loaners[0].state == "undetermined" and d.loaners[0].missing == ("claim.reported_at",)


def test_no_loaner_when_not_covered() -> None:
    d = decide(policy(LOANER, calendar=True), claim("2026-06-01", reported_at="2026-06-01T10:00:00+08:00"))
    assert d.status == "expired" and d.loaners == ()


# ---------------------------------------------------------------- out of box, abnormal life

OTHER = """
terms:
  - id: w
    clause: W
    anchor: delivery
    length: 1 year
remedies:
  - id: r9
    clause: R9
    kind: out_of_box
    within: 15 days
    options: [repair, replace, new_product]
    precedence: 5
  - id: r10
    clause: R10
    kind: abnormal_life
    options: [replace]
    compensation: true
    precedence: 1
"""


def test_r9_out_of_box() -> None:
    p = policy(OTHER)
    d = decide(p, claim("2024-01-05", dates={"delivery": "2024-01-02"}, out_of_box=True, reported_at="2024-01-05T10:00:00+08:00"))
    assert d.remedy is not None and (d.remedy.rule, d.remedy.option) == ("r9", "new_product")
    late = decide(p, claim("2024-01-20", dates={"delivery": "2024-01-02"}, out_of_box=True, reported_at="2024-01-20T10:00:00+08:00"))
    assert late.remedy is not None and late.remedy.rule == "w"


def test_r10_abnormal_life_after_the_warranty() -> None:
    p = policy(OTHER)
    facts = claim("2025-06-01", dates={"delivery": "2024-01-02"}, out_of_box=False, abnormal_life_certified=True, prices={"parts": "500.00 CNY"})
    d = decide(p, facts)
    assert d.status == "expired"
    assert d.remedy is not None and (d.remedy.rule, d.remedy.option, d.remedy.compensation) == ("r10", "replace", True)
    assert [(c.payer, c.rule) for c in d.costs] == [("vendor", "r10")]
    not_certified = decide(p, {**facts, "abnormal_life_certified": False})
    assert not_certified.remedy is not None and not_certified.remedy.option == "paid_repair"
    unknown = decide(p, {k: v for k, v in facts.items() if k != "abnormal_life_certified"})
    assert unknown.status == "undetermined" and unknown.missing == ("claim.abnormal_life_certified",)
    # never during the warranty
    inside = decide(p, {**facts, "failure_date": "2024-06-01"})
    assert inside.remedy is not None and inside.remedy.rule == "w"


# ---------------------------------------------------------------- depreciation (CN-GEN-10/11)

DEPRECIATION = """
terms:
  - id: w
    clause: W
    anchor: invoice
    length: 1 year
remedies:
  - id: art11
    clause: Art. 11
    kind: repeated_repairs
    count: 2
    same: any
    options: [exchange, refund]
    replacement: same_model
    depreciation:
      daily_rate_percent: {colour_tv: "0.1"}
"""


def dep_claim(**more: object) -> dict[str, object]:
    repairs = [
        {"handed_over": "2024-02-01", "returned": "2024-02-11", "waiting_for_parts_days": 5, "fixed": False},
        {"handed_over": "2024-03-01", "returned": "2024-03-01", "fixed": False},
    ]
    base = claim(
        "2024-04-01",
        dates={"invoice": "2024-01-01"},
        asset={"category": "colour_tv", "price": "3000.00 CNY"},
        repairs=repairs,
        customer_choice="refund",
        return_date="2024-04-10",
    )
    base.update(more)
    return base


def test_cn_gen_10_depreciation_when_an_available_exchange_is_refused() -> None:
    """100 days from invoice to return, minus 10 repair days and 5 waiting days = 85 days;
    3000.00 x 0.1 % x 85 = 255.00; refund 2745.00."""
    d = decide(policy(DEPRECIATION), dep_claim(same_model_available=True))
    assert d.remedy is not None and d.remedy.option == "refund"
    dep = d.remedy.depreciation
    assert dep is not None
    assert (dep.days, str(dep.daily_rate_percent), str(dep.amount), str(dep.refund)) == (85, "0.1", "255.00 CNY", "2745.00 CNY")


def test_cn_gen_09_no_same_model_no_depreciation() -> None:
    d = decide(policy(DEPRECIATION), dep_claim(same_model_available=False))
    assert d.remedy is not None and d.remedy.option == "refund" and d.remedy.depreciation is None


def test_depreciation_needs_to_know_if_the_model_is_available() -> None:
    d = decide(policy(DEPRECIATION), dep_claim())
    assert d.status == "undetermined" and d.missing == ("claim.same_model_available",)


def test_no_depreciation_when_the_customer_takes_the_exchange() -> None:
    d = decide(policy(DEPRECIATION), dep_claim(same_model_available=True, customer_choice="exchange"))
    assert d.remedy is not None and d.remedy.option == "exchange" and d.remedy.depreciation is None


# ---------------------------------------------------------------- precedence and defaults

PRECEDENCE = """
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
    options: [repair, replace]
remedies:
  - id: high
    clause: H
    kind: out_of_box
    options: [new_product]
    precedence: 9
  - id: low
    clause: L
    kind: purchase_window
    window: {within: 30 days}
    options: [exchange]
    precedence: 1
"""


def test_highest_precedence_wins() -> None:
    d = decide(policy(PRECEDENCE), claim("2024-01-10", out_of_box=True))
    assert d.remedy is not None and d.remedy.rule == "high"
    d2 = decide(policy(PRECEDENCE), claim("2024-01-10", out_of_box=False))
    assert d2.remedy is not None and d2.remedy.rule == "low"


def test_unknown_higher_rule_is_undetermined_lower_is_not() -> None:
    d = decide(policy(PRECEDENCE), claim("2024-01-10"))
    assert d.status == "undetermined" and d.missing == ("claim.out_of_box",)


def test_term_options_are_the_default_remedy() -> None:
    d = decide(policy(PRECEDENCE), claim("2024-06-10", out_of_box=False))
    assert d.remedy is not None and (d.remedy.rule, d.remedy.options, d.remedy.option) == ("w", ("repair", "replace"), "replace")


def test_exchange_term_defaults_to_exchange_or_repair() -> None:
    """P5: '1 year exchange, 3 years free repair' -- the exchange term is more favourable."""
    p = policy(
        """
        terms:
          - id: exchange-year
            clause: E
            kind: exchange
            anchor: purchase
            length: 1 year
          - id: repair-years
            clause: R
            anchor: purchase
            length: 3 years
        """
    )
    first = decide(p, claim("2024-06-01"))
    assert first.term == "exchange-year"
    assert first.remedy is not None and first.remedy.options == ("exchange", "repair") and first.remedy.option == "exchange"
    later = decide(p, claim("2025-06-01"))
    assert later.term == "repair-years" and later.remedy is not None and later.remedy.option == "repair"


# ---------------------------------------------------------------- who chooses


def test_when_the_vendor_chooses_the_customers_choice_does_not_bind() -> None:
    """models.RemedyBase.chosen_by: vendor -- the contractor picks repair or exchange."""
    text = windows().replace("    precedence: 10\n", "    precedence: 10\n    chosen_by: vendor\n")
    facts = claim("2024-03-12", dates={"purchase": "2024-03-01"}, fault_kind="performance", customer_choice="repair")
    d = decide(policy(text), facts)
    assert d.remedy is not None and d.remedy.rule == "r4-fifteen-days"
    assert d.remedy.options == ("exchange", "repair")
    assert d.remedy.option == "exchange"  # not the customer's repair: the most favourable that may be owed
    reason = next(r for r in d.reasons if r.rule == "r4-fifteen-days")
    assert "the vendor chooses among the options (the customer's choice repair does not bind)" in reason.text


def test_when_the_customer_chooses_a_valid_choice_binds() -> None:
    facts = claim("2024-03-12", dates={"purchase": "2024-03-01"}, fault_kind="performance", customer_choice="repair")
    d = decide(policy(windows()), facts)
    assert d.remedy is not None and d.remedy.option == "repair"
    assert "vendor chooses" not in next(r for r in d.reasons if r.rule == "r4-fifteen-days").text
