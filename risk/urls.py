from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("pregnancies/<uuid:pregnancy_id>/grade/", views.grade, name="grade"),
    path("pregnancies/<uuid:pregnancy_id>/grade/preview/", views.grade_preview, name="grade_preview"),
    path("pregnancies/<uuid:pregnancy_id>/history/", views.history, name="history"),
    path("pregnancies/<uuid:pregnancy_id>/observations/", views.observations, name="observations"),
    path("assessments/<uuid:assessment_id>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<uuid:assessment_id>/cosign/", views.assessment_cosign, name="assessment_cosign"),
    path("case-management/", views.case_management, name="case_management"),
    path("case-management/<uuid:case_id>/", views.case_management_update, name="case_management_update"),
    path("reports/", views.reports, name="reports"),
    path("reports/<uuid:report_id>/submit/", views.report_submit, name="report_submit"),
]
