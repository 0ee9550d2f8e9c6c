"""Token lifecycle in access.tokens: create, status, list, get, revoke, authenticate."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from access.models import ApiToken, AuditEvent
from access.tokens import (
    TokenRejected,
    TokenStatus,
    token_authenticate,
    token_create,
    token_get,
    token_list,
    token_revoke,
    token_status,
)
from tests.unit.access_tokens.conftest import expire

pytestmark = pytest.mark.django_db


def test_create_returns_the_secret_once_and_stores_only_its_digest(alice):
    token, raw = token_create(user=alice, name="ci-deploy", scope="write", expires_in_days=90)
    assert raw.startswith(f"sbx_{token.prefix}_") and len(raw) > 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().first().values())
    assert raw not in stored and raw.split("_", 2)[2] not in stored
    assert abs((row.expires_at - timezone.now()) - dt.timedelta(days=90)) < dt.timedelta(minutes=1)
    event = AuditEvent.objects.get(action="token.create")
    assert event.actor == "alice" and event.target == "ci-deploy" and event.result == "ok"
    assert event.after["prefix"] == token.prefix and event.after["scope"] == "write"
    assert raw not in str(event.after)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"name": "  "}, "name", "Give the token a name"),
        ({"name": "x" * 101}, "name", "At most 100"),
        ({"scope": "admin"}, "scope", "read, write"),
        ({"expires_in_days": 0}, "expires_in_days", "1 to 365"),
        ({"expires_in_days": 366}, "expires_in_days", "1 to 365"),
        ({"expires_in_days": True}, "expires_in_days", "1 to 365"),
        ({"expires_in_days": "30"}, "expires_in_days", "1 to 365"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(alice, kwargs, field, fragment):
    args = {"name": "ci", "scope": "read", "expires_in_days": 30, **kwargs}
    with pytest.raises(ValidationError) as exc:
        token_create(user=alice, **args)
    assert fragment in " ".join(exc.value.message_dict[field])
    assert not ApiToken.objects.exists()


def test_names_are_unique_per_user_even_after_revoking(alice, bob, make_token):
    token, _ = make_token(alice, "ci")
    token_revoke(user=alice, token=token)
    with pytest.raises(ValidationError) as exc:
        make_token(alice, "ci")
    assert "already have a token named 'ci'" in exc.value.message_dict["name"][0]
    other, _ = make_token(bob, "ci")  # another user may use the same name
    assert other.user == bob


def test_status_active_expired_revoked(alice, make_token):
    token, _ = make_token(alice)
    assert token_status(token) == TokenStatus.ACTIVE
    assert token_status(token, now=token.expires_at) == TokenStatus.EXPIRED
    token_revoke(user=alice, token=token)
    assert token_status(token, now=token.expires_at) == TokenStatus.REVOKED


def test_a_token_authenticated_request_may_not_create_tokens(alice, make_token):
    for scope in ("read", "write"):
        _, raw = make_token(alice, f"t-{scope}", scope=scope)
        alice.signalbox_token = token_authenticate(raw=raw, client_ip="10.0.0.1")
        with pytest.raises(PermissionDenied, match="API tokens cannot create tokens"):
            token_create(user=alice, name=f"minted-{scope}", scope="write", expires_in_days=365)
        del alice.signalbox_token
    assert not ApiToken.objects.filter(name__startswith="minted").exists()
    denied = AuditEvent.objects.filter(action="token.create", result="denied")
    assert denied.count() == 2 and {e.token_name.split(" ")[0] for e in denied} == {"t-read", "t-write"}


def test_revoke_is_idempotent_and_audited_once(alice, make_token):
    token, _ = make_token(alice)
    first = token_revoke(user=alice, token=token)
    revoked_at = first.revoked_at
    again = token_revoke(user=alice, token=ApiToken.objects.get(pk=token.pk))
    assert revoked_at is not None and again.revoked_at == revoked_at
    assert AuditEvent.objects.filter(action="token.revoke", result="ok").count() == 1


def test_only_the_owner_or_a_superuser_revokes(alice, bob, root, make_token):
    token, _ = make_token(alice)
    with pytest.raises(PermissionDenied):
        token_revoke(user=bob, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert AuditEvent.objects.filter(actor="bob", result="denied").exists()
    token_revoke(user=root, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_a_read_only_token_may_not_revoke_but_a_read_write_one_may(alice, make_token):
    victim, _ = make_token(alice, "victim")
    _, read_raw = make_token(alice, "reader", scope="read")
    _, write_raw = make_token(alice, "writer", scope="write")
    alice.signalbox_token = token_authenticate(raw=read_raw, client_ip=None)
    with pytest.raises(PermissionDenied, match="read-only"):
        token_revoke(user=alice, token=victim)
    assert ApiToken.objects.get(pk=victim.pk).revoked_at is None
    alice.signalbox_token = token_authenticate(raw=write_raw, client_ip=None)
    token_revoke(user=alice, token=victim)
    assert ApiToken.objects.get(pk=victim.pk).revoked_at is not None


def test_list_is_own_tokens_unless_superuser(alice, bob, root, make_token):
    make_token(alice, "a1")
    make_token(alice, "a2")
    make_token(bob, "b1")
    assert [t.name for t in token_list(user=alice)] == ["a2", "a1"]
    with pytest.raises(PermissionDenied):
        token_list(user=alice, username="bob")
    with pytest.raises(PermissionDenied):
        token_list(user=alice, everyone=True)
    assert [t.name for t in token_list(user=alice, username="alice")] == ["a2", "a1"]
    assert [t.name for t in token_list(user=root, username="bob")] == ["b1"]
    assert {t.name for t in token_list(user=root, everyone=True)} == {"a1", "a2", "b1"}
    assert list(token_list(user=root)) == []
    with pytest.raises(ValidationError) as exc:
        token_list(user=root, username="nobody")
    assert "no user named 'nobody'" in exc.value.message_dict["user"][0]


def test_get_hides_other_users_tokens(alice, bob, root, make_token):
    token, _ = make_token(alice)
    assert token_get(user=alice, pk=token.pk) == token
    assert token_get(user=root, pk=token.pk) == token
    with pytest.raises(Http404):
        token_get(user=bob, pk=token.pk)
    with pytest.raises(Http404):
        token_get(user=alice, pk=token.pk + 1000)


def test_authenticate_records_use_at_most_once_a_minute_per_address(alice, make_token):
    token, raw = make_token(alice)
    token_authenticate(raw=raw, client_ip="10.0.0.1")
    first = ApiToken.objects.get(pk=token.pk)
    assert first.last_used_ip == "10.0.0.1" and first.last_used_at is not None
    token_authenticate(raw=raw, client_ip="10.0.0.1")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first.last_used_at
    token_authenticate(raw=raw, client_ip="10.0.0.2")
    assert ApiToken.objects.get(pk=token.pk).last_used_ip == "10.0.0.2"


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("wrong", "not valid"),
        ("revoked", "was revoked on"),
        ("expired", "expired on"),
        ("inactive", "deactivated"),
    ],
)
def test_authenticate_refuses_with_the_reason_and_audits(alice, make_token, setup, fragment):
    token, raw = make_token(alice)
    if setup == "wrong":
        raw = raw[:-4] + "AAAA"
    elif setup == "revoked":
        token_revoke(user=alice, token=token)
    elif setup == "expired":
        expire(token)
    else:
        alice.is_active = False
        alice.save()
    with pytest.raises(TokenRejected, match=fragment) as exc:
        token_authenticate(raw=raw, client_ip="10.0.0.9")
    assert raw not in str(exc.value)
    event = AuditEvent.objects.get(action="token.use")
    assert event.result == "denied" and fragment in event.error
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_list_filter_rejects_a_nul_username(root):
    with pytest.raises(ValidationError) as exc:
        token_list(user=root, username="a\x00")
    assert "user" in exc.value.message_dict
