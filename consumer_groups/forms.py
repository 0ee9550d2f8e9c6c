"""Forms of the offset-reset, group-delete and offsets-delete pages. They only parse
what was typed; the rules live once in consumer_groups.services, whose errors the
forms show next to the field."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from consumer_groups.services import SCOPES, STRATEGIES
from topics.forms import ServiceErrorsMixin


class OffsetResetForm(ServiceErrorsMixin, forms.Form):
    scope = forms.ChoiceField(choices=list(SCOPES.items()), initial="all", widget=forms.RadioSelect, label="Reset")
    topic = forms.CharField(
        required=False,
        strip=True,
        max_length=255,
        help_text="For one topic or chosen partitions.",
        widget=forms.TextInput(attrs={"list": "offsets-group-topics", "autocomplete": "off"}),
    )
    partitions = forms.CharField(
        required=False,
        strip=True,
        max_length=2000,
        help_text="Partition numbers separated by commas, e.g. 0, 2, 5.",
    )
    strategy = forms.ChoiceField(
        choices=list(STRATEGIES.items()), initial="earliest", widget=forms.RadioSelect, label="To"
    )
    timestamp = forms.CharField(
        required=False,
        strip=True,
        help_text="ISO 8601 (e.g. 2024-05-01T12:00:00Z; without a zone: the site's time zone) or ms since the epoch.",
        widget=forms.TextInput(attrs={"placeholder": "2024-05-01T12:00:00Z"}),
    )
    offset = forms.CharField(
        required=False, strip=True, help_text="Must lie between a partition's earliest and latest."
    )
    shift = forms.CharField(
        required=False, strip=True, help_text="e.g. -100 to re-read 100 records, 50 to skip 50; clamped to the range."
    )

    def partition_list(self) -> list[str]:
        raw = self.cleaned_data.get("partitions") or ""
        return [p for p in re.split(r"[\s,;]+", raw) if p]

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for services.group_offsets_reset."""
        data = self.cleaned_data
        return {
            "scope": data.get("scope"),
            "strategy": data.get("strategy"),
            "topic": data.get("topic") or None,
            "partitions": self.partition_list(),
            "timestamp": data.get("timestamp") or None,
            "offset": data.get("offset") or None,
            "shift": data.get("shift") or None,
        }


class GroupDeleteForm(ServiceErrorsMixin, forms.Form):
    confirm = forms.CharField(label="Type the group id to confirm", required=False, strip=False)


class GroupOffsetsDeleteForm(ServiceErrorsMixin, forms.Form):
    topic = forms.CharField(label="Topic", required=False, strip=True, max_length=255)

    def __init__(self, *args: Any, topics: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].widget = forms.Select(choices=[("", "— choose a topic —")] + [(t, t) for t in topics])
