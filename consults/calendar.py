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


def consult_ics(consult, *, url: str, title: str, description: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{consult.external_id}@maternal-safety",
        f"DTSTAMP:{_stamp(timezone.now())}",
        f"DTSTART:{_stamp(consult.scheduled_start)}",
        f"DTEND:{_stamp(consult.scheduled_end)}",
        f"SUMMARY:{_escape(title)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{url}",
        f"SEQUENCE:{int(consult.updated_at.timestamp()) % 100000}",
        "STATUS:CANCELLED" if consult.status == "cancelled" else "STATUS:CONFIRMED",
    ]
    if consult.location:
        lines.append(f"LOCATION:{_escape(consult.location)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    folded = [part for line in lines for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
