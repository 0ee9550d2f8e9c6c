"""Session and CSRF cookies: Secure whenever the request came over HTTPS, HttpOnly session,
SameSite=Lax, even with SECURE_COOKIES off."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "cookie-pass-2718"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("cookie", "c@example.com", PASSWORD)


def _sign_in(client, scheme="http", **extra):
    client.get("/login/", **extra)
    csrf = client.cookies["csrftoken"].value
    # Over HTTPS Django's CSRF check also wants the page's own origin, as a browser sends it.
    return client.post(
        "/login/",
        {"username": "cookie", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        HTTP_ORIGIN=f"{scheme}://testserver",
        **extra,
    )


def test_over_https_both_cookies_are_secure_even_with_secure_cookies_off(settings, user):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    client = Client(enforce_csrf_checks=True)
    assert client.get("/login/", secure=True).cookies["csrftoken"]["secure"] is True
    response = _sign_in(client, "https", secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["secure"] is True  # rotated at login
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_over_plain_http_cookies_follow_the_setting(settings, user):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    response = _sign_in(Client(enforce_csrf_checks=True))
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] == ""
    assert response.cookies["sessionid"]["httponly"] is True
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def test_https_behind_a_tls_proxy_is_recognised(settings, user):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy speaks plain HTTP to us on port 443's behalf, as a TLS terminator does.
    response = _sign_in(Client(enforce_csrf_checks=True), "https", HTTP_X_FORWARDED_PROTO="https", SERVER_PORT="443")
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True


def test_a_forwarded_proto_header_counts_only_when_the_proxy_is_trusted(settings, user):
    settings.SECURE_PROXY_SSL_HEADER = None
    response = _sign_in(Client(enforce_csrf_checks=True), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] == ""
