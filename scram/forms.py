"""Forms of the SCRAM pages. They only carry what was typed (all fields optional, as
text): the rules live once in scram.rules, applied by the services, whose errors the
forms show next to the field. Password inputs never render a value back."""

from __future__ import annotations

from typing import Any

from django import forms

from scram.rules import (
    DEFAULT_ITERATIONS,
    DEFAULT_MECHANISM,
    MECHANISM_CHOICES,
    NAME_CHARACTERS,
    PASSWORD_MIN,
    PASSWORD_MIN_DISTINCT,
)
from topics.forms import ServiceErrorsMixin

_PASSWORD_WIDGET = {"autocomplete": "new-password", "spellcheck": "false"}


class ScramCredentialForm(ServiceErrorsMixin, forms.Form):
    """Create a user's credential or set a new password. With `fixed_user` the name comes
    from the URL (changing a password) and the field is not shown."""

    user = forms.CharField(
        required=False,
        strip=True,
        label="User name",
        help_text=f"Use {NAME_CHARACTERS}; at most 255. Clients log in with it (principal User:<name>).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}),
    )
    mechanism = forms.CharField(
        required=False,
        initial=DEFAULT_MECHANISM,
        widget=forms.Select(choices=[(m, m) for m in MECHANISM_CHOICES]),
        help_text="Must be one the broker's listener enables (sasl.enabled.mechanisms).",
    )
    password = forms.CharField(
        required=False,
        strip=False,
        label="Password",
        help_text=(
            f"At least {PASSWORD_MIN} characters and {PASSWORD_MIN_DISTINCT} different ones; not containing "
            "the user name; not a common password."
        ),
        widget=forms.PasswordInput(attrs=_PASSWORD_WIDGET, render_value=False),
    )
    password_confirm = forms.CharField(
        required=False,
        strip=False,
        label="Password again",
        widget=forms.PasswordInput(attrs=_PASSWORD_WIDGET, render_value=False),
    )
    iterations = forms.CharField(
        required=False,
        initial=str(DEFAULT_ITERATIONS),
        help_text="PBKDF2 rounds, 4096 to 16384 (Kafka's limits).",
        widget=forms.NumberInput(attrs={"min": 4096, "max": 16384, "step": 1}),
    )

    def __init__(self, *args: Any, fixed_user: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_user = fixed_user
        if fixed_user is not None:
            self.fields["user"].widget = forms.HiddenInput()
            self.fields["password"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords differ; type the same password twice.")
        return data

    def user_name(self) -> str:
        if self.fixed_user is not None:
            return self.fixed_user
        return str(self.cleaned_data.get("user") or "")


class ScramDeleteForm(ServiceErrorsMixin, forms.Form):
    """Which credential to delete (or all of them) and the typed user name."""

    mechanism = forms.CharField(required=False, label="Credential")
    confirm = forms.CharField(required=False, strip=False, label="Type the user name to confirm")
    user = forms.CharField(required=False, widget=forms.HiddenInput)  # carries the service's error on the name

    def __init__(self, *args: Any, mechanisms: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", f"All ({', '.join(mechanisms)})")] if len(mechanisms) > 1 else []
        choices += [(m, m) for m in mechanisms]
        self.fields["mechanism"].widget = forms.Select(choices=choices)
