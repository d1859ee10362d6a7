"""Outside channels. E-mail uses Django's backend; SMS goes through a pluggable gateway (a logging one
by default; a real provider implements ``send``). Messages carry no patient data beyond a reference."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

log = logging.getLogger("notifications.sms")


class TransientDeliveryError(Exception):
    """Worth retrying with backoff (gateway timeout, SMTP unavailable)."""


class LoggingSmsGateway:
    def send(self, *, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "***", text)


def sms_gateway():
    return import_string(getattr(settings, "SMS_GATEWAY", "notifications.channels.LoggingSmsGateway"))()


def send_email(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, [to], fail_silently=False)
    except OSError as exc:  # SMTP down, DNS…
        raise TransientDeliveryError(str(exc)) from exc
