"""Kafka's own rules for topic names (kafka.common.internals.Topic)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LEGAL = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_LENGTH = 249


def validate_topic_name(name: str) -> None:
    """Raise ValidationError with Kafka's reason when `name` is not a legal topic name."""
    if not name:
        raise ValidationError("A topic name cannot be empty.")
    if name in (".", ".."):
        raise ValidationError('A topic name cannot be "." or "..".')
    if len(name) > MAX_LENGTH:
        raise ValidationError(f"A topic name can be at most {MAX_LENGTH} characters long (this one has {len(name)}).")
    if not LEGAL.match(name):
        bad = sorted({c for c in name if not re.match(r"[a-zA-Z0-9._-]", c)})
        shown = " ".join(repr(c) for c in bad[:10])
        raise ValidationError(f"A topic name may only contain letters, digits, '.', '_' and '-'; it contains {shown}.")


def collision_key(name: str) -> str:
    """Names that differ only in '.' versus '_' collide in Kafka's metric names."""
    return name.replace(".", "_")


class TopicNameConverter:
    """URL path converter for legal topic names."""

    regex = r"[a-zA-Z0-9._-]{1,249}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
