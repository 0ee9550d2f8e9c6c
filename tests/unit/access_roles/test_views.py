"""The roles, users, teams and my-access pages: superuser only (my access: everyone), forms
show errors by the field, htmx inline edits, empty states say what to do."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from access.models import AuditEvent, Grant
from tests.grants import grant

from .conftest import STRONG

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice_web(client, alice):
    client.force_login(alice)
    return client


def _body(response):
    return response.content.decode()


def test_pages_need_login(client, prod):
    for url in ("/access/users/", "/access/teams/", "/access/me/", f"/clusters/{prod.pk}/access/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_url_names_the_lead_links_to(prod):
    assert reverse("roles:me") == "/access/me/"
    assert reverse("roles:users") == "/access/users/"
    assert reverse("roles:teams") == "/access/teams/"
    assert reverse("cluster_roles:list", kwargs={"cluster_id": prod.pk}) == f"/clusters/{prod.pk}/access/"


def test_non_superusers_get_403_on_management_pages(alice_web, alice, bob, ops, prod):
    g = grant(alice, prod, "admin")
    for method, url, data in [
        ("get", "/access/users/", None),
        ("get", "/access/users/new/", None),
        ("post", "/access/users/new/", {"username": "eve", "password": STRONG, "password_again": STRONG}),
        ("get", f"/access/users/{bob.pk}/", None),
        ("post", f"/access/users/{alice.pk}/", {"is_active": "on", "is_superuser": "on"}),
        ("post", f"/access/users/{bob.pk}/active/", {"is_active": "false"}),
        ("post", f"/access/users/{bob.pk}/password/", {"password": STRONG, "password_again": STRONG}),
        ("get", "/access/teams/", None),
        ("post", "/access/teams/", {"name": "mine"}),
        ("get", f"/access/teams/{ops.pk}/", None),
        ("post", f"/access/teams/{ops.pk}/members/", {"user": alice.pk}),
        ("post", f"/access/teams/{ops.pk}/delete/", None),
        ("get", f"/clusters/{prod.pk}/access/", None),
        ("post", f"/clusters/{prod.pk}/access/", {"holder": f"user:{bob.pk}", "role": "admin"}),
        ("post", f"/clusters/{prod.pk}/access/{g.pk}/edit/", {"role": "viewer"}),
        ("post", f"/clusters/{prod.pk}/access/{g.pk}/delete/", None),
    ]:
        response = getattr(alice_web, method)(url, data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "superusers only" in _body(response)
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert not alice.is_superuser and bob.is_active and not ops.user_set.exists()
    assert Grant.objects.get().role == "admin" and Group.objects.count() == 1
    assert not User.objects.filter(username="eve").exists()


def test_access_page_of_a_cluster_the_user_cannot_see_is_a_404(alice_web, prod):
    assert alice_web.get(f"/clusters/{prod.pk}/access/").status_code == 404


def test_cluster_access_page_empty_state_and_roles_explained(root_web, alice, prod):
    body = _body(root_web.get(f"/clusters/{prod.pk}/access/"))
    assert "Nobody but superusers can see this cluster yet" in body
    assert "What the roles allow" in body
    for words in ("purge records", "create and delete Kafka ACLs", "Read messages", "payments.*", "Superuser"):
        assert words in body, words
    assert f'value="user:{alice.pk}"' in body and 'value="user:' + str(root_web.session["_auth_user_id"]) not in body


def test_cluster_access_page_without_anyone_to_grant_to(root_web, prod):
    body = _body(root_web.get(f"/clusters/{prod.pk}/access/"))
    assert "There is nobody to grant a role to yet" in body and "/access/users/new/" in body


def test_add_grant_from_the_page(root_web, alice, ops, prod):
    response = root_web.post(
        f"/clusters/{prod.pk}/access/", {"holder": f"team:{ops.pk}", "role": "operator", "topic_pattern": "pay.*"}
    )
    assert response.status_code == 302 and response["Location"] == f"/clusters/{prod.pk}/access/"
    created = Grant.objects.get()
    assert (created.team, created.role, created.topic_pattern, created.read_messages) == (
        ops,
        "operator",
        "pay.*",
        True,
    )
    body = _body(root_web.get(f"/clusters/{prod.pk}/access/"))
    assert "Granted: team ops is operator on topics" in body and "<code>pay.*</code>" in body
    response = root_web.post(
        f"/clusters/{prod.pk}/access/", {"holder": f"user:{alice.pk}", "role": "admin", "read_messages": "no"}
    )
    assert Grant.objects.get(user=alice).read_messages is False


def test_add_grant_errors_show_next_to_the_field(root_web, alice, prod):
    grant(alice, prod)
    response = root_web.post(
        f"/clusters/{prod.pk}/access/", {"holder": f"user:{alice.pk}", "role": "viewer", "topic_pattern": ""}
    )
    assert response.status_code == 200
    body = _body(response)
    assert 'class="field invalid" id="field-holder"' not in body
    assert 'class="field invalid" id="field-topic_pattern"' in body and "already has a grant" in body
    bad = root_web.post(
        f"/clusters/{prod.pk}/access/", {"holder": f"user:{alice.pk}", "role": "viewer", "topic_pattern": "a b"}
    )
    assert "cannot appear in a topic pattern" in _body(bad)
    missing = root_web.post(f"/clusters/{prod.pk}/access/", {"holder": "", "role": "viewer"})
    assert 'class="field invalid" id="field-holder"' in _body(missing)
    assert Grant.objects.count() == 1


def test_inline_edit_with_htmx(root_web, alice, prod):
    g = grant(alice, prod, "viewer")
    form = root_web.get(f"/clusters/{prod.pk}/access/{g.pk}/edit/", headers=HTMX)
    assert form.status_code == 200 and _body(form).lstrip().startswith(f'<tr id="grant-{g.pk}" class="roles-editing"')
    saved = root_web.post(
        f"/clusters/{prod.pk}/access/{g.pk}/edit/",
        {"role": "admin", "topic_pattern": "orders.*", "read_messages": "on"},
        headers=HTMX,
    )
    assert saved.status_code == 200
    row = _body(saved)
    assert row.lstrip().startswith(f'<tr id="grant-{g.pk}">') and "Admin" in row and "orders.*" in row
    g.refresh_from_db()
    assert (g.role, g.topic_pattern, g.read_messages) == ("admin", "orders.*", True)
    bad = root_web.post(
        f"/clusters/{prod.pk}/access/{g.pk}/edit/", {"role": "admin", "topic_pattern": "x/y"}, headers=HTMX
    )
    assert bad.status_code == 200 and "roles-editing" in _body(bad) and "cannot appear" in _body(bad)
    cancel = root_web.get(f"/clusters/{prod.pk}/access/{g.pk}/row/", headers=HTMX)
    assert "orders.*" in _body(cancel) and "roles-editing" not in _body(cancel)


def test_edit_without_htmx_is_a_full_page(root_web, alice, prod):
    g = grant(alice, prod, "viewer")
    assert "<h1>" in _body(root_web.get(f"/clusters/{prod.pk}/access/{g.pk}/edit/"))
    response = root_web.post(f"/clusters/{prod.pk}/access/{g.pk}/edit/", {"role": "operator", "topic_pattern": ""})
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.role == "operator" and g.read_messages is False


def test_remove_grant(root_web, alice, bob, prod):
    first, second = grant(alice, prod), grant(bob, prod)
    htmx = root_web.post(f"/clusters/{prod.pk}/access/{first.pk}/delete/", headers=HTMX)
    assert htmx.status_code == 200 and htmx.content == b""
    plain = root_web.post(f"/clusters/{prod.pk}/access/{second.pk}/delete/")
    assert plain.status_code == 302
    assert not Grant.objects.exists()
    assert AuditEvent.objects.filter(action="grant.delete").count() == 2
    assert "Removed the grant of bob" in _body(root_web.get(f"/clusters/{prod.pk}/access/"))


def test_grant_of_another_cluster_is_a_404_on_this_one(root_web, alice, prod):
    from clusters.models import Cluster

    other = Cluster.objects.create(name="other", bootstrap_servers="k:9092")
    g = grant(alice, other)
    assert root_web.post(f"/clusters/{prod.pk}/access/{g.pk}/delete/").status_code == 404
    assert Grant.objects.filter(pk=g.pk).exists()


# -- users -----------------------------------------------------------------------------------------


def test_users_page_empty_state(root_web):
    body = _body(root_web.get("/access/users/"))
    assert "Only you so far" in body and "Add user" in body


def test_create_user_then_edit_page(root_web):
    response = root_web.post(
        "/access/users/new/",
        {"username": "carol", "email": "c@example.com", "password": STRONG, "password_again": STRONG},
    )
    carol = User.objects.get(username="carol")
    assert response.status_code == 302 and response["Location"] == f"/access/users/{carol.pk}/"
    body = _body(root_web.get(response["Location"]))
    assert "They see no cluster until you grant them a role" in body
    assert "carol has no grant, so they see no cluster" in body
    assert STRONG not in body and carol.password not in body


def test_create_user_form_errors(root_web, alice):
    mismatch = root_web.post(
        "/access/users/new/", {"username": "carol", "password": STRONG, "password_again": STRONG + "x"}
    )
    assert "The two passwords differ" in _body(mismatch)
    weak = root_web.post("/access/users/new/", {"username": "carol", "password": "abc", "password_again": "abc"})
    assert 'class="field invalid" id="field-password"' in _body(weak) and "too short" in _body(weak)
    taken = root_web.post("/access/users/new/", {"username": "alice", "password": STRONG, "password_again": STRONG})
    assert 'class="field invalid" id="field-username"' in _body(taken)
    for response in (mismatch, weak, taken):
        assert STRONG not in _body(response) and 'value="abc"' not in _body(response)
    assert not User.objects.filter(username="carol").exists()


def test_edit_user_deactivate_and_reset_password(root_web, alice):
    response = root_web.post(f"/access/users/{alice.pk}/", {"email": "a2@example.com", "is_superuser": ""})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "a2@example.com" and not alice.is_active and not alice.is_superuser
    response = root_web.post(f"/access/users/{alice.pk}/password/", {"password": STRONG, "password_again": STRONG})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(STRONG)
    weak = root_web.post(f"/access/users/{alice.pk}/password/", {"password": "123", "password_again": "123"})
    assert weak.status_code == 200 and "too short" in _body(weak)
    assert AuditEvent.objects.filter(action="user.update").count() == 2


def test_own_edit_page_does_not_offer_demotion(root_web, root):
    body = _body(root_web.get(f"/access/users/{root.pk}/"))
    assert 'name="is_superuser"' not in body and "you cannot deactivate yourself" in body
    response = root_web.post(f"/access/users/{root.pk}/", {"email": "root2@example.com"})
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.email == "root2@example.com" and root.is_superuser and root.is_active


def test_own_password_change_keeps_the_session(root_web, root):
    root_web.post(f"/access/users/{root.pk}/password/", {"password": STRONG, "password_again": STRONG})
    assert root_web.get("/access/users/").status_code == 200


def test_inline_deactivate_and_self_refusal(root_web, root, alice):
    response = root_web.post(f"/access/users/{alice.pk}/active/", {"is_active": "false"}, headers=HTMX)
    assert response.status_code == 200 and "inactive" in _body(response) and "Activate" in _body(response)
    alice.refresh_from_db()
    assert not alice.is_active
    own = root_web.post(f"/access/users/{root.pk}/active/", {"is_active": "false"}, headers=HTMX)
    assert "cannot deactivate yourself" in _body(own)
    root.refresh_from_db()
    assert root.is_active


def test_users_list_shows_teams_and_grants(root_web, alice, ops, prod):
    ops.user_set.add(alice)
    grant(alice, prod)
    body = _body(root_web.get("/access/users/"))
    assert f'<tr id="user-{alice.pk}">' in body and ">ops</a>" in body
    assert "Only you so far" not in body


# -- teams -----------------------------------------------------------------------------------------


def test_teams_page_empty_state_and_create(root_web):
    assert "No teams yet" in _body(root_web.get("/access/teams/"))
    response = root_web.post("/access/teams/", {"name": "payments"})
    team = Group.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/access/teams/{team.pk}/"
    body = _body(root_web.get(response["Location"]))
    assert "No members yet" in body and "has no role on any cluster yet" in body
    duplicate = root_web.post("/access/teams/", {"name": "PAYMENTS"})
    assert "already exists" in _body(duplicate)


def test_team_members_rename_delete(root_web, alice, ops, prod):
    assert root_web.post(f"/access/teams/{ops.pk}/members/", {"user": alice.pk}).status_code == 302
    assert list(ops.user_set.all()) == [alice]
    page = _body(root_web.get(f"/access/teams/{ops.pk}/"))
    assert f"/access/teams/{ops.pk}/members/{alice.pk}/remove/" in page
    assert root_web.post(f"/access/teams/{ops.pk}/members/{alice.pk}/remove/").status_code == 302
    assert not ops.user_set.exists()
    assert root_web.post(f"/access/teams/{ops.pk}/rename/", {"name": "sre"}).status_code == 302
    ops.refresh_from_db()
    assert ops.name == "sre"
    grant(None, prod, team=ops)
    deleted = root_web.post(f"/access/teams/{ops.pk}/delete/", headers=HTMX)
    assert deleted.status_code == 204 and deleted["HX-Redirect"] == "/access/teams/"
    assert not Group.objects.exists() and not Grant.objects.exists()


# -- my access -------------------------------------------------------------------------------------


def test_my_access_page_for_a_plain_user(alice_web, alice, prod):
    assert "No cluster has been shared with you yet" in _body(alice_web.get("/access/me/"))
    grant(alice, prod, "operator", topic_pattern="payments.*", read_messages=True)
    body = _body(alice_web.get("/access/me/"))
    assert f'data-cluster="{prod.pk}"' in body and "<code>payments.*</code>" in body
    assert "on other topics" in body and "What the roles allow" in body


def test_my_access_page_for_a_superuser(root_web, prod):
    body = _body(root_web.get("/access/me/"))
    assert "You are a superuser" in body and f'data-cluster="{prod.pk}"' in body
