"""The result of :meth:`Policy.schedule <warrantykit.engine.compiled.Policy.schedule>`.

Plain frozen data: a :class:`Schedule` holds the dated :class:`Obligation`
records of a horizon, each with its :class:`Window`, its status at ``as_of``
and the :class:`~warrantykit.engine.reasons.Reason` records that produced it,
plus the performed entries that satisfied nothing (:class:`UnmatchedWork`).

Renderings (shapes documented in ``docs/schedules.md``):

* :meth:`Schedule.to_json` -- a JSON-ready dict, stable shape
  ``warrantykit.schedule/1``;
* :meth:`Schedule.to_ical` -- RFC 5545 bytes (one all-day ``VEVENT`` per
  obligation), built with the ``icalendar`` package;
* :meth:`Schedule.explain` -- plain text for people.

Every rendering is a pure function of the schedule: no clock is read (the
iCalendar ``DTSTAMP`` is ``as_of`` at 00:00 UTC).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from warrantykit.engine.reasons import Reason
from warrantykit.facts import PerformedWork

__all__ = [
    "JSON_SCHEMA_ID",
    "Obligation",
    "ObligationStatus",
    "Schedule",
    "UnmatchedWork",
    "Window",
]

JSON_SCHEMA_ID = "warrantykit.schedule/1"
"""Value of the ``schema`` key of :meth:`Schedule.to_json`; bumped on a breaking change."""

PRODID = "-//warrantykit//schedule//EN"


class ObligationStatus(StrEnum):
    """Status of one obligation, judged at the schedule's ``as_of`` date.

    * ``done_on_time`` -- a performed entry dated inside the window satisfied it;
    * ``done_late`` -- a performed entry dated after the window satisfied it;
    * ``missed`` -- not done and the window closed before ``as_of``;
    * ``due`` -- not done and the window is open at ``as_of`` (both ends included);
    * ``upcoming`` -- not done and the window opens after ``as_of``.
    """

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    MISSED = "missed"
    DUE = "due"
    UPCOMING = "upcoming"


# RFC 5545 VEVENT STATUS: CONFIRMED = it happened, TENTATIVE = still to be
# done, CANCELLED = it did not happen.  The exact status is X-WARRANTYKIT-STATUS.
_ICAL_STATUS = {
    ObligationStatus.DONE_ON_TIME: "CONFIRMED",
    ObligationStatus.DONE_LATE: "CONFIRMED",
    ObligationStatus.MISSED: "CANCELLED",
    ObligationStatus.DUE: "TENTATIVE",
    ObligationStatus.UPCOMING: "TENTATIVE",
}


@dataclass(frozen=True, slots=True)
class Window:
    """The days on which the work counts as on time: ``earliest .. latest``, both included."""

    earliest: date
    latest: date

    def contains(self, day: date) -> bool:
        return self.earliest <= day <= self.latest

    def to_json(self) -> dict[str, str]:
        return {"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat()}

    def __str__(self) -> str:
        if self.earliest == self.latest:
            return self.earliest.isoformat()
        return f"{self.earliest.isoformat()}..{self.latest.isoformat()}"


def _performed_json(work: PerformedWork) -> dict[str, Any]:
    return {"obligation": work.obligation, "on": work.on.isoformat(), "note": work.note}


@dataclass(frozen=True, slots=True)
class Obligation:
    """One dated obligation of one schedule rule.

    ``id`` is ``<rule id>@<due date ISO>`` and is stable: the same policy and
    anchor dates give the same ids whatever the horizon.  ``due`` is the
    date after any holiday move; ``moved_from`` is the date before the move
    (``None`` when the due date did not move).  ``performed`` is the entry
    that satisfied the obligation, if any.
    """

    id: str
    rule: str
    clause: str
    kind: str
    text: str | None
    window: Window
    due: date
    status: ObligationStatus
    performed: PerformedWork | None = None
    moved_from: date | None = None
    season: str | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def done(self) -> bool:
        return self.status in (ObligationStatus.DONE_ON_TIME, ObligationStatus.DONE_LATE)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "clause": self.clause,
            "kind": self.kind,
            "text": self.text,
            "due": self.due.isoformat(),
            "moved_from": self.moved_from.isoformat() if self.moved_from else None,
            "window": self.window.to_json(),
            "season": self.season,
            "status": self.status.value,
            "performed": _performed_json(self.performed) if self.performed else None,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class UnmatchedWork:
    """A performed entry that satisfied no obligation, and why.

    ``index`` is its position in the ``performed`` input.
    """

    index: int
    work: PerformedWork
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, **_performed_json(self.work), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Schedule:
    """Dated obligations of a policy for one asset in ``start .. end`` (both included).

    ``obligations`` are those whose (holiday-moved) due date lies in the
    horizon, sorted by due date then rule id.  Statuses are judged at
    ``as_of`` (the caller's ``as_of``, else ``end``); performed entries dated
    after ``as_of`` are not used and appear in ``unmatched``.
    """

    policy_id: str
    policy_version: str
    content_hash: str
    asset_id: str | None
    start: date
    end: date
    as_of: date
    obligations: tuple[Obligation, ...]
    unmatched: tuple[UnmatchedWork, ...] = ()

    def __iter__(self) -> Any:
        return iter(self.obligations)

    def __len__(self) -> int:
        return len(self.obligations)

    def by_id(self, obligation_id: str) -> Obligation:
        """The obligation with this id (``KeyError`` if it is not in the horizon)."""
        for ob in self.obligations:
            if ob.id == obligation_id:
                return ob
        raise KeyError(obligation_id)

    def with_status(self, *statuses: ObligationStatus | str) -> tuple[Obligation, ...]:
        wanted = {ObligationStatus(s) for s in statuses}
        return tuple(ob for ob in self.obligations if ob.status in wanted)

    def counts(self) -> dict[str, int]:
        """Number of obligations per status (every status present, zeros included)."""
        found = Counter(ob.status for ob in self.obligations)
        return {s.value: found.get(s, 0) for s in ObligationStatus}

    # ------------------------------------------------------------ renderings

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; see ``docs/schedules.md`` for the shape."""
        return {
            "schema": JSON_SCHEMA_ID,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "content_hash": self.content_hash,
            },
            "asset": {"id": self.asset_id},
            "horizon": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "counts": self.counts(),
            "obligations": [ob.to_json() for ob in self.obligations],
            "unmatched": [u.to_json() for u in self.unmatched],
        }

    def uid(self, obligation: Obligation) -> str:
        """iCalendar UID: ``<obligation id>/<policy id>``, plus ``/<asset id>`` when the
        asset has an id (so calendars of two assets under one policy can be merged)."""
        parts = [obligation.id, self.policy_id]
        if self.asset_id:
            parts.append(self.asset_id)
        return "/".join(parts)

    def to_ical(self) -> bytes:
        """RFC 5545 calendar: one all-day ``VEVENT`` per obligation.

        ``DTSTART``/``DTEND`` are the window (``DTEND`` is exclusive, so it is
        the day after ``window.latest``); ``UID`` is :meth:`uid`; ``SUMMARY``
        is ``"<kind>: <rule id>"``; ``DESCRIPTION`` holds clause, text, due
        date and status; ``STATUS`` is CONFIRMED (done), TENTATIVE (due or
        upcoming) or CANCELLED (missed), and ``X-WARRANTYKIT-STATUS`` the
        exact status.  ``DTSTAMP`` is ``as_of`` at 00:00 UTC, so the output
        is reproducible.
        """
        from icalendar import Calendar, Event

        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("x-wr-calname", f"{self.policy_id} {self.policy_version}")
        stamp = datetime.combine(self.as_of, time(0), tzinfo=UTC)
        for ob in self.obligations:
            event = Event()
            event.add("uid", self.uid(ob))
            event.add("dtstamp", stamp)
            event.add("dtstart", ob.window.earliest)
            event.add("dtend", ob.window.latest + timedelta(days=1))
            event.add("summary", f"{ob.kind}: {ob.rule}")
            lines = [f"Clause {ob.clause}"]
            if ob.text:
                lines.append(ob.text)
            lines.append(f"Due {ob.due.isoformat()}; window {ob.window}")
            lines.append(f"Status {ob.status.value} as of {self.as_of.isoformat()}")
            if ob.performed is not None:
                lines.append(f"Performed {ob.performed.on.isoformat()}")
            event.add("description", "\n".join(lines))
            event.add("categories", [ob.kind])
            event.add("status", _ICAL_STATUS[ob.status])
            event.add("transp", "TRANSPARENT")
            event.add("x-warrantykit-status", ob.status.value)
            event.add("x-warrantykit-due", ob.due.isoformat())
            event.add("x-warrantykit-obligation", ob.id)
            cal.add_component(event)
        data: bytes = cal.to_ical()
        return data

    def explain(self) -> str:
        """Plain-text rendering: header, counts, then each obligation with its reasons."""
        who = f" for asset {self.asset_id}" if self.asset_id else ""
        out = [
            f"Schedule of {self.policy_id} {self.policy_version} ({self.content_hash}){who}",
            f"horizon {self.start.isoformat()}..{self.end.isoformat()}, "
            f"statuses as of {self.as_of.isoformat()}",
        ]
        counts = self.counts()
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        out.append(f"{len(self.obligations)} obligation(s)" + (f": {summary}" if summary else ""))
        for ob in self.obligations:
            out.append("")
            moved = f" (moved from {ob.moved_from.isoformat()})" if ob.moved_from else ""
            out.append(
                f"{ob.due.isoformat()}  {ob.status.value:<12}  {ob.kind}  {ob.id}  "
                f"[{ob.clause}]{moved}"
            )
            out.append(f"    window {ob.window}")
            if ob.text:
                out.append(f"    {ob.text}")
            for r in ob.reasons:
                out.append(f"    - {r.text}  ({r.source})")
        if self.unmatched:
            out.append("")
            out.append("Performed work that satisfied no obligation:")
            for u in self.unmatched:
                out.append(
                    f"    performed[{u.index}] {u.work.obligation} on {u.work.on.isoformat()}: "
                    f"{u.reason}"
                )
        return "\n".join(out) + "\n"
