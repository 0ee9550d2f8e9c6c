"""The ACL pages against the real SASL broker: list with filters and counts, create, the
wizard, and delete as filter -> preview -> confirm; the no-authorizer empty state."""

import pytest
from django.contrib.auth import get_user_model

from clusters.gateway import acls as gateway
from tests.grants import grant
from tests.integration.acls.conftest import unique

pytestmark = pytest.mark.django_db


def _login(client, cluster, name, role):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", f"pw-{name}-123")
    grant(user, cluster, role)
    client.force_login(user)
    return user


def test_create_list_and_delete_through_the_pages(client, sasl_cluster):
    _login(client, sasl_cluster, "ada", "admin")
    pk, who = sasl_cluster.pk, f"User:{unique('page')}"
    try:
        created = client.post(
            f"/clusters/{pk}/acls/new/",
            {
                "principal": who,
                "resource_type": "TOPIC",
                "resource_name": "orders",
                "pattern_type": "LITERAL",
                "operation": "READ",
                "permission": "ALLOW",
                "host": "*",
            },
        )
        assert created.status_code == 302, created.content.decode()[:2000]
        page = client.get(created["Location"])
        html = page.content.decode()
        assert page.status_code == 200
        assert f'data-acl="{who}|TOPIC|orders|LITERAL|READ|ALLOW|*"' in html
        assert 'id="acl-count">1<' in html
        assert "Created 1 ACL" in html
        assert 'id="acl-create"' in html and 'id="acl-delete-matching"' in html

        wizard = client.post(
            f"/clusters/{pk}/acls/wizard/",
            {
                "preset": "consumer",
                "principal": who,
                "topic": "orders",
                "group": "billing",
                "host": "*",
                "action": "apply",
            },
        )
        assert wizard.status_code == 302
        html = client.get(wizard["Location"]).content.decode()
        assert 'id="acl-count">3<' in html  # READ existed already: DESCRIBE on the topic and READ on the group are new
        assert "Already there (unchanged)" in html

        table = client.get(
            f"/clusters/{pk}/acls/", {"principal": who, "resource_type": "GROUP"}, HTTP_HX_REQUEST="true"
        )
        fragment = table.content.decode()
        assert "<html" not in fragment and f'data-acl="{who}|GROUP|billing|LITERAL|READ|ALLOW|*"' in fragment
        assert 'id="acl-count">1<' in fragment

        preview = client.get(
            f"/clusters/{pk}/acls/delete/", {"principal": who, "resource_type": "TOPIC", "preview": "1"}
        )
        html = preview.content.decode()
        assert preview.status_code == 200 and 'id="acl-preview-table"' in html
        assert html.count(f'data-acl="{who}|TOPIC|') == 2
        fingerprint = html.split('name="fingerprint" value="')[1].split('"')[0]
        confirmed = client.post(
            f"/clusters/{pk}/acls/delete/", {"principal": who, "resource_type": "TOPIC", "fingerprint": fingerprint}
        )
        assert confirmed.status_code == 302
        assert "Deleted 2 ACL(s)" in client.get(confirmed["Location"]).content.decode()
        left = gateway.acls_describe(sasl_cluster.connection(), gateway.AclFilter(principal=who))
        assert [(b.resource_type, b.resource_name) for b in left] == [("GROUP", "billing")]

        again = client.post(
            f"/clusters/{pk}/acls/delete/", {"principal": who, "resource_type": "TOPIC", "fingerprint": fingerprint}
        )
        assert again.status_code == 400 and "matches no ACL" in again.content.decode()
    finally:
        gateway.acls_delete(sasl_cluster.connection(), [gateway.AclFilter(principal=who)])


def test_operator_sees_the_list_without_change_controls(client, sasl_cluster):
    _login(client, sasl_cluster, "olga", "operator")
    page = client.get(f"/clusters/{sasl_cluster.pk}/acls/", {"principal": f"User:{unique('nobody')}"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="acl-none-match"' in html
    assert 'id="acl-create"' not in html and 'id="acl-delete"' not in html and 'id="acl-wizard"' not in html


def test_bad_filter_is_shown_next_to_the_form(client, sasl_cluster):
    _login(client, sasl_cluster, "olga", "operator")
    page = client.get(f"/clusters/{sasl_cluster.pk}/acls/", {"principal": "alice"})
    assert page.status_code == 400
    assert "has no &#x27;:&#x27;" in page.content.decode()


def test_no_authorizer_is_an_empty_state_not_an_error(client, local_cluster):
    _login(client, local_cluster, "ada", "admin")
    page = client.get(f"/clusters/{local_cluster.pk}/acls/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="acl-no-authorizer"' in html and "authorizer.class.name" in html
    assert 'id="acl-create"' not in html  # nothing to create on a cluster that keeps no ACLs
    created = client.post(
        f"/clusters/{local_cluster.pk}/acls/new/",
        {"principal": "User:alice", "resource_type": "TOPIC", "resource_name": "t", "operation": "READ"},
    )
    assert created.status_code == 400 and 'id="acl-no-authorizer"' in created.content.decode()
