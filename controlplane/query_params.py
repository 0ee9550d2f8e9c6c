"""Parsing list query parameters (?sort=-size&offset=&limit=) the same way for every
list page and endpoint; each problem is recorded under the parameter's name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError

Q = TypeVar("Q")


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


def query_or_default(query_class: Callable[..., Q], params: Any) -> tuple[Q, str]:
    """For pages: the parsed query, or the default query plus the problems as one line
    (the page then shows them and answers 400)."""
    try:
        return query_class.from_params(params), ""  # type: ignore[attr-defined]
    except ValidationError as exc:
        return query_class(), " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
