from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("maternal_safety.api", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/", include("accounts.urls")),
    path("facilities/", include("facilities.urls")),
    path("audit/", include("audit.urls")),
    path("cases/", include("cases.urls")),
    path("risk/", include("risk.urls")),
    path("referrals/", include("referrals.urls")),
    path("consults/", include("consults.urls")),
    path("reminders/", include("reminders.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("core.urls")),
]

handler404 = "core.api.views.api_not_found"
