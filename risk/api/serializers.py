from django.utils.translation import get_language
from rest_framework import serializers

from cases.choices import Consciousness, RiskColor
from core.sensitive import RESTRICTED, can_view_sensitive
from risk.choices import Stage
from risk.models import CaseManagement, CatalogueCriterion, ObservationSet, RiskAssessment, RiskReport

COLORS = RiskColor.choices


def criterion_name(criterion) -> str:
    zh = (get_language() or "").lower().startswith("zh")
    return criterion.name_zh if zh else criterion.name_en


def criterion_brief(criterion, user) -> dict:
    """``{"code", "color", "name"}``; sensitive criteria show as restricted to users without
    view_sensitive (the purple flag stays visible through ``purple``)."""
    if getattr(criterion, "sensitive", False) and not can_view_sensitive(user):
        return {"code": RESTRICTED, "color": criterion.color, "name": RESTRICTED}
    return {"code": criterion.code, "color": criterion.color, "name": criterion_name(criterion)}


class GradeRequestSerializer(serializers.Serializer):
    criteria = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=300
    )
    measurements = serializers.DictField(
        required=False,
        default=dict,
        help_text="Fields of the catalogue's rule language, e.g. age_years, sbp_mmhg.",
    )


class CriterionBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    color = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class GradeResultSerializer(serializers.Serializer):
    color = serializers.ChoiceField(choices=COLORS)
    purple = serializers.BooleanField()
    triggered = CriterionBriefSerializer(many=True)
    proposed = CriterionBriefSerializer(many=True)
    unknown = serializers.ListField(child=serializers.CharField())
    screening_positive = serializers.BooleanField()
    complete = serializers.BooleanField()
    catalogue_version = serializers.CharField()


def grade_result_data(result, user) -> dict:
    return {
        "color": result.color,
        "purple": result.purple,
        "triggered": [criterion_brief(c, user) for c in result.triggered],
        "proposed": [criterion_brief(c, user) for c in result.proposed],
        "unknown": [c.code for c in result.unknown],
        "screening_positive": result.screening_positive,
        "complete": result.complete,
        "catalogue_version": result.catalogue_version,
    }


class CatalogueCriterionSerializer(serializers.ModelSerializer):
    color = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    needs_clinical_review = serializers.BooleanField(read_only=True)

    class Meta:
        model = CatalogueCriterion
        fields = [
            "code",
            "stage",
            "color",
            "category",
            "name",
            "name_en",
            "name_zh",
            "rule",
            "confirm",
            "period",
            "confidence",
            "review_note",
            "sensitive",
            "enabled",
            "needs_clinical_review",
        ]
        read_only_fields = fields

    def get_color(self, obj) -> str | None:
        return obj.color or None

    def get_name(self, obj) -> str:
        return criterion_name(obj)


class AssessmentRequestSerializer(GradeRequestSerializer):
    override_color = serializers.ChoiceField(choices=COLORS, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    unticked_reasons = serializers.DictField(
        child=serializers.CharField(max_length=500), required=False, default=dict
    )
    reviewed_categories = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        help_text='Categories reviewed, or ["all"].',
    )
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.ASSESSMENT)


class RiskAssessmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    catalogue_version = serializers.CharField(source="catalogue_version.key", read_only=True)
    assessed_by = serializers.CharField(source="assessed_by.name", read_only=True)
    cosigned_by = serializers.SerializerMethodField()

    class Meta:
        model = RiskAssessment
        fields = [
            "id",
            "pregnancy",
            "stage",
            "status",
            "color",
            "purple",
            "proposed_color",
            "override_color",
            "screening_positive",
            "triggered",
            "proposed",
            "unknown",
            "ticked",
            "unticked",
            "measurements",
            "measurement_sources",
            "complete",
            "provisional",
            "reason",
            "catalogue_version",
            "assessed_by",
            "cosigned_by",
            "confirmed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_cosigned_by(self, obj) -> str | None:
        return obj.cosigned_by.name if obj.cosigned_by_id else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and not can_view_sensitive(user):
            sensitive = self.context.get("sensitive_codes", set())
            for key in ("triggered", "proposed", "unknown", "ticked"):
                data[key] = [RESTRICTED if code in sensitive else code for code in data[key]]
            data["unticked"] = {RESTRICTED if k in sensitive else k: v for k, v in data["unticked"].items()}
        return data


class CosignSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CaseManagementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)
    risk_color = serializers.CharField(source="pregnancy.risk_color", read_only=True, allow_null=True)
    purple = serializers.BooleanField(source="pregnancy.purple", read_only=True)
    manager = serializers.SerializerMethodField()

    class Meta:
        model = CaseManagement
        fields = [
            "id",
            "pregnancy",
            "patient_name",
            "risk_color",
            "purple",
            "status",
            "manager",
            "reasons",
            "plan",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_manager(self, obj) -> str | None:
        return str(obj.manager.external_id) if obj.manager_id else None


class CaseManagementUpdateSerializer(serializers.Serializer):
    manager = serializers.UUIDField(required=False)
    plan = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class RiskReportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)
    facility = serializers.UUIDField(source="facility.external_id", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    on_time = serializers.BooleanField(read_only=True, allow_null=True)
    timeliness_hours = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = RiskReport
        fields = [
            "id",
            "pregnancy",
            "patient_name",
            "color",
            "purple",
            "facility",
            "facility_name",
            "region",
            "status",
            "confirmed_at",
            "due_at",
            "submitted_at",
            "on_time",
            "timeliness_hours",
            "summary",
            "management_plan",
        ]
        read_only_fields = fields


class ReportSubmitSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=10000)
    management_plan = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class ObservationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)

    class Meta:
        model = ObservationSet
        fields = [
            "id",
            "taken_at",
            "temperature_c",
            "sbp_mmhg",
            "dbp_mmhg",
            "pulse_bpm",
            "respiratory_rate",
            "spo2_pct",
            "pain_score",
            "consciousness",
            "scores",
            "yellow_count",
            "red_count",
            "triggered",
            "level",
        ]
        read_only_fields = fields


class ObservationInputSerializer(serializers.Serializer):
    taken_at = serializers.DateTimeField(required=False)
    temperature_c = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    sbp_mmhg = serializers.IntegerField(required=False, allow_null=True)
    dbp_mmhg = serializers.IntegerField(required=False, allow_null=True)
    pulse_bpm = serializers.IntegerField(required=False, allow_null=True)
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    spo2_pct = serializers.IntegerField(required=False, allow_null=True)
    pain_score = serializers.IntegerField(required=False, allow_null=True)
    consciousness = serializers.ChoiceField(choices=Consciousness.choices, required=False, allow_blank=True)
