"""The stored consumer-group snapshot: one row per group, written only when a value
moved, so the group list never asks Kafka and stays fast at thousands of groups."""

from __future__ import annotations

from django.db import models


class GroupStatus(models.TextChoices):
    OK = "OK", "OK"
    WARN = "WARN", "Warning"
    ERR = "ERR", "Error"
    UNKNOWN = "UNKNOWN", "Unknown"


class GroupMeta(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="groups")
    group_id = models.CharField(max_length=255)
    state = models.CharField(max_length=32, blank=True)
    group_type = models.CharField(max_length=32, blank=True)
    protocol_type = models.CharField(max_length=32, blank=True)
    coordinator_id = models.IntegerField(null=True)
    members = models.IntegerField(null=True)  # None: the group could not be described
    topics = models.JSONField(default=list)
    partitions_committed = models.IntegerField(default=0)
    partitions_no_commit = models.IntegerField(default=0)
    # None when no partition has both a commit and a known end offset.
    total_lag = models.BigIntegerField(null=True)
    max_lag_seconds = models.FloatField(null=True)
    status = models.CharField(max_length=8, choices=GroupStatus.choices, default=GroupStatus.UNKNOWN)
    status_reason = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    # Per partition: [topic, partition, committed|None, end|None, lag|None, lag_seconds|None, status, owner]
    partitions = models.JSONField(default=list)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "group_id"], name="groupmeta_cluster_group")]
        indexes = [
            models.Index(fields=["cluster", "group_id"]),
            models.Index(fields=["cluster", "state"]),
            models.Index(fields=["cluster", "status"]),
            models.Index(fields=["cluster", "total_lag"]),
            models.Index(fields=["cluster", "max_lag_seconds"]),
            models.Index(fields=["cluster", "members"]),
        ]

    def __str__(self) -> str:
        return self.group_id
