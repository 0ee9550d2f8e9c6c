"""Sign-in: Django's LoginView with throttling, and every failed or refused attempt logged
and audited (username and address, never the password)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse

from access.audit import audit_denied
from access.throttle import Lockout, login_failed, login_locked, login_succeeded
from controlplane.request_id import client_ip

log = logging.getLogger(__name__)

ACTION = "auth.login"
USERNAME_MAX = 150  # auth.User.username's length; anything longer is not a username


def _client_address(request: HttpRequest) -> str:
    # The same address the audit trail records (the proxy's last X-Forwarded-For hop behind BEHIND_TLS_PROXY).
    return client_ip(request)


def _failure_reason(form: AuthenticationForm) -> str:
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    if "inactive" in codes:
        return "the account is deactivated"
    if "invalid_login" in codes:
        return "wrong username or password"
    return "username or password missing"


class ThrottledLoginView(LoginView):
    """The login page; refuses sign-ins (HTTP 429) for a username or address with too many
    recent failures, even when the password is right."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))[:USERNAME_MAX]
        lockout = login_locked(username=username, address=_client_address(request))
        if lockout is not None:
            self._record(username, f"too many failed sign-ins for this {lockout.scope}; refused", throttled=True)
            return self._refused(username, lockout)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        login_succeeded(username=str(form.cleaned_data.get("username", "")))
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))[:USERNAME_MAX]
        self._record(username, _failure_reason(form), throttled=False)
        lockout = login_failed(username=username, address=_client_address(self.request))
        if lockout is not None:
            # The attempt that reaches the limit already says so, instead of the next one.
            return self._refused(username, lockout)
        return super().form_invalid(form)

    def _record(self, username: str, reason: str, *, throttled: bool) -> None:
        address = _client_address(self.request)
        what = "Refused sign-in" if throttled else "Failed sign-in"
        log.warning("%s for username %r from %s: %s", what, username, address or "unknown address", reason)
        audit_denied(user=None, cluster=None, action=ACTION, target=username, reason=reason)

    def _refused(self, username: str, lockout: Lockout) -> HttpResponse:
        form = self.get_form_class()(self.request, initial={"username": username})
        context = self.get_context_data(form=form, lockout=lockout)
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(lockout.retry_after_s)
        return response
