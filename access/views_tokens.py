"""The Tokens page (/account/tokens/): list, create (secret shown once), revoke."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access import tokens
from access.models import ApiToken

EVERYONE_PAGE_SIZE = 50


class TokenCreateForm(forms.Form):
    # Types only; the rules live once in tokens.token_create and come back as field errors.
    name = forms.CharField(required=False, label="Name", help_text="What uses the token, e.g. 'ci-deploy'.")
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        label="Scope",
        help_text="Read-only: what a viewer may do. Read-write: also changes, within your roles.",
    )
    expires_in_days = forms.IntegerField(
        initial=90, label="Expires after (days)", help_text=f"1 to {tokens.MAX_LIFETIME_DAYS} days."
    )

    def apply_errors(self, exc: ValidationError) -> None:
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    status: str


def _rows(qs: Iterable[ApiToken]) -> list[TokenRow]:
    now = timezone.now()
    return [TokenRow(token=t, status=tokens.token_status(t, now=now)) for t in qs]


def _everyone(request: HttpRequest) -> dict[str, object]:
    """The superuser's table of everyone's tokens, filtered by ?user= and paged by ?page=."""
    username = request.GET.get("user", "").strip()
    context: dict[str, object] = {
        "owners": list(
            get_user_model()
            .objects.filter(api_tokens__isnull=False)
            .distinct()
            .order_by(get_user_model().USERNAME_FIELD)
            .values_list(get_user_model().USERNAME_FIELD, flat=True)
        ),
        "user_filter": username,
        "filter_error": "",
    }
    try:
        qs = tokens.token_list(user=request.user, username=username or None, everyone=True)
    except ValidationError as exc:
        context["filter_error"] = " ".join(exc.messages)
        qs = ApiToken.objects.none()
    page = Paginator(qs, EVERYONE_PAGE_SIZE).get_page(request.GET.get("page"))
    context["everyone_page"] = page
    context["everyone_rows"] = _rows(page.object_list)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    created: ApiToken | None = None
    secret = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, secret = tokens.token_create(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.apply_errors(exc)
        if created is None:
            status = 400
        else:
            form = TokenCreateForm()  # a fresh form under the secret, so a reload cannot resubmit the name
    context: dict[str, object] = {
        "form": form,
        "rows": _rows(tokens.token_list(user=request.user)),
        "created": created,
        "secret": secret,  # this response only: never in the session, messages or a later page
        "presets": tokens.EXPIRY_PRESETS_DAYS,
        "max_days": tokens.MAX_LIFETIME_DAYS,
        "is_superuser": request.user.is_superuser,
    }
    if request.user.is_superuser:
        context.update(_everyone(request))
    if context.get("filter_error"):
        status = 400
    response = render(request, "access/tokens/list.html", context, status=status)
    if secret:
        # The page holding the secret must not be kept by the browser or any cache.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens.token_get(user=request.user, pk=pk)
    if request.method == "POST":
        tokens.token_revoke(user=request.user, token=token)
        owner = "" if token.user_id == request.user.pk else f" of {token.user.get_username()}"
        messages.success(request, f"Token '{token.name}'{owner} is revoked; requests using it are now refused.")
        return redirect("tokens:list")
    return render(
        request,
        "access/tokens/revoke.html",
        {"token": token, "status": tokens.token_status(token), "own": token.user_id == request.user.pk},
    )
