"""Case API: read viewsets scoped through access, one command endpoint per workflow step."""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import Action
from audit.choices import AuditAction
from audit.services import audit_record
from cases import services
from cases.access import access_patient_by_id, access_pregnancy_by_id
from cases.filtersets import PregnancyFilterSet
from cases.models import CareTask, Delivery, Pregnancy
from cases.selectors import (
    break_glass_review_list,
    care_task_list,
    patient_list,
    pregnancy_list,
    pregnancy_list_rows,
    search_filter,
)
from core.api.exceptions import ErrorSerializer
from core.api.pagination import KeysetPageNumberPagination
from core.api.params import search_text
from core.api.permissions import HasAction
from core.api.views import ERROR_RESPONSES, AuditedListMixin, ScopedReadOnlyViewSet
from core.errors import NotFound, ValidationFailed
from core.ids import parse_uuid
from facilities.models import Facility

from . import serializers as s

CONFLICT = {409: ErrorSerializer}


def _facility(value, field: str):
    if value is None:
        return None
    facility = Facility.objects.active().filter(external_id=value).first()
    if facility is None:
        raise ValidationFailed(errors={field: [_("Unknown facility.")]})
    return facility


def _user(value, field: str):
    if value is None:
        return None
    user = User.objects.filter(external_id=value, is_active=True).first()
    if user is None:
        raise ValidationFailed(errors={field: [_("Unknown user.")]})
    return user


def _region(code: str | None):
    from facilities.models import Region

    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationFailed(errors={"residence_region": [_("Unknown region code.")]})
    return region


def _audit_list(request, object_type: str, rows: list[dict], patient_key: str) -> None:
    """One audit row per list page read, naming the women shown (not one row per woman)."""
    audit_record(
        actor=request.user,
        action=AuditAction.LIST,
        obj=(object_type, ""),
        patient_ids=[row[patient_key] for row in rows if row.get(patient_key)],
        changes={"count": len(rows), "query": request.query_params.dict()},
    )


