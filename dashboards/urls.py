from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.summary, name="summary"),
    path("export.csv", views.export, name="export"),
    path("women/", views.women, name="women"),
]
