"""API base classes: every protected endpoint scopes its queryset through the actor centrally."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.exceptions import ErrorSerializer

ERROR_RESPONSES = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A read viewset whose queryset always comes from a selector given the actor.

    Subclasses implement ``scoped_queryset(actor)``; ``get_queryset`` is final so no endpoint can
    forget the scoping. Objects outside the scope are 404, never 403.
    """

    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def scoped_queryset(self, actor):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped_queryset(self.request.user)

    def filter_queryset(self, queryset):
        """``queryset`` as it is when the request names none of the filterset's filters. django-filter would
        still build and validate a form for it (a deep copy of every field), about half a millisecond a
        list (issue #9); with no filter parameter that form can neither filter nor reject anything."""
        filterset_class = getattr(self, "filterset_class", None)
        if (
            filterset_class is not None
            and list(self.filter_backends) == [DjangoFilterBackend]
            and not any(name in self.request.query_params for name in filterset_class.base_filters)
        ):
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        from core.errors import NotFound
        from core.ids import parse_uuid

        if parse_uuid(self.kwargs.get(self.lookup_url_kwarg)) is None:
            raise NotFound()
        return super().get_object()


class HealthView(APIView):
    """Liveness for load balancers: the web process answers and the database is reachable."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(responses={200: dict}, summary="Health check")
    def get(self, request: Request) -> Response:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})


def api_not_found(request, exception=None):
    """404 for unknown URLs: JSON in the error shape under /api/, the HTML page elsewhere."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"message": _("Not found."), "errors": {}}, status=404)
    return page_not_found(request, exception)
