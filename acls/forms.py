"""Forms of the ACL pages. They only render fields and hold errors: every rule lives in
acls.validation (through the services), so the pages and the API refuse the same input
with the same words. Selects are plain text fields underneath, so the form never refuses first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from acls.validation import FIELDS
from clusters.gateway.acls import (
    ANY,
    FILTER_PATTERN_TYPES,
    OPERATIONS,
    PATTERN_TYPES,
    PERMISSIONS,
    RESOURCE_TYPES,
    KafkaNoAuthorizer,
)
from clusters.gateway.errors import KafkaRejected

WIZARD_FIELDS = ("preset", "principal", "topic", "group", "transactional_id", "host", "prefixed")


def _select(values: tuple[str, ...], *, any_label: str = "") -> forms.Select:
    choices = [(ANY, any_label)] if any_label else []
    choices += [(v, v.replace("_", " ").lower()) for v in values if v != ANY]
    return forms.Select(choices=choices)


def submitted(data: QueryDict, names: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """Only the named fields (no CSRF token, no button names) as the services take them."""
    return {name: data.get(name, "") for name in names if data.get(name, "") != ""}


class ServiceErrorsMixin:
    """Put a service's ValidationError or the broker's refusal next to the field."""

    def apply_errors(self, exc: ValidationError | KafkaRejected) -> None:
        form: Any = self
        if isinstance(exc, KafkaRejected):
            pairs: list[tuple[str | None, list[str]]] = [(exc.field, [exc.message])]
        elif hasattr(exc, "error_dict"):
            pairs = [(k, list(v)) for k, v in exc.message_dict.items()]
        else:
            pairs = [(None, list(exc.messages))]
        for name, messages in pairs:
            for message in messages:
                form.add_error(name if name in form.fields else None, message)

    @property
    def no_authorizer(self) -> bool:
        return bool(getattr(self, "_no_authorizer", False))

    def refused(self, exc: KafkaRejected) -> None:
        self._no_authorizer = isinstance(exc, KafkaNoAuthorizer)
        self.apply_errors(exc)


class AclFilterForm(ServiceErrorsMixin, forms.Form):
    principal = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"placeholder": "User:alice", "autocomplete": "off"})
    )
    host = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "any"}))
    resource_type = forms.CharField(
        required=False, label="Resource type", widget=_select(RESOURCE_TYPES, any_label="any")
    )
    resource_name = forms.CharField(
        required=False,
        label="Resource name",
        widget=forms.TextInput(attrs={"placeholder": "any", "autocomplete": "off"}),
    )
    pattern_type = forms.CharField(
        required=False,
        label="Pattern",
        widget=_select(FILTER_PATTERN_TYPES, any_label="any"),
        help_text="match: every ACL that applies to the name (literal, * and prefixes)",
    )
    operation = forms.CharField(required=False, widget=_select(OPERATIONS, any_label="any"))
    permission = forms.CharField(required=False, widget=_select(PERMISSIONS, any_label="any"))


class AclCreateForm(ServiceErrorsMixin, forms.Form):
    principal = forms.CharField(
        required=False,
        help_text="<Type>:<name>, e.g. User:alice (SCRAM logins are User principals); User:* is everyone.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "placeholder": "User:alice"}),
    )
    resource_type = forms.CharField(
        required=False, label="Resource type", initial="TOPIC", widget=_select(RESOURCE_TYPES)
    )
    resource_name = forms.CharField(
        label="Resource name",
        help_text="The topic, group or transactional id; * for all of them; kafka-cluster for CLUSTER.",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    pattern_type = forms.CharField(
        required=False,
        label="Pattern type",
        initial="LITERAL",
        widget=_select(PATTERN_TYPES),
        help_text="literal: exactly this name; prefixed: every name that starts with it.",
    )
    operation = forms.CharField(required=False, initial="READ", widget=_select(OPERATIONS))
    permission = forms.CharField(
        required=False, initial="ALLOW", widget=_select(PERMISSIONS), help_text="DENY wins over ALLOW."
    )
    host = forms.CharField(
        initial="*", help_text="* for any host, or the one IP address the client connects from.", required=False
    )


class AclWizardForm(ServiceErrorsMixin, forms.Form):
    preset = forms.ChoiceField(
        required=False,
        choices=[("producer", "Producer for a topic"), ("consumer", "Consumer of a topic in a group")],
        initial="producer",
        widget=forms.RadioSelect,
    )
    principal = forms.CharField(
        required=False,
        help_text="<Type>:<name>, e.g. User:orders-app.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "placeholder": "User:orders-app"}),
    )
    topic = forms.CharField(required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    group = forms.CharField(
        required=False,
        label="Consumer group",
        help_text="Consumer only: the client's group.id.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    transactional_id = forms.CharField(
        required=False,
        label="Transactional id",
        help_text="Producer only, optional: the client's transactional.id if it uses transactions.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    host = forms.CharField(required=False, initial="*", help_text="* for any host, or one IP address.")
    prefixed = forms.BooleanField(
        required=False, label="Names are prefixes", help_text="e.g. topic 'orders.' covers orders.eu, orders.us…"
    )
