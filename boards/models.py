"""Lag dashboards: a user's named boards of pinned consumer groups and topics, each
reachable read-only by anyone logged in through its unguessable share token."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

NAME_MAX = 100
MAX_ITEMS = 50


def new_share_token() -> str:
    """128 random bits, url-safe: the link is the only way to find someone else's board."""
    return secrets.token_urlsafe(16)


class Board(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=NAME_MAX)
    share_token = models.CharField(max_length=43, unique=True, default=new_share_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("name"), "owner", name="board_owner_name_ci")]
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class BoardItem(models.Model):
    class Kind(models.TextChoices):
        GROUP = "group", "Consumer group"
        TOPIC = "topic", "Topic"

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    # Removing a cluster from Signalbox removes its pins too.
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="board_items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=255)  # group id or topic name
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "cluster", "kind", "name"], name="boarditem_unique_pin"),
        ]
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
