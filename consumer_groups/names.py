"""Consumer group ids in URLs."""

from __future__ import annotations


class GroupIdConverter:
    """Any group id without a slash (Kafka allows nearly any string; '/' cannot be a
    path segment). Groups whose id contains '/' are reachable through the API's
    ?group= parameter only."""

    regex = r"[^/]{1,255}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
