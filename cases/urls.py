from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("pregnancies/<uuid:pregnancy_id>/", views.pregnancy_detail, name="pregnancy_detail"),
    path("pregnancies/<uuid:pregnancy_id>/break-glass/", views.break_glass, name="break_glass"),
    path("emergency-accesses/", views.break_glass_reviews, name="break_glass_reviews"),
    path("emergency-accesses/<uuid:access_id>/review/", views.break_glass_review_view, name="break_glass_review"),
]
