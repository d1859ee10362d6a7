"""WSGI entry point (gunicorn ``maternal_safety.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maternal_safety.settings.production")

application = get_wsgi_application()
