from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from accounts.permissions import Action
from core.api.permissions import HasAction
from rest_framework.request import Request
from rest_framework.response import Response

from audit.choices import AuditAction
from audit.services import audit_record
from cases.access import access_pregnancy_by_id
from cases.selectors import break_glass_review_list, pregnancy_list
from cases.services import break_glass_open, break_glass_review
from core.api.views import ERROR_RESPONSES, ScopedReadOnlyViewSet

from .serializers import (
    BreakGlassAccessSerializer,
    BreakGlassRequestSerializer,
    BreakGlassReviewRequestSerializer,
    PregnancySerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Pregnancies visible to the caller"),
    retrieve=extend_schema(summary="One pregnancy", responses={200: PregnancySerializer, **ERROR_RESPONSES}),
)
class PregnancyViewSet(ScopedReadOnlyViewSet):
    serializer_class = PregnancySerializer

    def scoped_queryset(self, actor):
        return pregnancy_list(actor=actor)

    def get_object(self):
        return access_pregnancy_by_id(self.request.user, self.kwargs["id"])

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        results = response.data.get("results", [])
        # One audit row per page read, listing the women shown (not one row per woman).
        audit_record(
            actor=request.user,
            action=AuditAction.LIST,
            obj=("cases.pregnancy", ""),
            patient_ids=[row["patient"] for row in results],
            changes={"pregnancies": [str(row["id"]) for row in results], "query": request.query_params.dict()},
        )
        return response

    @extend_schema(
        request=BreakGlassRequestSerializer,
        responses={201: BreakGlassAccessSerializer, **ERROR_RESPONSES},
        summary="Emergency access (break the glass)",
        description="Time-limited read access to a record outside the caller's scope. The reason is "
        "required; the access and every read under it are flagged for review.",
    )
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request: Request, id=None) -> Response:
        body = BreakGlassRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = break_glass_open(actor=request.user, pregnancy_id=id, reason=body.validated_data["reason"])
        return Response(BreakGlassAccessSerializer(access).data, status=201)


@extend_schema_view(list=extend_schema(summary="Emergency accesses to review"))
class BreakGlassAccessViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BreakGlassAccessSerializer
    permission_classes = [IsAuthenticated, HasAction(Action.REVIEW_BREAK_GLASS)]
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return break_glass_review_list(actor=self.request.user)

    @extend_schema(
        request=BreakGlassReviewRequestSerializer,
        responses={200: BreakGlassAccessSerializer, **ERROR_RESPONSES},
        summary="Record the review of an emergency access",
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, id=None) -> Response:
        body = BreakGlassReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = break_glass_review(actor=request.user, access_id=id, note=body.validated_data["note"])
        return Response(BreakGlassAccessSerializer(access).data)
