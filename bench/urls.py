"""URL conf of ``maternal_safety.settings.bench``: the application's, plus the minimal comparison view.

Only the bench settings point ``ROOT_URLCONF`` here; production and tests never mount these URLs.
"""

from django.urls import path

from bench.load.replay import replay_view
from maternal_safety.urls import handler404  # noqa: F401
from maternal_safety.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench-minimal/<slug:name>/<int:variant>/", replay_view, name="bench-minimal"),
    *app_urlpatterns,
]
