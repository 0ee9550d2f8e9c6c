"""The stored topic metadata snapshot: one row per topic, refreshed by the poller
and written only where a value changed, so the topic list never asks Kafka."""

from __future__ import annotations

from django.db import models


class TopicMeta(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=249)
    internal = models.BooleanField(default=False)
    partition_count = models.IntegerField(default=0)
    replication_factor = models.IntegerField(default=0)
    # Sum over partitions of the largest replica's size; None when no broker reported it.
    size_bytes = models.BigIntegerField(null=True)
    under_replicated = models.IntegerField(default=0)
    offline = models.IntegerField(default=0)
    # Filled by monitoring from end-offset deltas; None until two polls have been seen.
    messages_per_s = models.FloatField(null=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="topicmeta_cluster_name")]
        # Every sortable column gets an index so a sorted page is an index walk, not a sort of 10k rows.
        indexes = [
            models.Index(fields=["cluster", "internal", "name"]),
            models.Index(fields=["cluster", "partition_count"]),
            models.Index(fields=["cluster", "replication_factor"]),
            models.Index(fields=["cluster", "size_bytes"]),
            models.Index(fields=["cluster", "under_replicated"]),
            models.Index(fields=["cluster", "offline"]),
            models.Index(fields=["cluster", "messages_per_s"]),
        ]

    def __str__(self) -> str:
        return self.name
