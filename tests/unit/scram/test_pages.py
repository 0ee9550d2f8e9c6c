"""SCRAM pages without a network: refusals, the create form's errors next to the field,
and password inputs that never carry a value back."""

import pytest

from access.models import AuditEvent
from tests.unit.scram.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def create_url(cluster):
    return f"/clusters/{cluster.pk}/scram-users/~new/"


def test_create_form_renders_new_password_inputs(client, superuser, cluster, kafka_calls):
    client.force_login(superuser)
    page = client.get(create_url(cluster))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('autocomplete="new-password"') == 2
    assert 'type="password"' in html and "SCRAM-SHA-256" in html and 'value="8192"' in html


def test_weak_password_is_shown_next_to_the_field_and_not_rendered_back(client, superuser, cluster, kafka_calls):
    client.force_login(superuser)
    weak = "zzzzzzzzzzzzzzzz"
    form = {"user": "alice", "mechanism": "SCRAM-SHA-512", "password": weak, "password_confirm": weak}
    page = client.post(create_url(cluster), {**form, "iterations": "8192"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "5 different characters" in html
    assert weak not in html
    assert 'value="alice"' in html  # the name is kept, the password is not
    assert AuditEvent.objects.get(action="scram.credential.set").result == "error"
    assert kafka_calls == []


def test_mismatched_passwords_stop_at_the_form(client, superuser, cluster, kafka_calls):
    client.force_login(superuser)
    form = {"user": "alice", "mechanism": "SCRAM-SHA-512", "iterations": "8192"}
    page = client.post(create_url(cluster), {**form, "password": PASSWORD, "password_confirm": PASSWORD + "x"})
    assert page.status_code == 400
    assert "The two passwords differ" in page.content.decode()
    assert PASSWORD not in page.content.decode()
    assert not AuditEvent.objects.exists() and kafka_calls == []


@pytest.mark.parametrize("who", ["viewer", "operator"])
def test_pages_refuse_non_admins(request, client, cluster, kafka_calls, who):
    client.force_login(request.getfixturevalue(who))
    base = f"/clusters/{cluster.pk}/scram-users/"
    assert client.get(base).status_code == 403
    assert client.get(create_url(cluster)).status_code == 403
    posted = client.post(create_url(cluster), {"user": "alice", "password": PASSWORD, "password_confirm": PASSWORD})
    assert posted.status_code == 403
    assert client.post(f"{base}alice/delete/", {"confirm": "alice"}).status_code == 403
    assert client.get(f"{base}alice/password/").status_code == 403
    assert kafka_calls == []


def test_read_only_cluster_refuses_the_create_page(client, superuser, cluster, kafka_calls):
    cluster.read_only = True
    cluster.save()
    client.force_login(superuser)
    assert client.get(create_url(cluster)).status_code == 403
    assert kafka_calls == []


def test_pages_need_a_login(client, cluster):
    response = client.get(f"/clusters/{cluster.pk}/scram-users/")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(("can_edit", "fragment"), [(True, "Create the first user"), (False, "Ask an admin")])
def test_empty_state_says_what_to_do_next(rf, cluster, can_edit, fragment):
    from django.template.loader import render_to_string

    request = rf.get("/")
    html = render_to_string(
        "scram/list.html", {"cluster": cluster, "users": (), "can_edit": can_edit, "own_login": None}, request=request
    )
    assert 'id="scram-empty"' in html and fragment in html
    assert ("/scram-users/~new/" in html) is can_edit


@pytest.mark.parametrize("name", ["alice", "made/by cli", "odd?name#1", "x%y", "~new"])
def test_user_names_survive_the_round_trip_through_urls(name):
    from urllib.parse import unquote

    from django.urls import resolve, reverse

    # Django resolves the decoded path, as a request's path_info is.
    for route in ("scram:password", "scram:delete"):
        match = resolve(unquote(reverse(route, args=[7, name])))
        assert match.kwargs == {"cluster_id": 7, "name": name}
    match = resolve(unquote(reverse("scram-user-detail", args=[7, name])))
    assert match.kwargs == {"cluster_id": 7, "name": name} and match.url_name == "scram-user-detail"
