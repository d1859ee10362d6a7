from rest_framework import serializers

from consults.choices import Attendance, ConsultUrgency, DecisionKind
from consults.models import ActionItem, Addendum, Consult, Opinion, Participant, Signature
from facilities.choices import Specialty


class ParticipantSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    user = serializers.UUIDField(source="user.external_id", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    facility = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "id",
            "user",
            "name",
            "facility",
            "specialty",
            "status",
            "responded_at",
            "attendance",
            "grant_expires_at",
        ]
        read_only_fields = fields

    def get_facility(self, obj) -> str | None:
        return obj.user.facility.name if obj.user.facility_id else None


class OpinionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    author = serializers.CharField(source="author.name", read_only=True)

    class Meta:
        model = Opinion
        fields = ["id", "author", "specialty", "text", "created_at"]
        read_only_fields = fields


class SignatureSerializer(serializers.ModelSerializer):
    signer = serializers.CharField(source="signer.name", read_only=True)

    class Meta:
        model = Signature
        fields = ["signer", "decision_kind", "is_senior", "is_lead", "created_at"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    owner = serializers.UUIDField(source="owner.external_id", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    consult = serializers.UUIDField(source="consult.external_id", read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "consult", "owner", "owner_name", "text", "due", "status", "done_at", "done_note"]
        read_only_fields = fields


class AddendumSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    author = serializers.CharField(source="author.name", read_only=True)

    class Meta:
        model = Addendum
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class ConsultSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    reference = serializers.CharField(read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)
    requesting_facility = serializers.UUIDField(source="requesting_facility.external_id", read_only=True)
    coordinating_facility = serializers.UUIDField(source="coordinating_facility.external_id", read_only=True)
    requested_by = serializers.CharField(source="requested_by.name", read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    opinions = OpinionSerializer(many=True, read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)
    actions = ActionItemSerializer(many=True, read_only=True)
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = Consult
        fields = [
            "id",
            "reference",
            "pregnancy",
            "patient_name",
            "requesting_facility",
            "coordinating_facility",
            "requested_by",
            "urgency",
            "status",
            "question",
            "specialties",
            "case_summary",
            "requested_at",
            "scheduled_start",
            "scheduled_end",
            "location",
            "meeting_url",
            "started_at",
            "recommendations",
            "decision_kind",
            "decision",
            "womans_choice",
            "follow_up_on",
            "concluded_at",
            "cancelled_at",
            "cancel_reason",
            "participants",
            "opinions",
            "signatures",
            "actions",
            "addenda",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        """Termination decisions and sensitive criteria are restricted to users without view_sensitive."""
        return _redact_consult(super().to_representation(instance), instance, self.context)


def _redact_consult(data: dict, instance, context) -> dict:
    from core.sensitive import RESTRICTED, can_view_sensitive
    from risk.selectors import redact_summary

    request = context.get("request")
    user = getattr(request, "user", None)
    if "case_summary" in data:
        data["case_summary"] = redact_summary(data["case_summary"], user, context)
    if instance.decision_kind == "terminate" and not can_view_sensitive(user):
        for key in ("decision", "womans_choice", "recommendations"):
            if data.get(key):
                data[key] = RESTRICTED
    return data


class ConsultListSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    reference = serializers.CharField(read_only=True)
    pregnancy = serializers.UUIDField(source="pregnancy.external_id", read_only=True)
    patient_name = serializers.CharField(source="pregnancy.patient.name", read_only=True)
    risk_color = serializers.CharField(source="pregnancy.risk_color", read_only=True, allow_null=True)

    class Meta:
        model = Consult
        fields = [
            "id",
            "reference",
            "pregnancy",
            "patient_name",
            "risk_color",
            "urgency",
            "status",
            "question",
            "specialties",
            "requested_at",
            "scheduled_start",
            "scheduled_end",
            "location",
        ]
        read_only_fields = fields


class ConsultRequestSerializer(serializers.Serializer):
    pregnancy = serializers.UUIDField()
    urgency = serializers.ChoiceField(choices=ConsultUrgency.choices)
    question = serializers.CharField(max_length=5000)
    specialties = serializers.ListField(
        child=serializers.ChoiceField(choices=Specialty.choices), allow_empty=False, max_length=25
    )
    coordinating_facility = serializers.UUIDField(required=False, allow_null=True)


class ParticipantInputSerializer(serializers.Serializer):
    user = serializers.UUIDField()
    specialty = serializers.ChoiceField(
        choices=Specialty.choices, required=False, allow_blank=True, default=""
    )


class ScheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    meeting_url = serializers.URLField(required=False, allow_blank=True, default="")
    participants = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        max_length=40,
        help_text='User ids, or objects {"user": id, "specialty": code}.',
    )
    allow_double_booking = serializers.BooleanField(required=False, default=False)


class OpinionInputSerializer(serializers.Serializer):
    specialty = serializers.ChoiceField(choices=Specialty.choices)
    text = serializers.CharField(max_length=20000)
    attendance = serializers.ChoiceField(
        choices=Attendance.choices, required=False, allow_blank=True, default=""
    )


class SignInputSerializer(serializers.Serializer):
    decision_kind = serializers.ChoiceField(choices=DecisionKind.choices)
    decision = serializers.CharField(max_length=20000)


class ActionInputSerializer(serializers.Serializer):
    owner = serializers.UUIDField()
    due = serializers.DateField()
    text = serializers.CharField(max_length=5000)


class ConcludeSerializer(serializers.Serializer):
    recommendations = serializers.CharField(max_length=20000)
    decision = serializers.CharField(max_length=20000)
    decision_kind = serializers.ChoiceField(choices=DecisionKind.choices, default=DecisionKind.OTHER)
    womans_choice = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    follow_up_on = serializers.DateField(required=False, allow_null=True)
    actions = ActionInputSerializer(many=True, required=False, default=list, max_length=50)


class ConsultReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class InvitationAnswerSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
