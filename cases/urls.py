from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("emergency/", views.emergency, name="emergency"),
    path("pregnancies/<uuid:pregnancy_id>/", views.pregnancy_detail, name="pregnancy_detail"),
    path("pregnancies/<uuid:pregnancy_id>/reveal-id/", views.reveal_id_number, name="reveal_id_number"),
    path("pregnancies/<uuid:pregnancy_id>/print/", views.pregnancy_print, name="pregnancy_print"),
    path("pregnancies/<uuid:pregnancy_id>/visits/new/", views.visit_create, name="visit_create"),
    path("pregnancies/<uuid:pregnancy_id>/delivery/new/", views.delivery_create, name="delivery_create"),
    path("pregnancies/<uuid:pregnancy_id>/datings/new/", views.dating_create, name="dating_create"),
    path("pregnancies/<uuid:pregnancy_id>/status/", views.transition, name="transition"),
    path(
        "pregnancies/<uuid:pregnancy_id>/tasks/<uuid:task_id>/done/",
        views.care_task_done,
        name="care_task_done",
    ),
    path("pregnancies/<uuid:pregnancy_id>/break-glass/", views.break_glass, name="break_glass"),
    path("emergency-accesses/", views.break_glass_reviews, name="break_glass_reviews"),
    path(
        "emergency-accesses/<uuid:access_id>/review/",
        views.break_glass_review_view,
        name="break_glass_review",
    ),
]
