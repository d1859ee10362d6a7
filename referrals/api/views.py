"""Referral API: list / detail, one command endpoint per transition, suggestions, comments.
Check order: no access → 404, wrong side → 403, illegal state → 409."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action, has_action
from audit.choices import AuditAction
from audit.services import audit_record
from cases.access import access_pregnancy_by_id
from core.api.exceptions import ErrorSerializer
from core.api.params import choice_list
from core.api.views import ERROR_RESPONSES, AuditedListMixin
from core.errors import PermissionDenied, ValidationFailed
from core.rows import Joined, PagedByIds
from facilities.models import Facility
from referrals import services
from referrals.access import STEP_NEEDS, access_referral_by_id, referrals_visible_to
from referrals.choices import ReferralStatus
from referrals.models import Referral
from referrals.selectors import inbox_order, incoming, outgoing, referral_suggestions

from . import serializers as s

CONFLICT = {409: ErrorSerializer}


# An active facility by its public id: a fixed statement, where the ORM compiled one on every request.
_ACTIVE_FACILITY = Joined(Facility)


def _facility(value, field="to_facility"):
    found = _ACTIVE_FACILITY.fetch("t0.external_id = %s AND t0.is_active", [value])
    if found is None:
        raise ValidationFailed(errors={field: [_("Unknown facility.")]})
    return found[0]


def _step(summary: str, request=None):
    return extend_schema(
        request=request, responses={200: s.ReferralSerializer, **ERROR_RESPONSES, **CONFLICT}, summary=summary
    )


@extend_schema_view(
    list=extend_schema(
        summary="Referrals the caller may see",
        parameters=[
            OpenApiParameter("box", str, enum=["incoming", "outgoing"]),
            OpenApiParameter(
                "status",
                str,
                description="Referral status (comma-separated): " + ", ".join(ReferralStatus.values),
            ),
            OpenApiParameter("pregnancy", str),
        ],
    ),
    retrieve=extend_schema(summary="One referral", responses={200: s.ReferralSerializer, **ERROR_RESPONSES}),
)
class ReferralViewSet(AuditedListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ReferralSerializer
    audit_object_type = "referrals.referral"
    audit_patient = "pregnancy.patient.external_id"
    queryset = Referral.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        user = self.request.user
        box = self.request.query_params.get("box")
        # The facility's inboxes only for staff who take part in referrals (the selectors check the role).
        if box == "incoming":
            qs = incoming(actor=user)
        elif box == "outgoing":
            qs = outgoing(actor=user)
        else:
            qs = referrals_visible_to(user)
        # The woman, her record and the redirect target in queries of their own, not joined: joined,
        # PostgreSQL read every referral in a parallel scan before sorting them (each row testing her
        # grants' keys one by one: 360 ms for a city hospital at a million pregnancies, against 10 ms for
        # the referrals alone). The facilities and the sender are a few rows, joined.
        qs = qs.select_related("from_facility", "to_facility", "sending_clinician").prefetch_related(
            "pregnancy__patient", "redirected_to"
        )
        if statuses := choice_list(self.request.query_params, "status", ReferralStatus):
            qs = qs.filter(status__in=statuses)
        pregnancy = self.request.query_params.get("pregnancy")
        if pregnancy:
            from core.ids import parse_uuid

            qs = (
                qs.filter(pregnancy__external_id=parse_uuid(pregnancy))
                if parse_uuid(pregnancy)
                else qs.none()
            )
        return inbox_order(qs)

    def paginate_queryset(self, queryset):
        """A page ranked on the referrals alone, then read with its facilities, sender and woman
        (``PagedByIds``)."""
        return super().paginate_queryset(PagedByIds(queryset))

    def get_object(self):
        referral = access_referral_by_id(self.request.user, self.kwargs["id"])
        audit_record(
            actor=self.request.user,
            action=AuditAction.READ,
            obj=referral,
            patient_ids=[referral.pregnancy.patient.external_id],
        )
        return referral

    def _referral(self, id):
        return access_referral_by_id(self.request.user, id, related=STEP_NEEDS)

    def _out(self, referral, status=200):
        """The referral as the step left it: the services refresh its row after every change, and a
        relation the step changed is read when the serializer needs it (reading it again with all its
        relations joined cost a step about 8 ms; issue #9)."""
        return Response(s.referral_output(referral, {"request": self.request}), status=status)

    @extend_schema(
        request=s.ReferralRequestSerializer,
        responses={201: s.ReferralSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Refer a pregnancy (a second open referral → 409)",
    )
    def create(self, request: Request) -> Response:
        body = s.ReferralRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        pregnancy = access_pregnancy_by_id(request.user, data.pop("pregnancy"), perm="change", audit=False)
        to_facility = _facility(data.pop("to_facility"))
        referral = services.referral_request(
            actor=request.user, pregnancy=pregnancy, to_facility=to_facility, **data
        )
        return self._out(referral, 201)

    @_step("Accept (receiving side)")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, id=None) -> Response:
        return self._out(services.referral_accept(actor=request.user, referral=self._referral(id)))

    @_step(
        "Decline with a reason (receiving side; a critical care centre may not refuse → 409)",
        s.ReasonSerializer,
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, id=None) -> Response:
        referral = self._referral(id)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.referral_decline(actor=request.user, referral=referral, **body.validated_data)
        )

    @_step("Redirect to another facility (receiving side; creates a linked referral)", s.RedirectSerializer)
    @action(detail=True, methods=["post"])
    def redirect(self, request: Request, id=None) -> Response:
        referral = self._referral(id)
        body = s.RedirectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = _facility(body.validated_data["to_facility"])
        return self._out(
            services.referral_redirect(
                actor=request.user,
                referral=referral,
                to_facility=target,
                reason=body.validated_data["reason"],
            )
        )

    @_step("Cancel with a reason (sending side)", s.ReasonSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id=None) -> Response:
        referral = self._referral(id)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.referral_cancel(actor=request.user, referral=referral, **body.validated_data)
        )

    @_step("Record departure (sending side)", s.DepartSerializer)
    @action(detail=True, methods=["post"])
    def depart(self, request: Request, id=None) -> Response:
        referral = self._referral(id)
        body = s.DepartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.referral_depart(actor=request.user, referral=referral, **body.validated_data)
        )

    @_step("Record arrival (receiving side)")
    @action(detail=True, methods=["post"])
    def arrive(self, request: Request, id=None) -> Response:
        return self._out(services.referral_arrive(actor=request.user, referral=self._referral(id)))

    @_step("Complete with the return summary (receiving side)", s.CompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, id=None) -> Response:
        referral = self._referral(id)
        body = s.CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return self._out(
            services.referral_complete(
                actor=request.user,
                referral=referral,
                findings=data["summary"],
                disposition=data["disposition"],
                treatment=data["treatment"],
                recommendations=data["recommendations"],
            )
        )

    @extend_schema(
        methods=["get"],
        responses={200: s.CommentSerializer(many=True), **ERROR_RESPONSES},
        summary="Discussion thread",
    )
    @extend_schema(
        methods=["post"],
        request=s.CommentSerializer,
        responses={201: s.CommentSerializer, **ERROR_RESPONSES},
        summary="Add a message",
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, id=None) -> Response:
        referral = self._referral(id)
        if request.method == "GET":
            # the two sides' messages about her: a read of her record
            audit_record(
                actor=request.user,
                action=AuditAction.READ,
                obj=referral,
                patient_ids=[referral.pregnancy.patient.external_id],
                changes={"part": "comments"},
            )
            return Response(s.CommentSerializer(referral.comments.select_related("author"), many=True).data)
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.referral_comment_add(
            actor=request.user, referral=referral, text=body.validated_data["text"]
        )
        return Response(s.CommentSerializer(comment).data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("pregnancy", str, required=True)],
        responses={200: s.SuggestionSerializer(many=True), **ERROR_RESPONSES},
        summary="Ranked facilities that can take her, with the reason each fits (staff who may refer)",
    )
    @action(detail=False, methods=["get"])
    def suggestions(self, request: Request) -> Response:
        pregnancy = access_pregnancy_by_id(request.user, request.query_params.get("pregnancy"), audit=False)
        if request.user.facility_id is None or not has_action(request.user, Action.REQUEST_REFERRAL):
            raise PermissionDenied(_("Your role does not allow referring."))
        return Response(
            s.SuggestionSerializer(
                referral_suggestions(actor=request.user, pregnancy=pregnancy), many=True
            ).data
        )
