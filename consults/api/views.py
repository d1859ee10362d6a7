"""MDT consultation API: consults and their steps, invitations, action items, calendar files."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from cases.access import access_pregnancy_by_id
from consults import services
from consults.access import (
    access_consult_by_id,
    consults_coordinated_by,
    consults_visible_to,
    coordinates_consults,
)
from consults.calendar import consult_ics
from consults.choices import ConsultStatus
from consults.mail import calendar_description, calendar_title, organizer
from consults.models import ActionItem, Consult, Participant
from core.api.exceptions import ErrorSerializer
from core.api.params import choice_list
from core.api.views import ERROR_RESPONSES, AuditedListMixin
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.ids import parse_uuid
from facilities.models import Facility

from . import serializers as s

CONFLICT = {409: ErrorSerializer}
DETAIL_RELATED = ("pregnancy__patient", "requesting_facility", "coordinating_facility", "requested_by")


class ICalendarRenderer(renderers.BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode("utf-8") if isinstance(data, str) else b""


class JsonErrorsMixin:
    """Errors of a calendar request are the usual JSON error body, not an empty calendar file."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if getattr(self.request, "accepted_renderer", None) is None or isinstance(
            self.request.accepted_renderer, ICalendarRenderer
        ):
            self.request.accepted_renderer = renderers.JSONRenderer()
            self.request.accepted_media_type = "application/json"
        return response


def ics_for(request, consult: Consult) -> str:
    """The calendar file to download: same UID and SEQUENCE as the e-mailed one, so importing it updates
    the event; METHOD:CANCEL once the consult is cancelled."""
    if consult.scheduled_start is None:
        raise InvalidTransition(_("This consultation has no time yet."))
    url = request.build_absolute_uri(reverse("consults:detail", kwargs={"consult_id": consult.external_id}))
    return consult_ics(
        consult,
        url=url,
        title=calendar_title(consult),
        description=calendar_description(url),
        method="CANCEL" if consult.status == "cancelled" else "REQUEST",
        organizer=organizer(consult),
    )


def _detail(consult_id) -> Consult:
    return (
        Consult.objects.select_related(*DETAIL_RELATED)
        .prefetch_related(
            "participants__user__facility",
            "opinions__author",
            "signatures__signer",
            "actions__owner",
            "addenda__author",
        )
        .get(pk=consult_id)
    )


def _user(value, field: str) -> User:
    user = (
        User.objects.filter(external_id=parse_uuid(value), is_active=True).first()
        if parse_uuid(value)
        else None
    )
    if user is None:
        raise ValidationFailed(errors={field: [_("Unknown user.")]})
    return user


def _step(summary, request=None):
    return extend_schema(
        request=request, responses={200: s.ConsultSerializer, **ERROR_RESPONSES, **CONFLICT}, summary=summary
    )


