"""Parsing list query parameters (?sort=-size&offset=&limit=) the same way for every
list page and endpoint; each problem is recorded under the parameter's name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def int_param(params: Any, key: str, *, default: int, low: int, high: int, errors: dict[str, str]) -> int:
    raw = params.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors[key] = f"'{raw}' is not a whole number."
        return default
    if not low <= value <= high:
        errors[key] = f"Must be between {low} and {high}."
    return value


def sort_param(params: Any, *, allowed: Iterable[str], default: str, errors: dict[str, str]) -> tuple[str, bool]:
    """(column, descending) from ?sort=column or ?sort=-column."""
    raw = str(params.get("sort") or default)
    column = raw.lstrip("-")
    names = list(allowed)
    if column not in names:
        errors["sort"] = f"Unknown sort '{column}'; use one of {', '.join(names)} (prefix '-' for descending)."
        column = default
    return column, raw.startswith("-")
