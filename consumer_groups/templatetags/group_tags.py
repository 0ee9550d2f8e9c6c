"""Template helpers for lag: durations and status colours."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def seconds_human(value: float | None) -> str:
    """12.3 -> "12 s", 125 -> "2 min 5 s", 7300 -> "2 h 1 min"; None -> "unknown"."""
    if value is None:
        return "unknown"
    seconds = round(value)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


_CLASSES = {"OK": "ok", "WARN": "wait", "ERR": "bad", "STOP": "bad", "STALL": "bad", "REWIND": "bad"}


@register.filter
def status_class(status: str) -> str:
    return _CLASSES.get(status, "muted-pill")
