"""Risk API: stateless grading, the catalogue, assessments per pregnancy, co-signature, case
management, supervisor reports and early-warning observations."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from cases.access import access_pregnancy_by_id, pregnancies_visible_to
from core.api.exceptions import ErrorSerializer
from core.api.params import choice_list
from core.api.views import ERROR_RESPONSES, AuditedListMixin
from core.errors import NotFound, ValidationFailed
from core.ids import parse_uuid
from risk import services
from risk.choices import ReportStatus
from risk.models import CaseManagement, CatalogueCriterion, ObservationSet, RiskAssessment, RiskReport
from risk.selectors import (
    case_management_list,
    catalogue_for_actor,
    report_list,
    sensitive_codes,
)

from . import serializers as s

CONFLICT = {409: ErrorSerializer}


class GradeView(APIView):
    """Stateless grading: uses only what the request sends; stores nothing."""

    @extend_schema(
        request=s.GradeRequestSerializer,
        responses={200: s.GradeResultSerializer, **ERROR_RESPONSES},
        summary="Grade (stateless)",
        description="Unknown criterion codes or measurement fields, or values of the wrong type → 400 "
        "naming them. `triggered` never contains the green pseudo-criterion.",
    )
    def post(self, request: Request) -> Response:
        body = s.GradeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _version, result = services.risk_grade(
            actor=request.user,
            criteria=body.validated_data["criteria"],
            measurements=body.validated_data["measurements"],
        )
        return Response(s.grade_result_data(result, request.user))


class CriteriaView(APIView):
    """The catalogue that applies to the caller's facility (or region)."""

    @extend_schema(responses={200: s.CatalogueCriterionSerializer(many=True)}, summary="Current catalogue")
    def get(self, request: Request) -> Response:
        version, _compiled = catalogue_for_actor(request.user)
        rows = CatalogueCriterion.objects.filter(version=version).order_by("position")
        data = s.CatalogueCriterionSerializer(rows, many=True).data
        response = Response(data)
        response["X-Catalogue-Version"] = version.key
        return response


def _assessment_context(request) -> dict:
    return {"request": request, "sensitive_codes": sensitive_codes()}


