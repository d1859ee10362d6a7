from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bell/", views.bell, name="bell"),
    path("operations/", views.operations, name="operations"),
    path("<uuid:item_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<uuid:item_id>/read/", views.mark_read, name="mark_read"),
]
