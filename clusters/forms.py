"""The cluster form: parses what a person typed; validation proper is the model's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from clusters.models import Cluster
from clusters.validators import parse_url_list


class UrlListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 2, "placeholder": "one URL per line"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        return parse_url_list(text or "")


class ClusterForm(forms.Form):
    name = forms.CharField(max_length=100)
    bootstrap_servers = forms.CharField(
        max_length=2000,
        help_text="Comma-separated host:port pairs, e.g. kafka-1:9092,kafka-2:9092.",
        widget=forms.TextInput(attrs={"placeholder": "127.0.0.1:9092"}),
    )
    security_protocol = forms.ChoiceField(choices=Cluster.SecurityProtocol.choices)
    sasl_mechanism = forms.ChoiceField(
        label="SASL mechanism", choices=[("", "—"), *Cluster.SaslMechanism.choices], required=False
    )
    sasl_username = forms.CharField(max_length=255, required=False, label="SASL username")
    sasl_password = forms.CharField(
        required=False,
        label="SASL password",
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    ca_certificate = forms.CharField(
        required=False,
        label="CA certificate (PEM)",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "-----BEGIN CERTIFICATE-----"}),
    )
    schema_registry_url = forms.CharField(required=False, max_length=500, label="Schema registry URL")
    connect_urls = UrlListField(required=False, label="Kafka Connect URLs")
    metrics_urls = UrlListField(required=False, label="Broker metrics URLs (Prometheus)")
    poll_interval_s = forms.IntegerField(min_value=1, max_value=3600, initial=5, label="Poll interval (s)")
    read_only = forms.BooleanField(required=False)
    enabled = forms.BooleanField(required=False, initial=True, label="Poll this cluster")

    def __init__(self, *args: Any, has_password: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_password:
            self.fields["sasl_password"].help_text = "A password is stored. Leave blank to keep it."

    def model_fields(self) -> tuple[dict[str, Any], str | None]:
        """(field values for the service, new password or None to keep the stored one)."""
        data = dict(self.cleaned_data)
        password = data.pop("sasl_password", "") or None
        return data, password

    def apply_errors(self, error: ValidationError) -> None:
        """Show a model ValidationError next to the fields it names."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
