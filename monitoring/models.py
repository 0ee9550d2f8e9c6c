"""Metric history: series names, a per-poll journal of changed values, and compacted
blocks of per-series values (raw, then rolled up to 1-minute averages).

Times are epoch seconds as floats: the poller and the charts both speak them, and
packing them into blobs needs no timezone conversion."""

from __future__ import annotations

from django.db import models


class Series(models.Model):
    """One named series of one cluster, e.g. ("topic.messages_per_s", "orders")."""

    # The unique constraint below leads with cluster, so the FK needs no index of its own.
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="series", db_index=False)
    kind = models.CharField(max_length=64)
    key = models.CharField(max_length=255, blank=True)
    unit = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "kind", "key"], name="series_cluster_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class SeriesFrame(models.Model):
    """The journal: one row per poll and shard of series ids holding only the values that
    changed since the previous poll (shard -1: a poll where nothing changed)."""

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+", db_index=False)
    at = models.FloatField()
    shard = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["cluster", "shard", "at"])]

    def __str__(self) -> str:
        return f"frame {self.cluster_id}@{self.at} shard {self.shard}"


class SeriesBlock(models.Model):
    """A compacted stretch of a cluster's history: its tick times and the value of every
    series at the end of it; per-series values live in SeriesChunk, only for series that
    changed inside the block (the others held the value they had before)."""

    class Resolution(models.TextChoices):
        RAW = "raw", "Every poll"
        MINUTE = "1m", "1-minute averages"

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+", db_index=False)
    resolution = models.CharField(max_length=3, choices=Resolution.choices)
    start = models.FloatField()
    end = models.FloatField()
    count = models.IntegerField()
    ticks = models.BinaryField()
    state = models.BinaryField()

    class Meta:
        indexes = [
            models.Index(fields=["cluster", "end"]),
            models.Index(fields=["resolution", "end"]),
        ]

    def __str__(self) -> str:
        return f"{self.resolution} block {self.cluster_id} {self.start}-{self.end}"


class SeriesChunk(models.Model):
    """One series' values inside one block, one per block tick (NaN: no value)."""

    block = models.ForeignKey(SeriesBlock, on_delete=models.CASCADE, related_name="chunks")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="+", db_index=False)
    data = models.BinaryField()

    class Meta:
        # Leads with series: one series' chunks over a range is the hot read.
        constraints = [models.UniqueConstraint(fields=["series", "block"], name="serieschunk_series_block")]

    def __str__(self) -> str:
        return f"chunk {self.series_id} in block {self.block_id}"
