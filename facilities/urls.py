from django.urls import path

from . import views

app_name = "facilities"

urlpatterns = [
    path("", views.facility_directory, name="directory"),
    path("staff/", views.staff_directory, name="staff"),
    path("<uuid:facility_id>/", views.facility_detail, name="detail"),
]
