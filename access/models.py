"""Who did what: the audit trail of every change and every denied attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Result(models.TextChoices):
        OK = "ok"
        ERROR = "error"
        DENIED = "denied"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    actor = models.CharField(max_length=150, help_text="Username at the time (kept if the user is deleted).")
    token_name = models.CharField(max_length=130, blank=True, help_text="The API token used, if any: name (prefix).")
    source_ip = models.GenericIPAddressField(null=True)
    request_id = models.CharField(max_length=64, blank=True)
    cluster = models.ForeignKey("clusters.Cluster", null=True, on_delete=models.SET_NULL)
    cluster_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.OK)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["cluster", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target} {self.result}"


class Role(models.TextChoices):
    """Roles per cluster, each including the one before it."""

    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"


ROLE_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


class Grant(models.Model):
    """A role on one cluster for a user or a team (a Django auth Group), optionally only on
    topics whose names match a glob: such a grant is viewer on the rest of the cluster."""

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="signalbox_grants"
    )
    team = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="signalbox_grants"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    topic_pattern = models.CharField(
        max_length=249,
        blank=True,
        help_text="Glob on topic names (payments.* ; ? one character; [abc] a set). Empty: the whole cluster.",
    )
    read_messages = models.BooleanField(default=False, help_text="May read message payloads (personal data).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["cluster_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True) | models.Q(user__isnull=True, team__isnull=False)
                ),
                name="grant_user_xor_team",
            ),
            models.UniqueConstraint(fields=["cluster", "user", "topic_pattern"], name="grant_unique_user"),
            models.UniqueConstraint(fields=["cluster", "team", "topic_pattern"], name="grant_unique_team"),
        ]

    def __str__(self) -> str:
        scope = f" on topics {self.topic_pattern}" if self.topic_pattern else ""
        return f"{self.holder}: {self.role}{scope} ({self.cluster_id})"

    @property
    def holder(self) -> str:
        if self.team_id and self.team:
            return f"team {self.team.name}"
        return self.user.get_username() if self.user else "?"


class ApiToken(models.Model):
    """A bearer token for automation. Only a SHA-256 digest of the secret is stored: the
    secret is high-entropy random, so a slow password hash would add nothing."""

    class Scope(models.TextChoices):
        READ = "read", "Read-only"
        WRITE = "write", "Read-write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part that tells tokens apart.")
    digest = models.CharField(max_length=64)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="token_unique_name_per_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
