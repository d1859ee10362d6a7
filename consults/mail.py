"""Invitation e-mails with the calendar file attached (iTIP REQUEST, or CANCEL for a cancelled consult or a
removed participant). They leave the building, so they carry no patient name or diagnosis: only the
consult's reference, time, place and a link that opens the consult for those allowed to see it.

Services queue them with ``transaction.on_commit`` (a rolled-back schedule sends nothing); a failing mail
server is logged and never fails the request — the invitation is also an in-app alert.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .calendar import consult_ics
from .models import Consult, Participant

log = logging.getLogger("consults.mail")

REQUEST, CANCEL = "REQUEST", "CANCEL"


def consult_link(consult: Consult) -> str:
    """The consult page; absolute when ``SITE_URL`` (e.g. ``https://ms.example.org``) is configured."""
    return settings.SITE_URL.rstrip("/") + reverse(
        "consults:detail", kwargs={"consult_id": consult.external_id}
    )


def calendar_title(consult: Consult) -> str:
    return _("MDT consultation %(ref)s") % {"ref": consult.reference}


def calendar_description(url: str) -> str:
    return _("Open the consultation in Maternal Safety: %(url)s") % {"url": url}


def organizer(consult: Consult) -> tuple[str, str]:
    return consult.coordinating_facility.name, settings.DEFAULT_FROM_EMAIL


def _message(consult: Consult, participant: Participant, method: str) -> EmailMessage:
    url = consult_link(consult)
    start = timezone.localtime(consult.scheduled_start)
    end = timezone.localtime(consult.scheduled_end)
    values = {
        "ref": consult.reference,
        "when": f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}",
        "place": " · ".join(p for p in (consult.location, consult.meeting_url) if p) or "—",
        "url": url,
    }
    if method == CANCEL:
        subject = _("Cancelled: MDT consultation %(ref)s") % values
        body = (
            _(
                "The MDT consultation %(ref)s on %(when)s (%(place)s) is cancelled for you.\n\n"
                "The attached calendar file removes it from your calendar.\n%(url)s"
            )
            % values
        )
    else:
        subject = _("Invitation: MDT consultation %(ref)s, %(when)s") % values
        body = (
            _(
                "You are invited to the MDT consultation %(ref)s on %(when)s.\nPlace: %(place)s\n\n"
                "Open the consultation to accept or decline and to read the case: %(url)s\n"
                "The attached calendar file adds it to your calendar (or updates it)."
            )
            % values
        )
    ics = consult_ics(
        consult,
        url=url,
        title=calendar_title(consult),
        description=calendar_description(url),
        method=method,
        organizer=organizer(consult),
        attendee=(participant.user.name, participant.user.email),
    )
    message = EmailMessage(subject=subject, body=body, to=[participant.user.email])
    message.attach(f"{consult.reference}.ics", ics, f"text/calendar; method={method}; charset=utf-8")
    return message


def calendar_emails_send(*, consult_id: int, requests: list[int], cancels: list[int]) -> int:
    """Send REQUEST to the participants ``requests`` and CANCEL to ``cancels`` (participant ids) who have an
    e-mail address. Returns how many were sent; a failure is logged per recipient and never raised."""
    try:
        consult = Consult.objects.select_related("coordinating_facility").get(pk=consult_id)
        participants = list(
            Participant.objects.filter(consult_id=consult_id, pk__in=[*requests, *cancels])
            .select_related("user")
            .order_by("id")
        )
    except Exception:  # the request has committed: nothing may fail it now
        log.exception("MDT calendar e-mails for consult %s could not be prepared", consult_id)
        return 0
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for participant in participants:
            user = participant.user
            if not user.email or not user.is_active or consult.scheduled_start is None:
                continue
            method = CANCEL if participant.pk in cancels else REQUEST
            try:
                _message(consult, participant, method).send(fail_silently=False)
            except Exception:  # SMTP refused, DNS, timeout…: logged; the in-app alert still reaches her
                log.exception(
                    "MDT calendar e-mail (%s) for %s to participant %s failed",
                    method,
                    consult.reference,
                    participant.external_id,
                )
                continue
            sent += 1
    return sent


def calendar_emails_on_commit(*, consult: Consult, requests, cancels) -> None:
    """Queue the e-mails for after the caller's transaction commits (nothing when it rolls back)."""
    requests, cancels = sorted(set(requests) - set(cancels)), sorted(set(cancels))
    if not requests and not cancels:
        return
    transaction.on_commit(
        partial(calendar_emails_send, consult_id=consult.pk, requests=requests, cancels=cancels), robust=True
    )