class PregnancyAssessmentsView(APIView):
    """Assessments of one pregnancy (newest first), and grading it."""

    @extend_schema(
        responses={200: s.RiskAssessmentSerializer(many=True), **ERROR_RESPONSES},
        summary="Risk assessments of a pregnancy",
    )
    def get(self, request: Request, id) -> Response:
        pregnancy = access_pregnancy_by_id(request.user, id)
        rows = (
            RiskAssessment.objects.filter(pregnancy=pregnancy)
            .select_related("catalogue_version", "assessed_by", "cosigned_by", "pregnancy")
            .order_by("-created_at")
        )
        return Response(
            s.RiskAssessmentSerializer(rows, many=True, context=_assessment_context(request)).data
        )

    @extend_schema(
        request=s.AssessmentRequestSerializer,
        responses={201: s.RiskAssessmentSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Grade a pregnancy",
        description="Measurements come from the record (age, BMI, GA, fetal count, latest vitals and "
        "labs); the request may add values (recorded as such). A downgrade, or an override below "
        "the triggered criteria, is created as `pending_cosign` and changes nothing until a senior "
        "co-signs. Green needs `complete` (no unknown criteria and every category reviewed).",
    )
    def post(self, request: Request, id) -> Response:
        pregnancy = access_pregnancy_by_id(request.user, id, perm="change", audit=False)
        body = s.AssessmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assessment = services.risk_assessment_create(
            actor=request.user,
            pregnancy=pregnancy,
            criteria=data["criteria"],
            measurements=data["measurements"],
            override_color=data["override_color"],
            reason=data["reason"],
            unticked_reasons=data["unticked_reasons"],
            reviewed_categories=data["reviewed_categories"],
            stage=data["stage"],
        )
        return Response(
            s.RiskAssessmentSerializer(assessment, context=_assessment_context(request)).data, status=201
        )


class AssessmentCosignView(APIView):
    @extend_schema(
        request=s.CosignSerializer,
        responses={200: s.RiskAssessmentSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Senior co-signature of a pending grade",
    )
    def post(self, request: Request, id) -> Response:
        assessment = _assessment_by_id(request.user, id)
        access_pregnancy_by_id(request.user, assessment.pregnancy.external_id, perm="change", audit=False)
        body = s.CosignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment = services.risk_assessment_cosign(
            actor=request.user, assessment=assessment, **body.validated_data
        )
        return Response(s.RiskAssessmentSerializer(assessment, context=_assessment_context(request)).data)


def _assessment_by_id(actor, value) -> RiskAssessment:
    uuid = parse_uuid(value)
    assessment = (
        RiskAssessment.objects.filter(external_id=uuid, pregnancy__in=pregnancies_visible_to(actor))
        .select_related("pregnancy", "catalogue_version", "assessed_by")
        .first()
        if uuid
        else None
    )
    if assessment is None:
        raise NotFound()
    return assessment


@extend_schema_view(list=extend_schema(summary="Women under case management that the caller may see"))
class CaseManagementViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CaseManagementSerializer
    audit_object_type = "risk.casemanagement"
    audit_patient = "pregnancy.patient.external_id"
    queryset = CaseManagement.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseManagement.objects.none()
        qs = case_management_list(actor=self.request.user)
        if self.request.query_params.get("mine") == "true":
            qs = qs.filter(manager=self.request.user)
        return qs

    @extend_schema(
        request=s.CaseManagementUpdateSerializer,
        responses={200: s.CaseManagementSerializer, **ERROR_RESPONSES},
        summary="Assign the case manager or update the plan",
    )
    def partial_update(self, request: Request, id=None) -> Response:
        case = self._case(id)
        access_pregnancy_by_id(request.user, case.pregnancy.external_id, perm="change", audit=False)
        body = s.CaseManagementUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        manager = None
        if "manager" in body.validated_data:
            manager = User.objects.filter(external_id=body.validated_data["manager"], is_active=True).first()
            if manager is None:
                raise ValidationFailed(errors={"manager": [_("Unknown user.")]})
        case = services.case_management_update(
            actor=request.user, case=case, manager=manager, plan=body.validated_data.get("plan")
        )
        return Response(s.CaseManagementSerializer(case).data)

    def _case(self, id) -> CaseManagement:
        uuid = parse_uuid(id)
        case = self.get_queryset().filter(external_id=uuid).first() if uuid else None
        if case is None:
            raise NotFound()
        return case


@extend_schema_view(
    list=extend_schema(
        summary="Grading reports: a supervisor's inbox, a facility's outbox",
        parameters=[
            OpenApiParameter(
                "status", str, description="Report status: due, submitted, cancelled (comma-separated)"
            )
        ],
    )
)
class RiskReportViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.RiskReportSerializer
    audit_object_type = "risk.riskreport"
    audit_patient = "pregnancy.patient.external_id"
    queryset = RiskReport.objects.none()
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RiskReport.objects.none()
        qs = report_list(actor=self.request.user)
        if statuses := choice_list(self.request.query_params, "status", ReportStatus):
            qs = qs.filter(status__in=statuses)
        return qs

    @extend_schema(
        request=s.ReportSubmitSerializer,
        responses={200: s.RiskReportSerializer, **ERROR_RESPONSES, **CONFLICT},
        summary="Submit a grading report",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, id=None) -> Response:
        uuid = parse_uuid(id)
        report = self.get_queryset().filter(external_id=uuid).first() if uuid else None
        if report is None:
            raise NotFound()
        body = s.ReportSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.risk_report_submit(actor=request.user, report=report, **body.validated_data)
        return Response(s.RiskReportSerializer(report).data)


class ObservationsView(APIView):
    """MEOWS observation chart of one pregnancy."""

    @extend_schema(
        responses={200: s.ObservationSerializer(many=True), **ERROR_RESPONSES}, summary="Observation chart"
    )
    def get(self, request: Request, id) -> Response:
        pregnancy = access_pregnancy_by_id(request.user, id)
        rows = ObservationSet.objects.filter(pregnancy=pregnancy).order_by("-taken_at")[:500]
        return Response(s.ObservationSerializer(rows, many=True).data)

    @extend_schema(
        request=s.ObservationInputSerializer,
        responses={201: s.ObservationSerializer, **ERROR_RESPONSES},
        summary="Record observations (scored with MEOWS; a trigger raises an urgent alert)",
    )
    def post(self, request: Request, id) -> Response:
        pregnancy = access_pregnancy_by_id(request.user, id, perm="change", audit=False)
        body = s.ObservationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        taken_at = data.pop("taken_at", None)
        observation = services.observation_record(
            actor=request.user, pregnancy=pregnancy, values=data, taken_at=taken_at
        )
        return Response(s.ObservationSerializer(observation).data, status=201)
