"""The audit trail: one append-only row per event. The database refuses UPDATE and DELETE on it."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import AuditAction


class AuditEvent(models.Model):
    """Who (user, roles, facility), did what (action) to which object, when, from where, and why.

    Snapshots (username, roles, facility) are copied so that later changes to the user do not rewrite
    history. ``patient_ids`` lists the external ids of the women whose data the event touched, so
    "who looked at this woman" is one indexed query. Never updated, never deleted (trigger in
    migration 0002).

    ``actor`` and ``actor_facility`` have no foreign-key constraint in the database (Django still refuses
    to delete a user or a facility an event names: ``PROTECT``). Nearly every request inserts a row here;
    with the constraints each insert checked the user's and the facility's rows at commit and locked them
    (``FOR KEY SHARE``), so the concurrent requests of one user or of one hospital queued shared locks on
    the same two rows: about a fifth fewer audit inserts a second on two cores (issue #9). The snapshot
    columns already make a row readable without the user.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("when"), db_default=models.functions.Now(), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # audit_actor_time (actor, -occurred_at) serves every look-up by user
        db_constraint=False,  # see the class's docstring
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    actor_roles = ArrayField(
        models.CharField(max_length=32), verbose_name=_("roles"), default=list, blank=True
    )
    actor_facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    patient_ids = ArrayField(models.UUIDField(), verbose_name=_("women concerned"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    changes = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("client"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    needs_review = models.BooleanField(_("flagged for review"), default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            # audit search: by user over time, by object, by woman (GIN on the array: audit/0004).
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action_time"),
            models.Index(
                fields=["needs_review"], name="audit_needs_review", condition=models.Q(needs_review=True)
            ),
            # the pending list merged in small steps, not 300-400 ms of one request (audit/0006)
            GinIndex(fields=["patient_ids"], name="audit_patients", gin_pending_list_limit=256),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}"
