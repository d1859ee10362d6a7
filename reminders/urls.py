from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path(
        "follow-ups/<uuid:follow_up_id>/confirm-lost/",
        views.decide,
        {"decision": "confirm_lost"},
        name="confirm_lost",
    ),
    path(
        "follow-ups/<uuid:follow_up_id>/keep-tracing/",
        views.decide,
        {"decision": "keep_tracing"},
        name="keep_tracing",
    ),
]
