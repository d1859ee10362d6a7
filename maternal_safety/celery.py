"""Celery application shared by every entry point.

The settings module is chosen by ``DJANGO_SETTINGS_MODULE`` exactly as for ``manage.py`` and WSGI,
so the web process, the worker and beat always run with the same configuration.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maternal_safety.settings.local")

app = Celery("maternal_safety")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
