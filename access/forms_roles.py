"""Forms of the role, user and team pages: they parse what a person typed; the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError

from access.models import Role
from access.services_roles import PATTERN_MAX

READ_DEFAULT, READ_YES, READ_NO = "", "yes", "no"


class ServiceErrorsMixin:
    """Shows a service's ValidationError next to the fields it names."""

    field_map: dict[str, str] = {}

    def apply_errors(self, error: ValidationError) -> None:
        form: Any = self
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                name = self.field_map.get(field, field)
                form.add_error(name if name in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)


def _password_field(label: str = "Password") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class _PasswordPair(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords differ; type the same one twice.")
        return data


class GrantCreateForm(ServiceErrorsMixin, forms.Form):
    """One select for the holder (users and teams), then role, pattern and the payload flag."""

    field_map = {"user": "holder", "team": "holder"}

    holder = forms.ChoiceField(label="For", help_text="A user, or a team: every member gets the role.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)
    topic_pattern = forms.CharField(
        required=False,
        max_length=PATTERN_MAX,
        label="Topic pattern",
        help_text="Empty: the whole cluster. Otherwise a glob such as payments.* ; the grant is viewer elsewhere.",
        widget=forms.TextInput(attrs={"placeholder": "whole cluster", "autocomplete": "off"}),
    )
    read_messages = forms.ChoiceField(
        label="Read message payloads",
        required=False,
        help_text="As the role says: yes for operator and admin, no for viewer.",
        choices=[
            (READ_DEFAULT, "As the role says"),
            (READ_YES, "Yes"),
            (READ_NO, "No"),
        ],
    )

    def __init__(self, *args: Any, users: list[User], teams: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["holder"]
        groups = [
            ("Teams", [(f"team:{t.pk}", t.name) for t in teams]),
            ("Users", [(f"user:{u.pk}", u.get_username()) for u in users]),
        ]
        field.choices = [("", "— choose —"), *((label, options) for label, options in groups if options)]
        self._users = {u.pk: u for u in users}
        self._teams = {t.pk: t for t in teams}

    def holder_objects(self) -> tuple[User | None, Group | None]:
        """(user, team) chosen in the holder select; one of them is None."""
        kind, _, pk = self.cleaned_data["holder"].partition(":")
        if kind == "team":
            return None, self._teams[int(pk)]
        return self._users[int(pk)], None

    def read_messages_value(self) -> bool | None:
        choice = self.cleaned_data.get("read_messages") or READ_DEFAULT
        return None if choice == READ_DEFAULT else choice == READ_YES


class GrantEditForm(ServiceErrorsMixin, forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    topic_pattern = forms.CharField(
        required=False,
        max_length=PATTERN_MAX,
        label="Topic pattern",
        widget=forms.TextInput(attrs={"placeholder": "whole cluster", "autocomplete": "off"}),
    )
    read_messages = forms.BooleanField(required=False, label="Read message payloads")


class UserCreateForm(ServiceErrorsMixin, _PasswordPair):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    email = forms.EmailField(required=False)
    password = _password_field()
    password_again = _password_field("Password again")
    is_superuser = forms.BooleanField(
        required=False, label="Superuser", help_text="Sees every cluster, manages clusters, users and roles."
    )


class UserEditForm(ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(required=False)
    is_active = forms.BooleanField(required=False, label="Active", help_text="An inactive user cannot log in.")
    is_superuser = forms.BooleanField(
        required=False, label="Superuser", help_text="Sees every cluster, manages clusters, users and roles."
    )

    def __init__(self, *args: Any, is_self: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_self:
            # Nobody demotes or locks out themselves; the flags are not even offered.
            del self.fields["is_active"]
            del self.fields["is_superuser"]


class PasswordSetForm(ServiceErrorsMixin, _PasswordPair):
    password = _password_field("New password")
    password_again = _password_field("New password again")


class TeamForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"placeholder": "e.g. payments-oncall", "autocomplete": "off"})
    )


class MemberAddForm(ServiceErrorsMixin, forms.Form):
    user = forms.ChoiceField(label="Add member")

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["user"]
        field.choices = [("", "— choose a user —"), *((str(u.pk), u.get_username()) for u in candidates)]
        self._candidates = {u.pk: u for u in candidates}

    def member(self) -> User:
        return self._candidates[int(self.cleaned_data["user"])]
