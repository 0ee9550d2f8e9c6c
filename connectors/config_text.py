"""Reading a connector config typed into a page: a JSON object or key=value lines."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError


def config_from_text(text: str) -> dict[str, str]:
    """Parse `{"k": "v"}` (or Connect's `{"name": ..., "config": {...}}`) or `k=v` lines (# comments)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"config": "Give the connector config (JSON or one key=value per line)."})
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError({"config": f"The config is not valid JSON: {exc}."})
        if isinstance(data, dict) and isinstance(data.get("config"), dict):
            data = data["config"]
        if not isinstance(data, dict) or any(isinstance(v, dict | list) for v in data.values()):
            raise ValidationError({"config": "Give a JSON object of config names to plain values."})
        return {
            str(k): "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in data.items()
        }
    config: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError({"config": f"Line {number} is not key=value: {line[:80]!r}."})
        config[key.strip()] = value.strip()
    return config


def config_to_text(config: dict[str, str]) -> str:
    """The key=value form of a config, for the edit textarea."""
    return "\n".join(f"{k}={v}" for k, v in sorted(config.items()))
