from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.summary, name="summary"),
    path("export.csv", views.export, name="export"),
    path("export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("women/", views.women, name="women"),
]