@extend_schema_view(
    list=extend_schema(
        summary="MDT consultations the caller may see",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                description="Consultation status (comma-separated): " + ", ".join(ConsultStatus.values),
            ),
            OpenApiParameter("pregnancy", str),
            OpenApiParameter("board", bool, description="Consults coordinated by the caller's facility"),
        ],
    ),
)
class ConsultViewSet(JsonErrorsMixin, AuditedListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ConsultSerializer
    audit_object_type = "consults.consult"
    audit_patient = "pregnancy.patient.external_id"
    queryset = Consult.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    renderer_classes = [renderers.JSONRenderer, ICalendarRenderer]

    def get_serializer_class(self):
        return s.ConsultListSerializer if self.action == "list" else s.ConsultSerializer

    def get_renderers(self):
        """Only one consultation has a calendar form: ``?format=ics`` elsewhere (the list, availability,
        the steps) is an unknown format, 404 like any other."""
        if self.action == "retrieve":
            return super().get_renderers()
        return [renderers.JSONRenderer()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Consult.objects.none()
        user = self.request.user
        params = self.request.query_params
        if params.get("board") == "true":
            # a coordinator's board: her facility's consults, all visible to her (the coordinator arm);
            # anyone else: those of the visible ones that her facility coordinates
            if coordinates_consults(user):
                qs = consults_coordinated_by(user)
            else:
                qs = consults_visible_to(user).filter(coordinating_facility_id=user.facility_id)
        else:
            qs = consults_visible_to(user)
        # The woman and her patient record in two queries of their own, not joined: joined, PostgreSQL
        # joined every visible consult before sorting them for the page (a parallel scan of the consult
        # table, 45 ms for a county hospital at a million pregnancies, against 2 ms for the page alone).
        qs = qs.prefetch_related("pregnancy__patient")
        if statuses := choice_list(params, "status", ConsultStatus):
            qs = qs.filter(status__in=statuses)
        if params.get("pregnancy"):
            uuid = parse_uuid(params["pregnancy"])
            qs = qs.filter(pregnancy__external_id=uuid) if uuid else qs.none()
        return qs.order_by("status", "scheduled_start", "-requested_at")

    @extend_schema(
        responses={
            (200, "application/json"): s.ConsultSerializer,
            (200, "text/calendar"): OpenApiTypes.STR,
            **ERROR_RESPONSES,
        },
        parameters=[OpenApiParameter("format", str, enum=["json", "ics"])],
        summary="One consultation (?format=ics for a calendar event)",
    )
    def retrieve(self, request: Request, id=None) -> Response:
        consult = access_consult_by_id(request.user, id)
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            obj=consult,
            patient_ids=[consult.pregnancy.patient.external_id],
        )
        if request.accepted_renderer.format == "ics":
            return Response(ics_for(request, consult), content_type="text/calendar; charset=utf-8")
        return Response(s.ConsultSerializer(_detail(consult.pk), context={"request": request}).data)

    def _consult(self, id, step: str) -> Consult:
        """The consult (404 without view), then the step's role (403) and state (409) checks, before the
        input serializer (400) runs."""
        consult = access_consult_by_id(self.request.user, id)
        services.consult_check(actor=self.request.user, consult=consult, step=step)
        return consult

    def _out(self, consult, status=200):
        return Response(
            s.ConsultSerializer(_detail(consult.pk), context={"request": self.request}).data, status=status
        )

    @extend_schema(
        request=s.ConsultRequestSerializer,
        responses={201: s.ConsultSerializer, **ERROR_RESPONSES},
        summary="Request an MDT consultation",
    )
    def create(self, request: Request) -> Response:
        body = s.ConsultRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        pregnancy = access_pregnancy_by_id(request.user, data.pop("pregnancy"), audit=False)
        coordinating = None
        if data.get("coordinating_facility"):
            coordinating = Facility.objects.active().filter(external_id=data["coordinating_facility"]).first()
            if coordinating is None:
                raise ValidationFailed(errors={"coordinating_facility": [_("Unknown facility.")]})
        data.pop("coordinating_facility", None)
        consult = services.consult_request(
            actor=request.user, pregnancy=pregnancy, coordinating_facility=coordinating, **data
        )
        return self._out(consult, 201)

    @_step(
        "Schedule (MDT coordinator of the coordinating facility); double-booking → 409 with `conflicts`",
        s.ScheduleSerializer,
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, id=None) -> Response:
        consult = self._consult(id, "schedule")
        body = s.ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        participants = []
        for index, item in enumerate(data["participants"]):
            if isinstance(item, dict):
                participants.append(
                    (_user(item.get("user"), f"participants.{index}"), item.get("specialty") or "")
                )
            else:
                participants.append((_user(item, f"participants.{index}"), ""))
        consult = services.consult_schedule(
            actor=request.user,
            consult=consult,
            start=data["start"],
            end=data["end"],
            participants=participants,
            location=data["location"],
            meeting_url=data["meeting_url"],
            allow_double_booking=data["allow_double_booking"],
        )
        return self._out(consult)

    @extend_schema(
        request=s.OpinionInputSerializer,
        responses={201: s.OpinionSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Record a specialty opinion",
    )
    @action(detail=True, methods=["post"])
    def opinions(self, request: Request, id=None) -> Response:
        consult = self._consult(id, "opinion")
        body = s.OpinionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        opinion = services.opinion_record(actor=request.user, consult=consult, **body.validated_data)
        return Response(s.OpinionSerializer(opinion).data, status=201)

    @extend_schema(
        request=s.SignInputSerializer,
        responses={201: s.SignatureSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Sign the decision text",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, id=None) -> Response:
        consult = self._consult(id, "sign")
        body = s.SignInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        signature = services.consult_sign(actor=request.user, consult=consult, **body.validated_data)
        return Response(s.SignatureSerializer(signature).data, status=201)

    @_step("Conclude (lead physician; no opinion yet → 409)", s.ConcludeSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request: Request, id=None) -> Response:
        consult = self._consult(id, "conclude")
        body = s.ConcludeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["actions"] = [
            {**item, "owner": _user(item["owner"], f"actions.{i}.owner")}
            for i, item in enumerate(data["actions"])
        ]
        consult = services.consult_conclude(actor=request.user, consult=consult, **data)
        return self._out(consult)

    @_step("Cancel with a reason", s.ConsultReasonSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id=None) -> Response:
        consult = self._consult(id, "cancel")
        body = s.ConsultReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.consult_cancel(actor=request.user, consult=consult, **body.validated_data))

    @extend_schema(
        request=s.AddendumSerializer,
        responses={201: s.AddendumSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Addendum to a concluded record",
    )
    @action(detail=True, methods=["post"])
    def addenda(self, request: Request, id=None) -> Response:
        consult = self._consult(id, "addendum")
        body = s.AddendumSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        addendum = services.addendum_add(
            actor=request.user, consult=consult, text=body.validated_data["text"]
        )
        return Response(s.AddendumSerializer(addendum).data, status=201)

    @extend_schema(
        parameters=[
            OpenApiParameter("users", str, description="Comma-separated user ids"),
            OpenApiParameter("start", OpenApiTypes.DATETIME),
            OpenApiParameter("end", OpenApiTypes.DATETIME),
        ],
        responses={
            200: OpenApiResponse(description="Other commitments overlapping the slot"),
            **ERROR_RESPONSES,
        },
        summary="Participants' other commitments (double-booking check)",
    )
    @action(detail=False, methods=["get"])
    def availability(self, request: Request) -> Response:
        from django.utils.dateparse import parse_datetime

        start = parse_datetime(request.query_params.get("start", "") or "")
        end = parse_datetime(request.query_params.get("end", "") or "")
        if start is None or end is None or end <= start:
            raise ValidationFailed(errors={"end": [_("Give a start and a later end.")]})
        users = [_user(value, "users") for value in request.query_params.get("users", "").split(",") if value]
        return Response(services.participant_conflicts(users=users, start=start, end=end))


class ConsultCalendarView(JsonErrorsMixin, APIView):
    """``GET /api/v1/consults/{id}.ics``: the consultation as an iCalendar event (no patient data)."""

    renderer_classes = [ICalendarRenderer, renderers.JSONRenderer]

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiTypes.STR, **ERROR_RESPONSES},
        summary="Calendar file of a consultation",
    )
    def get(self, request: Request, id) -> HttpResponse:
        consult = access_consult_by_id(request.user, id)
        return HttpResponse(ics_for(request, consult), content_type="text/calendar; charset=utf-8")


class InvitationViewSet(viewsets.GenericViewSet):
    """Each invitee accepts or declines her own invitation."""

    queryset = Participant.objects.none()
    serializer_class = s.ParticipantSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def _mine(self, id) -> Participant:
        uuid = parse_uuid(id)
        participant = (
            Participant.objects.filter(external_id=uuid, user=self.request.user)
            .select_related("consult__pregnancy__patient", "user")
            .first()
            if uuid
            else None
        )
        if participant is None:
            raise NotFound()
        return participant

    @extend_schema(
        request=None,
        responses={200: s.ParticipantSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Accept an invitation",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, id=None) -> Response:
        participant = services.invitation_respond(actor=request.user, participant=self._mine(id), accept=True)
        return Response(s.ParticipantSerializer(participant).data)

    @extend_schema(
        request=s.InvitationAnswerSerializer,
        responses={200: s.ParticipantSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Decline an invitation",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, id=None) -> Response:
        body = s.InvitationAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        participant = services.invitation_respond(
            actor=request.user, participant=self._mine(id), accept=False, reason=body.validated_data["reason"]
        )
        return Response(s.ParticipantSerializer(participant).data)


@extend_schema_view(list=extend_schema(summary="My open MDT action items (worklist)"))
class ActionItemViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ActionItemSerializer
    audit_object_type = "consults.actionitem"
    audit_patient = "consult.pregnancy.patient.external_id"
    queryset = ActionItem.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ActionItem.objects.none()
        return (
            ActionItem.objects.filter(owner=self.request.user, status="open")
            .select_related("consult__pregnancy__patient", "owner")
            .order_by("due", "id")
        )

    @extend_schema(
        request=s.NoteSerializer,
        responses={200: s.ActionItemSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Mark an action item done",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, id=None) -> Response:
        uuid = parse_uuid(id)
        item = (
            ActionItem.objects.filter(external_id=uuid, owner=request.user)
            .select_related("consult__pregnancy__patient")
            .first()
            if uuid
            else None
        )
        if item is None:
            raise NotFound()
        body = s.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.action_complete(actor=request.user, action=item, note=body.validated_data["note"])
        return Response(s.ActionItemSerializer(item).data)
