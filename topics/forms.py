"""Forms of the topic operation pages. They only parse what was typed; the rules
live once in topics.services, whose errors the forms show next to the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from clusters import gateway
from topics.ops_selectors import ConfigCatalogue

CONFIG_ROWS = 5


class ServiceErrorsMixin:
    """Show a service's ValidationError or the broker's refusal next to the field."""

    def apply_errors(self, exc: ValidationError | gateway.KafkaRejected) -> None:
        form: Any = self
        if isinstance(exc, gateway.KafkaRejected):
            pairs = [(exc.field, [exc.message])]
        elif hasattr(exc, "error_dict"):
            pairs = [(k, list(v)) for k, v in exc.message_dict.items()]
        else:
            pairs = [(None, list(exc.messages))]
        for name, messages in pairs:
            for message in messages:
                if name in form.fields:
                    form.add_error(name, message)
                else:
                    form.add_error(None, f"{name}: {message}" if name else message)

    def error_fields(self) -> dict[str, list[str]]:
        """Errors by field as the API names them (for tests and the dry-run fragment)."""
        form: Any = self
        return {k: list(v) for k, v in form.errors.items()}


class TopicCreateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        max_length=300,
        strip=True,
        help_text="Letters, digits, '.', '_' and '-'; at most 249 characters.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    partitions = forms.IntegerField(initial=3, help_text="Can be raised later, never lowered.")
    replication_factor = forms.IntegerField(initial=1, help_text="Copies of each partition; at most the broker count.")

    def __init__(self, *args: Any, catalogue: ConfigCatalogue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        choices = [("", "— no config —")] + [
            (c.name, f"{c.name} ({c.config_type.lower()}{', default ' + c.default if c.default else ''})")
            for c in catalogue.configs
        ]
        for i in range(CONFIG_ROWS):
            self.fields[f"config_key_{i}"] = forms.ChoiceField(choices=choices, required=False, label="Config")
            self.fields[f"config_value_{i}"] = forms.CharField(required=False, label="Value", strip=True)

    def main_fields(self) -> list[forms.BoundField]:
        return [self["name"], self["partitions"], self["replication_factor"]]

    def config_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"config_key_{i}"], self[f"config_value_{i}"]) for i in range(CONFIG_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen: set[str] = set()
        for i in range(CONFIG_ROWS):
            key, value = data.get(f"config_key_{i}"), data.get(f"config_value_{i}")
            if key and not value:
                self.add_error(f"config_value_{i}", f"Give a value for {key}, or choose no config.")
            elif value and not key:
                self.add_error(f"config_key_{i}", "Choose the config this value is for.")
            elif key in seen:
                self.add_error(f"config_key_{i}", f"{key} is chosen twice.")
            if key:
                seen.add(key)
        return data

    def configs(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            data[f"config_key_{i}"]: data[f"config_value_{i}"]
            for i in range(CONFIG_ROWS)
            if data.get(f"config_key_{i}") and data.get(f"config_value_{i}")
        }


class PartitionsForm(ServiceErrorsMixin, forms.Form):
    partitions = forms.IntegerField(label="New partition count", help_text="Must be higher than now.")


class DeleteTopicForm(ServiceErrorsMixin, forms.Form):
    confirm = forms.CharField(label="Type the topic name to confirm", required=False, strip=False)


class RecordsDeleteForm(ServiceErrorsMixin, forms.Form):
    """One optional "delete before" offset per partition."""

    offsets = forms.CharField(required=False, widget=forms.HiddenInput)  # carries the service's error

    def __init__(self, *args: Any, watermarks: dict[int, tuple[int, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watermarks = watermarks
        for partition, (earliest, latest) in watermarks.items():
            self.fields[f"offset_{partition}"] = forms.IntegerField(
                required=False,
                label=f"Partition {partition}",
                help_text=f"earliest {earliest}, latest {latest}",
                widget=forms.NumberInput(attrs={"placeholder": str(earliest)}),
            )

    def partition_rows(self) -> list[tuple[int, int, int, forms.BoundField]]:
        return [(p, e, latest, self[f"offset_{p}"]) for p, (e, latest) in self.watermarks.items()]

    def offsets_given(self) -> dict[int, int]:
        return {
            p: self.cleaned_data[f"offset_{p}"]
            for p in self.watermarks
            if self.cleaned_data.get(f"offset_{p}") is not None
        }


def config_changes_from_post(post: QueryDict, current: tuple[gateway.TopicConfig, ...]) -> dict[str, str | None]:
    """The changes the config page asks for: a value that differs from the current
    one sets it; a ticked "reset" removes the topic's override."""
    changes: dict[str, str | None] = {}
    for config in current:
        if config.read_only or config.sensitive:
            continue
        if post.get(f"reset:{config.name}") and config.is_override:
            changes[config.name] = None
            continue
        submitted = post.get(f"value:{config.name}")
        if submitted is not None and submitted.strip() != (config.value or ""):
            changes[config.name] = submitted.strip()
    return changes
