from django.db import models
from django.utils import timezone
from rest_framework import serializers

from cases.api.serializers import _datetime as api_datetime
from core.api.serializers import FieldsKeptPerThread
from referrals.choices import Purpose, Transport, Urgency
from referrals.models import Referral, ReferralComment


class ReferralSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)
    from_facility = serializers.UUIDField(source="from_facility.external_id", read_only=True)
    from_facility_name = serializers.CharField(source="from_facility.name", read_only=True)
    to_facility = serializers.UUIDField(source="to_facility.external_id", read_only=True)
    to_facility_name = serializers.CharField(source="to_facility.name", read_only=True)
    sending_clinician = serializers.CharField(source="sending_clinician.name", read_only=True)
    redirected_to = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "pregnancy",
            "patient_name",
            "from_facility",
            "from_facility_name",
            "to_facility",
            "to_facility_name",
            "direction",
            "urgency",
            "purpose",
            "transfers_management",
            "status",
            "reason",
            "risk_color_at_request",
            "clinical_summary",
            "treatments_given",
            "discharge_summary",
            "sending_clinician",
            "sender_contact",
            "transport",
            "escort",
            "decided_at",
            "requested_at",
            "clock_started_at",
            "accepted_at",
            "closed_at",
            "close_reason",
            "redirected_to",
            "departed_at",
            "arrived_at",
            "completed_at",
            "return_findings",
            "return_treatment",
            "return_disposition",
            "return_recommendations",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        """Sensitive criteria in the clinical summary are restricted to users without view_sensitive."""
        from risk.selectors import redact_summary

        data = super().to_representation(instance)
        request = self.context.get("request")
        data["clinical_summary"] = redact_summary(
            data["clinical_summary"], getattr(request, "user", None), self.context
        )
        return data

    def get_redirected_to(self, obj) -> str | None:
        return str(obj.redirected_to.external_id) if obj.redirected_to_id else None


# The model's date-times among ``ReferralSerializer``'s fields (written as DRF writes them).
_TIMES = frozenset(f.name for f in Referral._meta.concrete_fields if isinstance(f, models.DateTimeField))


def referral_output(referral: Referral, context: dict) -> dict:
    """``ReferralSerializer(referral, context=context).data``, written out: the response of each step of a
    referral. The ModelSerializer built its 34 fields anew for every response, 0.75 ms of a step of
    about ten (issue #9, bench database); ``ReferralSerializer`` still documents the object in OpenAPI
    and serves the list and the reading of one, and a test keeps both outputs equal. Its fields, in its
    order: those below from related rows, the date-times in the current zone, the rest as they stand."""
    from risk.selectors import redact_summary

    zone = timezone.get_current_timezone()
    pregnancy, sender, receiver = referral.pregnancy, referral.from_facility, referral.to_facility
    user = getattr(context.get("request"), "user", None)
    computed = {
        "id": str(referral.external_id),
        "pregnancy": str(pregnancy.external_id),
        "patient_name": pregnancy.patient.name,
        "from_facility": str(sender.external_id),
        "from_facility_name": sender.name,
        "to_facility": str(receiver.external_id),
        "to_facility_name": receiver.name,
        "clinical_summary": redact_summary(referral.clinical_summary, user, context),
        "sending_clinician": referral.sending_clinician.name,
        "redirected_to": str(referral.redirected_to.external_id) if referral.redirected_to_id else None,
    }
    out = {}
    for name in ReferralSerializer.Meta.fields:
        if name in computed:
            out[name] = computed[name]
        elif name in _TIMES:
            value = getattr(referral, name)
            out[name] = None if value is None else api_datetime(value, zone)
        else:
            out[name] = getattr(referral, name)
    return out


class ReferralRequestSerializer(FieldsKeptPerThread, serializers.Serializer):
    pregnancy = serializers.UUIDField()
    to_facility = serializers.UUIDField()
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    reason = serializers.CharField(max_length=5000)
    purpose = serializers.ChoiceField(choices=Purpose.choices, default=Purpose.CARE)
    transfers_management = serializers.BooleanField(required=False, allow_null=True, default=None)
    transport = serializers.ChoiceField(
        choices=Transport.choices, required=False, allow_blank=True, default=""
    )
    escort = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    sender_contact = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    treatments_given = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    discharge_summary = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    decided_at = serializers.DateTimeField(required=False, allow_null=True)


class ReasonSerializer(FieldsKeptPerThread, serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class RedirectSerializer(ReasonSerializer):
    to_facility = serializers.UUIDField()


class DepartSerializer(FieldsKeptPerThread, serializers.Serializer):
    transport = serializers.ChoiceField(
        choices=Transport.choices, required=False, allow_blank=True, default=""
    )
    escort = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CompleteSerializer(FieldsKeptPerThread, serializers.Serializer):
    summary = serializers.CharField(max_length=10000, help_text="The receiver's findings (return summary).")
    disposition = serializers.CharField(max_length=5000)
    treatment = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    recommendations = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class CommentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    author = serializers.CharField(source="author.name", read_only=True)

    class Meta:
        model = ReferralComment
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class SuggestionSerializer(serializers.Serializer):
    facility = serializers.UUIDField(source="facility.external_id")
    name = serializers.CharField(source="facility.name")
    tier = serializers.CharField(source="facility.tier")
    critical_care_level = serializers.CharField(source="facility.critical_care_level", allow_null=True)
    region = serializers.CharField(source="facility.region_code")
    referral_hotline = serializers.CharField(source="facility.referral_hotline")
    reasons = serializers.ListField(child=serializers.CharField())
    missing_capabilities = serializers.ListField(
        source="missing",
        child=serializers.CharField(),
        help_text="Capability codes she needs that this facility lacks (only when no facility has them all).",
    )
