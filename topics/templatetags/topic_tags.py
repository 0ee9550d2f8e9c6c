"""Template helpers for lists: human sizes, sort toggles, query strings."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def bytes_human(value: int | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


@register.filter
def sort_toggle(key: str, current: str) -> str:
    """The sort parameter a column header links to: flips direction when already sorted by it."""
    if current == key:
        return f"-{key}"
    if current == f"-{key}":
        return key
    # Numbers are most useful largest first; names A to Z.
    return key if key == "name" else f"-{key}"


@register.simple_tag
def query_with(params: QueryDict, **changes: Any) -> str:
    """The current query string with some parameters replaced."""
    query = params.copy()
    for key, value in changes.items():
        query[key] = str(value)
    return query.urlencode()