# --- patients -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Women visible to the caller",
        parameters=[OpenApiParameter("q", str, description="Name, ID number, phone or record number")],
    ),
    retrieve=extend_schema(
        summary="One woman (identifiers masked)", responses={200: s.PatientSerializer, **ERROR_RESPONSES}
    ),
)
class PatientViewSet(ScopedReadOnlyViewSet):
    serializer_class = s.PatientSerializer
    pagination_class = KeysetPageNumberPagination

    def scoped_queryset(self, actor):
        qs = patient_list(actor=actor)
        query = search_text(self.request.query_params, "q")
        return qs.filter(search_filter(query, prefix="")) if query else qs

    def get_object(self):
        return access_patient_by_id(self.request.user, self.kwargs["id"])

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        _audit_list(request, "cases.patient", response.data["results"], "id")
        return response

    @extend_schema(
        request=s.PatientInputSerializer,
        summary="Register a woman",
        responses={201: s.PatientSerializer, **ERROR_RESPONSES, **CONFLICT},
        description="Bad ID checksum → 400 with errors.id_number; an ID number already registered → "
        "409 with `existing` (the record's id if the caller may see it, else null).",
    )
    def create(self, request: Request) -> Response:
        body = s.PatientInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["residence_region"] = _region(data.get("residence_region"))
        patient = services.patient_register(actor=request.user, **data)
        return Response(s.PatientSerializer(patient, context={"request": request}).data, status=201)

    @extend_schema(
        request=s.PatientUpdateSerializer,
        summary="Change a woman's identity or contacts",
        responses={200: s.PatientSerializer, **ERROR_RESPONSES, **CONFLICT},
    )
    def partial_update(self, request: Request, id=None) -> Response:
        patient = access_patient_by_id(request.user, id, perm="change", audit=False)
        body = s.PatientUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "residence_region" in data:
            data["residence_region"] = _region(data["residence_region"])
        patient = services.patient_update(actor=request.user, patient=patient, **data)
        return Response(s.PatientSerializer(patient, context={"request": request}).data)

    @extend_schema(
        request=s.RevealRequestSerializer,
        responses={200: s.RevealSerializer, **ERROR_RESPONSES},
        summary="Reveal the full identifiers (audited)",
    )
    @action(detail=True, methods=["post"], url_path="reveal-id")
    def reveal_id(self, request: Request, id=None) -> Response:
        patient = access_patient_by_id(request.user, id, audit=False)
        body = s.RevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            services.patient_reveal_id_number(
                actor=request.user, patient=patient, reason=body.validated_data["reason"]
            )
        )

    @extend_schema(
        request=s.MergeRequestSerializer,
        responses={200: s.PatientSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Merge a duplicate record into this one (audited)",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, id=None) -> Response:
        survivor = access_patient_by_id(request.user, id, perm="change", audit=False)
        body = s.MergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        duplicate = access_patient_by_id(
            request.user, body.validated_data["duplicate"], perm="change", audit=False
        )
        continuing = None
        if body.validated_data.get("continuing_pregnancy"):
            continuing = access_pregnancy_by_id(
                request.user, body.validated_data["continuing_pregnancy"], perm="change", audit=False
            )
        survivor = services.patient_merge(
            actor=request.user,
            duplicate=duplicate,
            survivor=survivor,
            continuing_pregnancy=continuing,
            reason=body.validated_data["reason"],
        )
        return Response(s.PatientSerializer(survivor, context={"request": request}).data)

    @extend_schema(
        parameters=[s.DuplicateQuerySerializer],
        responses={200: s.PatientSerializer(many=True), **ERROR_RESPONSES},
        summary="Near-duplicates the caller may see (same name and birth date or phone)",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def duplicates(self, request: Request) -> Response:
        query = s.DuplicateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = services.patient_find_duplicates(actor=request.user, **query.validated_data)
        rows = s.PatientSerializer(found, many=True, context={"request": request}).data
        _audit_list(request, "cases.patient", rows, "id")
        return Response(rows)

    @extend_schema(
        request=s.ConsentInputSerializer,
        responses={201: s.CreatedSerializer, **ERROR_RESPONSES},
        summary="Record a consent",
    )
    @action(detail=True, methods=["post"])
    def consents(self, request: Request, id=None) -> Response:
        patient = access_patient_by_id(request.user, id, perm="change", audit=False)
        body = s.ConsentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_record(actor=request.user, patient=patient, **body.validated_data)
        return Response({"id": str(consent.external_id)}, status=201)


# --- pregnancies ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Pregnancies visible to the caller", responses={200: s.PregnancyListSerializer}
    ),
    retrieve=extend_schema(
        summary="One pregnancy", responses={200: s.PregnancySerializer, **ERROR_RESPONSES}
    ),
)
class PregnancyViewSet(ScopedReadOnlyViewSet):
    serializer_class = s.PregnancySerializer
    filterset_class = PregnancyFilterSet
    pagination_class = KeysetPageNumberPagination

    def get_serializer_class(self):
        return s.PregnancyListSerializer if self.action == "list" else s.PregnancySerializer

    def scoped_queryset(self, actor):
        return pregnancy_list(actor=actor)

    def get_object(self):
        return access_pregnancy_by_id(self.request.user, self.kwargs["id"])

    def _changeable(self, id):
        return access_pregnancy_by_id(self.request.user, id, perm="change", audit=False)

    def _out(self, pregnancy, status_code=200):
        pregnancy = Pregnancy.objects.select_related(
            "patient",
            "managing_facility",
            "booking_facility",
            "follow_up_facility",
            "responsible_clinician",
            "merged_into",
        ).get(pk=pregnancy.pk)
        return Response(
            s.PregnancySerializer(pregnancy, context={"request": self.request}).data, status=status_code
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        # Scoped through ``pregnancy_list_rows`` (each arm of the access scope in index order), lean rows
        # (``values()`` dicts, ``s.pregnancy_list_output``) instead of model instances and a
        # ModelSerializer. Queries: COUNT(*) of the filtered scope, the page (woman and facility
        # joined), the audit row.
        filtered = self.filter_queryset(Pregnancy.objects.all())
        scoped = pregnancy_list_rows(actor=request.user, queryset=filtered, fields=s.PREGNANCY_LIST_VALUES)
        rows = s.pregnancy_list_output(self.paginate_queryset(scoped))
        _audit_list(request, "cases.pregnancy", rows, "patient")
        return self.get_paginated_response(rows)

    @extend_schema(
        request=s.PregnancyCreateSerializer,
        summary="Open a pregnancy for a registered woman",
        responses={201: s.PregnancySerializer, **ERROR_RESPONSES, **CONFLICT},
    )
    def create(self, request: Request) -> Response:
        body = s.PregnancyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        patient = access_patient_by_id(request.user, data.pop("patient"), perm="change", audit=False)
        data["follow_up_facility"] = _facility(data.get("follow_up_facility"), "follow_up_facility")
        pregnancy = services.pregnancy_register(actor=request.user, patient=patient, **data)
        return self._out(pregnancy, 201)

    @extend_schema(
        request=s.PregnancyUpdateSerializer,
        summary="Change care arrangements",
        responses={200: s.PregnancySerializer, **ERROR_RESPONSES},
    )
    def partial_update(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.PregnancyUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "follow_up_facility" in data:
            data["follow_up_facility"] = _facility(data["follow_up_facility"], "follow_up_facility")
        if "responsible_clinician" in data:
            data["responsible_clinician"] = _user(data["responsible_clinician"], "responsible_clinician")
        services.pregnancy_update(actor=request.user, pregnancy=pregnancy, **data)
        return self._out(pregnancy)

    @extend_schema(
        methods=["get"], responses={200: s.VisitSerializer(many=True)}, summary="Visits, newest first"
    )
    @extend_schema(
        methods=["post"],
        request=s.VisitInputSerializer,
        summary="Record a visit",
        responses={201: s.VisitSerializer, **ERROR_RESPONSES, **CONFLICT},
    )
    @action(detail=True, methods=["get", "post"])
    def visits(self, request: Request, id=None) -> Response:
        if request.method == "GET":
            pregnancy = access_pregnancy_by_id(request.user, id)
            visits = pregnancy.visits.select_related("facility", "clinician").order_by("-visited_at")
            return Response([s.visit_output(visit) for visit in visits])
        # The access check reads her locked, in the transaction that records the visit: one read of
        # her row instead of two (issue #9). A refused access or a bad body rolls it back at once.
        with transaction.atomic():
            pregnancy = access_pregnancy_by_id(request.user, id, perm="change", audit=False, lock=True)
            body = s.VisitInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            visit = services.visit_record(
                actor=request.user,
                pregnancy=pregnancy,
                kind=data["kind"],
                visited_at=data.get("visited_at"),
                measurements=body.measurements(),
                confirm_unusual=set(data["confirm_unusual"]),
                notes=data["notes"],
                next_visit_date=data.get("next_visit_date"),
                locked=True,
            )
        return Response(s.visit_output(visit), status=201)

    @extend_schema(
        methods=["get"], responses={200: s.DeliverySerializer, **ERROR_RESPONSES}, summary="The delivery"
    )
    @extend_schema(
        methods=["post"],
        request=s.DeliveryInputSerializer,
        summary="Record the delivery",
        responses={201: s.DeliverySerializer, **ERROR_RESPONSES, **CONFLICT},
    )
    @action(detail=True, methods=["get", "post"])
    def delivery(self, request: Request, id=None) -> Response:
        if request.method == "GET":
            pregnancy = access_pregnancy_by_id(request.user, id)
            delivery = Delivery.objects.filter(pregnancy=pregnancy).prefetch_related("newborns").first()
            if delivery is None:
                raise NotFound(_("No delivery is recorded."))
            return Response(s.DeliverySerializer(delivery).data)
        pregnancy = self._changeable(id)
        body = s.DeliveryInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        outside = data.pop("born_outside_facility")
        facility = (
            None if outside else (_facility(data.pop("facility", None), "facility") or request.user.facility)
        )
        data.pop("facility", None)
        delivery = services.delivery_record(
            actor=request.user, pregnancy=pregnancy, facility=facility, **data
        )
        return Response(s.DeliverySerializer(delivery).data, status=201)

    @extend_schema(
        request=s.DischargeSerializer,
        responses={200: s.DeliverySerializer, **ERROR_RESPONSES},
        summary="Record discharge after delivery",
    )
    @action(detail=True, methods=["post"])
    def discharge(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        delivery = Delivery.objects.filter(pregnancy=pregnancy).first()
        if delivery is None:
            raise NotFound(_("No delivery is recorded."))
        body = s.DischargeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        delivery = services.delivery_discharge(actor=request.user, delivery=delivery, **body.validated_data)
        return Response(s.DeliverySerializer(delivery).data)

    @extend_schema(
        request=s.TransitionSerializer,
        responses={200: s.PregnancySerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Transferred out / lost to follow-up / found again (illegal → 409)",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.pregnancy_transition(
            actor=request.user,
            pregnancy=pregnancy,
            to_status=body.validated_data["status"],
            reason=body.validated_data["reason"],
        )
        return self._out(pregnancy)

    @extend_schema(
        request=s.EndSerializer,
        responses={200: s.PregnancySerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="End without a birth (miscarriage, termination, ectopic)",
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.EndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.pregnancy_end(actor=request.user, pregnancy=pregnancy, **body.validated_data)
        return self._out(pregnancy)

    @extend_schema(
        request=s.DatingSerializer,
        responses={201: s.DatingOutputSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Record a dating (ultrasound, LMP, ART); it becomes the EDD per the redating rules",
    )
    @action(detail=True, methods=["post"])
    def datings(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.DatingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dating = services.pregnancy_redate(actor=request.user, pregnancy=pregnancy, **body.validated_data)
        return Response(s.DatingOutputSerializer(dating).data, status=201)

    @extend_schema(
        request=s.InfectionStatusSerializer,
        responses={200: s.PregnancySerializer, **ERROR_RESPONSES},
        summary="Record HIV / syphilis / hepatitis B status",
    )
    @action(detail=True, methods=["post"], url_path="infection-status")
    def infection_status(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.InfectionStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.pregnancy_set_infection_status(
            actor=request.user, pregnancy=pregnancy, **body.validated_data
        )
        return self._out(pregnancy)

    @extend_schema(
        request=s.NearMissInputSerializer,
        responses={201: s.CreatedSerializer, **ERROR_RESPONSES},
        summary="Record a maternal near miss",
    )
    @action(detail=True, methods=["post"], url_path="near-misses")
    def near_misses(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.NearMissInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = services.near_miss_record(actor=request.user, pregnancy=pregnancy, **body.validated_data)
        return Response({"id": str(event.external_id)}, status=201)

    @extend_schema(
        request=s.MaternalDeathInputSerializer,
        responses={201: s.CreatedSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Record a maternal death",
    )
    @action(detail=True, methods=["post"], url_path="maternal-death")
    def maternal_death(self, request: Request, id=None) -> Response:
        pregnancy = self._changeable(id)
        body = s.MaternalDeathInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        death = services.maternal_death_record(
            actor=request.user, pregnancy=pregnancy, facility=request.user.facility, **body.validated_data
        )
        return Response({"id": str(death.external_id)}, status=201)

    @extend_schema(
        request=s.BreakGlassRequestSerializer,
        responses={201: s.BreakGlassAccessSerializer, **ERROR_RESPONSES},
        summary="Emergency access (break the glass)",
        description="Time-limited read access to a record outside the caller's scope. The reason is "
        "required; the access and every read under it are flagged for review.",
    )
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request: Request, id=None) -> Response:
        body = s.BreakGlassRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = services.break_glass_open(
            actor=request.user, pregnancy_id=id, reason=body.validated_data["reason"]
        )
        return Response(s.BreakGlassAccessSerializer(access).data, status=201)


class EmergencyRegistrationView(APIView):
    """Register an unbooked emergency arrival in one step: patient + pregnancy + first vital signs."""

    @extend_schema(
        request=s.EmergencyRegistrationSerializer,
        responses={201: s.EmergencyRegistrationResultSerializer, **ERROR_RESPONSES},
        summary="Emergency registration",
    )
    def post(self, request: Request) -> Response:
        body = s.EmergencyRegistrationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        vitals = data.pop("vitals", None) or {}
        patient, pregnancy, duplicate = services.emergency_register(actor=request.user, vitals=vitals, **data)
        return Response(
            {
                "patient": str(patient.external_id),
                "pregnancy": str(pregnancy.external_id),
                "record_number": patient.record_number,
                "possible_duplicate": duplicate,
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(list=extend_schema(summary="Open tasks of the caller's facility"))
class CareTaskViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CareTaskSerializer
    audit_object_type = "cases.caretask"
    audit_patient = "pregnancy.patient.external_id"
    queryset = CareTask.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CareTask.objects.none()
        return care_task_list(actor=self.request.user)

    @extend_schema(
        request=None, responses={200: s.CareTaskSerializer, **ERROR_RESPONSES}, summary="Mark done"
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, id=None) -> Response:
        if parse_uuid(id) is None:
            raise NotFound()
        task = self.get_queryset().filter(external_id=id).first()
        if task is None:
            raise NotFound()
        task = services.care_task_complete(actor=request.user, task=task)
        return Response(s.CareTaskSerializer(task).data)


@extend_schema_view(
    list=extend_schema(
        summary="Emergency accesses to review",
        responses={200: s.BreakGlassAccessSerializer(many=True), **ERROR_RESPONSES},
    )
)
class BreakGlassAccessViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.BreakGlassAccessSerializer
    audit_object_type = "cases.breakglassaccess"
    audit_patient = "pregnancy.patient.external_id"
    permission_classes = [IsAuthenticated, HasAction(Action.REVIEW_BREAK_GLASS)]
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return break_glass_review_list(actor=self.request.user)

    @extend_schema(
        request=s.BreakGlassReviewRequestSerializer,
        responses={200: s.BreakGlassAccessSerializer, **ERROR_RESPONSES},
        summary="Record the review of an emergency access",
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, id=None) -> Response:
        body = s.BreakGlassReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = services.break_glass_review(
            actor=request.user, access_id=id, note=body.validated_data["note"]
        )
        return Response(s.BreakGlassAccessSerializer(access).data)
