"""Grant, user and team services: validation, duplicates, self-protection, audit, defaults."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError

from access import services_roles as services
from access.models import AuditEvent, Grant, Role
from tests.grants import grant

from .conftest import STRONG

pytestmark = pytest.mark.django_db


def _field_errors(exc_info, field):
    return " ".join(exc_info.value.message_dict[field])


# -- grants ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [(Role.VIEWER, False), (Role.OPERATOR, True), (Role.ADMIN, True)])
def test_read_messages_defaults_by_role(root, alice, prod, role, expected):
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role=role)
    assert created.read_messages is expected
    assert Grant.objects.get(pk=created.pk).read_messages is expected


def test_read_messages_given_overrides_the_default(root, alice, prod):
    viewer = services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer", read_messages=True)
    operator = services.grant_create(
        user=root, cluster=prod, grantee=alice, role="operator", topic_pattern="pay.*", read_messages=False
    )
    assert viewer.read_messages is True and operator.read_messages is False


def test_grant_create_audits_with_the_cluster_and_records_the_creator(root, alice, prod):
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role="operator", topic_pattern="pay.*")
    assert created.created_by == root
    event = AuditEvent.objects.get(action="grant.create")
    assert event.result == "ok" and event.actor == "root" and event.cluster == prod
    assert event.target == "user alice on topics pay.*"
    assert event.after == {
        "cluster": "prod",
        "user": "alice",
        "team": None,
        "role": "operator",
        "topic_pattern": "pay.*",
        "read_messages": True,
    }


def test_grant_for_a_team(root, ops, prod):
    created = services.grant_create(user=root, cluster=prod, team=ops, role="admin")
    assert created.team == ops and created.user is None
    assert AuditEvent.objects.get(action="grant.create").after["team"] == "ops"


def test_grant_needs_exactly_one_holder(root, alice, ops, prod):
    with pytest.raises(ValidationError) as both:
        services.grant_create(user=root, cluster=prod, grantee=alice, team=ops, role="viewer")
    assert "not both" in _field_errors(both, "team")
    with pytest.raises(ValidationError) as neither:
        services.grant_create(user=root, cluster=prod, role="viewer")
    assert "Choose the user or the team" in _field_errors(neither, "user")
    assert Grant.objects.count() == 0


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("payments/*", "'/' cannot appear"),
        ("pay ments", "' ' cannot appear"),
        ("orders-[ab", "never closed"),
        ("a" * 250, "At most 249"),
        ("topic:x", "':' cannot appear"),
    ],
)
def test_bad_topic_patterns_name_the_field(root, alice, prod, pattern, fragment):
    with pytest.raises(ValidationError) as exc:
        services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer", topic_pattern=pattern)
    assert fragment in _field_errors(exc, "topic_pattern")
    assert Grant.objects.count() == 0
    assert not AuditEvent.objects.filter(action="grant.create").exists()


@pytest.mark.parametrize("pattern", ["payments.*", "orders-?", "[!_]*", "a" * 249, "plain_topic-1.v2", ""])
def test_good_topic_patterns_are_kept(root, alice, prod, pattern):
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer", topic_pattern=pattern)
    assert Grant.objects.get(pk=created.pk).topic_pattern == pattern


def test_unknown_role_names_the_field(root, alice, prod):
    with pytest.raises(ValidationError) as exc:
        services.grant_create(user=root, cluster=prod, grantee=alice, role="owner")
    assert "not a role" in _field_errors(exc, "role")


def test_duplicate_grant_is_refused_naming_the_field(root, alice, ops, prod):
    services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer", topic_pattern="pay.*")
    with pytest.raises(ValidationError) as exc:
        services.grant_create(user=root, cluster=prod, grantee=alice, role="admin", topic_pattern=" pay.* ")
    assert "already has a grant (viewer)" in _field_errors(exc, "topic_pattern")
    services.grant_create(user=root, cluster=prod, team=ops, role="viewer")
    with pytest.raises(ValidationError) as team_exc:
        services.grant_create(user=root, cluster=prod, team=ops, role="operator")
    assert "Team 'ops' already has a grant" in _field_errors(team_exc, "topic_pattern")
    assert "whole cluster" in _field_errors(team_exc, "topic_pattern")
    assert Grant.objects.count() == 2


def test_same_holder_may_hold_different_patterns(root, alice, prod):
    services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer")
    services.grant_create(user=root, cluster=prod, grantee=alice, role="operator", topic_pattern="pay.*")
    assert Grant.objects.filter(user=alice).count() == 2


def test_grant_update_changes_role_pattern_and_flag_and_audits_before_after(root, alice, prod):
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer")
    updated = services.grant_update(
        user=root, grant=created, role="operator", topic_pattern="orders.*", read_messages=True
    )
    assert (updated.role, updated.topic_pattern, updated.read_messages) == ("operator", "orders.*", True)
    event = AuditEvent.objects.get(action="grant.update")
    assert event.before["role"] == "viewer" and event.before["topic_pattern"] == ""
    assert event.after["role"] == "operator" and event.after["read_messages"] is True
    assert event.cluster == prod


def test_grant_update_keeps_what_is_not_given(root, alice, prod):
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role="operator", topic_pattern="p.*")
    updated = services.grant_update(user=root, grant=created, role="admin")
    assert (updated.topic_pattern, updated.read_messages) == ("p.*", True)


def test_grant_update_into_a_duplicate_is_refused(root, alice, prod):
    services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer")
    other = services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer", topic_pattern="x")
    with pytest.raises(ValidationError) as exc:
        services.grant_update(user=root, grant=other, topic_pattern="")
    assert "already has a grant" in _field_errors(exc, "topic_pattern")
    assert Grant.objects.get(pk=other.pk).topic_pattern == "x"


def test_grant_delete_audits_what_was_removed(root, alice, prod):
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role="admin")
    services.grant_delete(user=root, grant=created)
    assert not Grant.objects.exists()
    event = AuditEvent.objects.get(action="grant.delete")
    assert event.before["role"] == "admin" and event.after is None and event.cluster == prod


def test_non_superuser_may_not_manage_grants_and_denial_is_audited(root, alice, bob, prod):
    grant(alice, prod, Role.ADMIN)  # even a cluster admin may not hand out roles
    with pytest.raises(PermissionDenied):
        services.grant_create(user=alice, cluster=prod, grantee=bob, role="viewer")
    existing = services.grant_create(user=root, cluster=prod, grantee=bob, role="viewer")
    with pytest.raises(PermissionDenied):
        services.grant_update(user=alice, grant=existing, role="admin")
    with pytest.raises(PermissionDenied):
        services.grant_delete(user=alice, grant=existing)
    assert Grant.objects.get(pk=existing.pk).role == "viewer"
    denied = AuditEvent.objects.filter(result="denied", actor="alice")
    assert denied.count() == 3 and set(denied.values_list("action", flat=True)) == {"role.manage"}


def test_a_read_only_cluster_still_allows_managing_its_roles(root, alice, prod):
    # Read-only stops changes to Kafka; who may look at the cluster stays a superuser's call.
    prod.read_only = True
    prod.save()
    created = services.grant_create(user=root, cluster=prod, grantee=alice, role="viewer")
    assert Grant.objects.filter(pk=created.pk).exists()


# -- users -----------------------------------------------------------------------------------------


def test_user_create_hashes_the_password_and_never_audits_it(root):
    account = services.user_create(
        user=root, username=" carol ", email="carol@example.com", password=STRONG, is_superuser=False
    )
    assert account.username == "carol" and account.check_password(STRONG)
    event = AuditEvent.objects.get(action="user.create")
    assert event.target == "carol" and event.after["is_superuser"] is False
    assert STRONG not in str(event.after) and account.password not in str(event.after)
    assert STRONG not in str(event.before)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"username": "", "password": STRONG}, "username", "cannot be blank"),
        ({"username": "bad name!", "password": STRONG}, "username", "valid username"),
        ({"username": "dave", "password": "short"}, "password", "too short"),
        ({"username": "dave", "password": "password123"}, "password", "too common"),
        ({"username": "dave", "password": ""}, "password", "Set a password"),
        ({"username": "dave", "password": STRONG, "email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_user_create_validation_names_the_field(root, kwargs, field, fragment):
    with pytest.raises(ValidationError) as exc:
        services.user_create(user=root, **kwargs)
    assert fragment in _field_errors(exc, field)
    assert not User.objects.filter(username="dave").exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_user_create_refuses_a_taken_username(root, alice):
    with pytest.raises(ValidationError) as exc:
        services.user_create(user=root, username="alice", password=STRONG)
    assert "already exists" in _field_errors(exc, "username")


def test_password_similar_to_the_username_is_refused(root):
    with pytest.raises(ValidationError) as exc:
        services.user_create(user=root, username="margaretthatcher", password="margaretthatcher1")
    assert "too similar" in _field_errors(exc, "password")


def test_user_update_flags_and_password(root, alice):
    updated = services.user_update(user=root, account=alice, is_active=False, is_superuser=True, password=STRONG)
    alice.refresh_from_db()
    assert updated.is_active is False and alice.is_superuser is True and alice.check_password(STRONG)
    event = AuditEvent.objects.get(action="user.update")
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert event.after["password_changed"] is True
    assert STRONG not in str(event.after) and alice.password not in str(event.after)


def test_user_update_rejects_a_weak_password_and_changes_nothing(root, alice):
    with pytest.raises(ValidationError) as exc:
        services.user_update(user=root, account=alice, password="123", is_active=False)
    assert "too short" in _field_errors(exc, "password")
    alice.refresh_from_db()
    assert alice.is_active and alice.check_password("pw-alice-123")


def test_a_superuser_cannot_demote_or_deactivate_themselves(root):
    with pytest.raises(ValidationError) as demote:
        services.user_update(user=root, account=root, is_superuser=False)
    assert "own superuser flag" in _field_errors(demote, "is_superuser")
    with pytest.raises(ValidationError) as deactivate:
        services.user_update(user=root, account=root, is_active=False)
    assert "cannot deactivate yourself" in _field_errors(deactivate, "is_active")
    root.refresh_from_db()
    assert root.is_superuser and root.is_active
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_a_superuser_may_demote_another_superuser(root):
    other = User.objects.create_superuser("other", "o@example.com", "pw-other-123")
    services.user_update(user=root, account=other, is_superuser=False)
    other.refresh_from_db()
    assert other.is_superuser is False


def test_users_are_managed_by_superusers_only(alice, bob):
    with pytest.raises(PermissionDenied):
        services.user_create(user=alice, username="eve", password=STRONG)
    with pytest.raises(PermissionDenied):
        services.user_update(user=alice, account=alice, is_superuser=True)
    alice.refresh_from_db()
    assert not alice.is_superuser and not User.objects.filter(username="eve").exists()
    assert AuditEvent.objects.filter(result="denied", action="role.manage").count() == 2


# -- teams -----------------------------------------------------------------------------------------


def test_team_create_rename_members_delete_are_audited(root, alice, prod):
    team = services.team_create(user=root, name=" payments ")
    assert team.name == "payments"
    services.team_member_add(user=root, team=team, member=alice)
    assert list(alice.groups.values_list("name", flat=True)) == ["payments"]
    team = services.team_rename(user=root, team=team, name="payments-oncall")
    services.grant_create(user=root, cluster=prod, team=team, role="operator")
    services.team_member_remove(user=root, team=team, member=alice)
    assert not alice.groups.exists()
    services.team_delete(user=root, team=team)
    assert not Group.objects.exists() and not Grant.objects.exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["team.create", "team.update", "team.update", "grant.create", "team.update", "team.delete"]
    added, renamed = AuditEvent.objects.filter(action="team.update").order_by("id")[:2]
    assert added.before["members"] == [] and added.after["members"] == ["alice"]
    assert renamed.before["name"] == "payments" and renamed.after["name"] == "payments-oncall"
    deleted = AuditEvent.objects.get(action="team.delete")
    assert deleted.before["grants"][0]["role"] == "operator"


@pytest.mark.parametrize(("name", "fragment"), [("", "Give the team a name"), ("OPS", "already exists")])
def test_team_name_validation(root, ops, name, fragment):
    with pytest.raises(ValidationError) as exc:
        services.team_create(user=root, name=name)
    assert fragment in _field_errors(exc, "name")
    assert Group.objects.count() == 1


def test_member_added_twice_or_removed_when_absent_is_a_clear_error(root, ops, alice):
    services.team_member_add(user=root, team=ops, member=alice)
    with pytest.raises(ValidationError) as twice:
        services.team_member_add(user=root, team=ops, member=alice)
    assert "already a member" in _field_errors(twice, "user")
    services.team_member_remove(user=root, team=ops, member=alice)
    with pytest.raises(ValidationError) as absent:
        services.team_member_remove(user=root, team=ops, member=alice)
    assert "not a member" in _field_errors(absent, "user")


def test_teams_are_managed_by_superusers_only(alice, ops):
    for call in (
        lambda: services.team_create(user=alice, name="mine"),
        lambda: services.team_rename(user=alice, team=ops, name="x"),
        lambda: services.team_member_add(user=alice, team=ops, member=alice),
        lambda: services.team_delete(user=alice, team=ops),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert list(Group.objects.values_list("name", flat=True)) == ["ops"] and not ops.user_set.exists()
