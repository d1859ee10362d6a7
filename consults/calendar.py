"""iCalendar (RFC 5545) for a scheduled consult. No patient name or diagnosis: only a reference and a
link that opens the consult for those allowed to see it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

PRODID = "-//Maternal Safety//MDT consultations//EN"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded (continuation lines start with a space)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return [line]
    parts, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        limit = 75 if not parts else 74
        if len(current) + len(encoded) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return [parts[0], *(" " + part for part in parts[1:])]


def _param(text: str) -> str:
    """A parameter value (CN=...): quoted, without the characters a quoted value cannot hold."""
    return '"' + "".join(c for c in text if c not in '"\r\n') + '"'


def consult_ics(
    consult,
    *,
    url: str,
    title: str,
    description: str,
    method: str = "REQUEST",
    organizer: tuple[str, str] | None = None,
    attendee: tuple[str, str] | None = None,
) -> str:
    """One VEVENT with the consult's UID and ``calendar_sequence``: a calendar that holds the event
    replaces it when the time or place changes (REQUEST, higher SEQUENCE) and removes it on CANCEL.
    ``organizer`` / ``attendee`` are ``(name, e-mail)`` of staff; nothing about the woman goes in."""
    cancelled = method == "CANCEL" or consult.status == "cancelled"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{consult.external_id}@maternal-safety",
        f"DTSTAMP:{_stamp(timezone.now())}",
        f"DTSTART:{_stamp(consult.scheduled_start)}",
        f"DTEND:{_stamp(consult.scheduled_end)}",
        f"SUMMARY:{_escape(title)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{url}",
        f"SEQUENCE:{consult.calendar_sequence}",
        "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
    ]
    if organizer is not None:
        lines.append(f"ORGANIZER;CN={_param(organizer[0])}:mailto:{organizer[1]}")
    if attendee is not None:
        lines.append(
            f"ATTENDEE;CN={_param(attendee[0])};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:{attendee[1]}"
        )
    if consult.location:
        lines.append(f"LOCATION:{_escape(consult.location)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    folded = [part for line in lines for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
