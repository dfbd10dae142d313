"""Business calendars under SLA clocks: China's make-up working days, DST, trusted years."""

from __future__ import annotations

from datetime import timedelta

from .helpers import at, ev, evaluate, policy_with, ticket

REPLY = """
sla:
  severities: [{id: any}]
  default_severity: any
  metrics:
    - id: reply
      clause: R.1
      kind: response
      stops: responded
      calendar: cn-statutory
      targets: [{within: 10 working days}]
"""


def test_ten_working_days_across_national_day_2024() -> None:
    """CONV-08 on the DT-09 calendar: National Day 2024 is off 1-7 Oct, with make-up working
    days Sun 29 Sep and Sat 12 Oct.  Opened Fri 27 Sep: Sun 29 Sep 1, Mon 30 Sep 2,
    Tue 8 Oct 3, Wed 9 4, Thu 10 5, Fri 11 6, Sat 12 (make-up) 7, Mon 14 8, Tue 15 9,
    Wed 16 Oct 10 -> due at the close of business, Wed 16 Oct 17:00."""
    p = policy_with(REPLY)
    d = evaluate(p, ticket("2024-09-27 10:00"), "2024-10-01 12:00")
    r = d.metric("reply")
    assert r.due == at("2024-10-16 17:00")
    # business time: Fri 7 h + 10 working days x 8 h
    assert r.target_time == timedelta(hours=87)
    # as of 1 Oct: Fri 7 h + Sun 29 Sep 8 h + Mon 30 Sep 8 h used
    assert r.elapsed == timedelta(hours=23)
    assert r.state == "running"


def test_ten_working_days_from_a_rest_day_and_from_a_make_up_day() -> None:
    p = policy_with(REPLY)
    # Sat 28 Sep (rest day): the same count as from Friday, Sun 29 Sep 1 ... Wed 16 Oct 10
    sat = evaluate(p, ticket("2024-09-28 10:00"), "2024-09-28 11:00").metric("reply")
    assert sat.due == at("2024-10-16 17:00")
    # Sun 29 Sep is itself a make-up working day; counting starts the day after it:
    # Mon 30 Sep 1, Tue 8 Oct 2, ..., Sat 12 Oct 6, Mon 14 7, Tue 15 8, Wed 16 9, Thu 17 10
    sun = evaluate(p, ticket("2024-09-29 10:00"), "2024-09-29 11:00").metric("reply")
    assert sun.due == at("2024-10-17 17:00")
    # a reply on the due day's closing time is in time (closing-time convention)
    done = ticket("2024-09-27 10:00", ev("responded", "2024-10-16 17:00"))
    assert evaluate(p, done, "2024-10-20 12:00").metric("reply").state == "met"
    late = ticket("2024-09-27 10:00", ev("responded", "2024-10-16 17:01"))
    assert evaluate(p, late, "2024-10-20 12:00").metric("reply").state == "breached"


NEW_YORK = """
calendars:
  ny-5x8:
    timezone: America/New_York
    preset: 5x8
    holidays: {country: US}
sla:
  severities: [{id: any}]
  default_severity: any
  metrics:
    - id: response
      clause: NY.1
      kind: response
      stops: responded
      calendar: ny-5x8
      targets: [{within: 2 hours}]
    - id: solution
      clause: NY.2
      kind: solution
      stops: solution
      calendar: ny-5x8
      targets: [{within: 1 working day}]
"""


def test_five_by_eight_new_york_across_the_march_dst_change() -> None:
    """DST began Sun 10 Mar 2024 in New York.  Fri 8 Mar 16:30 EST + 2 business hours =
    30 minutes on Friday + 90 minutes on Monday = Mon 11 Mar 10:30 EDT (wall time: the clock
    change does not shift the deadline by an hour)."""
    p = policy_with(NEW_YORK)
    d = evaluate(p, ticket("2024-03-08T16:30:00-05:00"), "2024-03-11T10:00:00-04:00")
    r = d.metric("response")
    assert r.due == at("2024-03-11T10:30:00-04:00")
    assert r.due is not None and r.due.utcoffset() == timedelta(hours=-4)
    assert r.elapsed == timedelta(minutes=90)
    assert r.remaining == timedelta(minutes=30)
    # 1 working day after Fri 8 Mar: Mon 11 Mar, close of business 17:00 EDT
    assert d.metric("solution").due == at("2024-03-11T17:00:00-04:00")
    # the rendering uses the calendar's zone
    assert d.metric("response").to_json()["due"] == "2024-03-11T10:30:00-04:00"


def test_five_by_eight_new_york_across_the_november_dst_change() -> None:
    """DST ended Sun 3 Nov 2024: Fri 1 Nov 16:30 EDT + 2 h = Mon 4 Nov 10:30 EST."""
    p = policy_with(NEW_YORK)
    d = evaluate(p, ticket("2024-11-01T16:30:00-04:00"), "2024-11-01T17:00:00-04:00")
    assert d.metric("response").due == at("2024-11-04T10:30:00-05:00")


def test_deadline_beyond_trusted_holiday_years_warns() -> None:
    """cn-statutory trusts 2020-2026: a deadline in 2027 gets a warning on its metric."""
    p = policy_with(REPLY)
    d = evaluate(p, ticket("2026-12-28 10:00"), "2026-12-28 11:00")
    r = d.metric("reply")
    assert r.due is not None and r.due.year == 2027
    assert any("not trusted" in w and "cn-statutory" in w for w in r.warnings)
    inside = evaluate(p, ticket("2024-12-02 10:00"), "2024-12-02 11:00").metric("reply")
    assert inside.warnings == ()


SEVEN_BY_EIGHT = """
sla:
  severities: [{id: any}]
  default_severity: any
  metrics:
    - id: fix
      clause: S12
      kind: resolution
      stops: resolved
      calendar: cn-7x8-holidays-included
      targets: [{within: 16 hours}]
    - id: fix-office
      clause: S12
      kind: resolution
      stops: resolved
      calendar: cn-office-5x8
      targets: [{within: 16 hours}]
    - id: fix-hotline
      clause: S12
      kind: resolution
      stops: resolved
      targets: [{within: 16 hours}]
"""


def test_s12_three_service_hour_calendars_side_by_side() -> None:
    """S12: the same 16 h on 7x24 (real time), 5x8 (working days) and 7x8 holidays included.
    Opened Mon 30 Sep 2024 15:00, the eve of National Day."""
    p = policy_with(SEVEN_BY_EIGHT)
    d = evaluate(p, ticket("2024-09-30 15:00"), "2024-09-30 16:00")
    # 7x24: 16 real hours
    assert d.metric("fix-hotline").due == at("2024-10-01 07:00")
    # 7x8 holidays included: 2 h on 30 Sep, 8 h on 1 Oct, 6 h on 2 Oct
    assert d.metric("fix").due == at("2024-10-02 15:00")
    # 5x8 on Chinese working days: 2 h on 30 Sep, 1-7 Oct closed, 8 h on 8 Oct, 6 h on 9 Oct
    assert d.metric("fix-office").due == at("2024-10-09 15:00")
