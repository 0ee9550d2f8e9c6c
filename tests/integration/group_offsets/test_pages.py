"""The reset, group delete and offsets delete pages against the real broker."""

import pytest
from django.test import Client

from access.models import AuditEvent
from tests.grants import grant

from .conftest import COMMITTED, COUNTS

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_url(cluster, group, name):
    return f"/clusters/{cluster.pk}/groups/{group}/{name}/"


def form(setup, **change):
    data = {"scope": "topic", "topic": setup.topic, "partitions": "", "strategy": "earliest"}
    data.update(change)
    return data


def test_reset_page_shows_current_offsets_and_the_form(page, local_cluster, setup):
    response = page.get(page_url(local_cluster, setup.group, "reset"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="group-offsets"' in html and f'data-tp="{setup.topic}/0"' in html
    assert 'name="strategy"' in html and 'value="timestamp"' in html and 'name="scope"' in html
    assert 'hx-target="#reset-preview"' in html and ">Apply</button>" in html
    assert f'<option value="{setup.topic}">' in html  # the group's topics offered for "one topic"


def test_preview_fragment_shows_old_to_new_and_changes_nothing(page, local_cluster, kafka, setup):
    data = form(setup, strategy="shift", shift="-10", action="preview")
    response = page.post(page_url(local_cluster, setup.group, "reset"), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="reset-verdict"' in html and "<html" not in html
    assert f'data-tp="{setup.topic}/0" data-before="{COMMITTED[0]}" data-after="0"' in html
    assert f'data-tp="{setup.topic}/1" data-before="{COMMITTED[1]}" data-after="0"' in html
    assert "clamped to 0" in html and "2 partitions would change" in html
    assert kafka.committed(setup.group) == {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): COMMITTED[1]}
    assert not AuditEvent.objects.filter(action="group.offsets.reset").exists()


def test_preview_of_bad_input_names_the_field(page, local_cluster, setup):
    data = form(setup, strategy="offset", offset="99", action="preview")
    html = page.post(page_url(local_cluster, setup.group, "reset"), data, **HTMX).content.decode()
    assert 'data-field="offset"' in html and "accepts 0 to 10" in html
    data = form(setup, strategy="timestamp", timestamp="2999-01-01T00:00", action="preview")
    html = page.post(page_url(local_cluster, setup.group, "reset"), data, **HTMX).content.decode()
    assert 'data-field="timestamp"' in html and "in the future" in html


def test_apply_commits_and_redirects_to_the_group(page, local_cluster, kafka, setup):
    data = form(setup, scope="partitions", partitions="0", strategy="latest", action="apply")
    response = page.post(page_url(local_cluster, setup.group, "reset"), data)
    assert response.status_code == 302
    assert f"/groups/{setup.group}/" in response["Location"]
    assert kafka.committed(setup.group) == {(setup.topic, 0): COUNTS[0], (setup.topic, 1): COMMITTED[1]}
    assert AuditEvent.objects.get(action="group.offsets.reset", target=setup.group).after["offsets"] == {
        f"{setup.topic}/0": COUNTS[0]
    }


def test_apply_with_bad_input_shows_the_error_next_to_the_field(page, local_cluster, kafka, setup):
    data = form(setup, strategy="shift", shift="", action="apply")
    response = page.post(page_url(local_cluster, setup.group, "reset"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="field-shift"' in html and "required for this strategy" in html
    assert kafka.committed(setup.group)[(setup.topic, 0)] == COMMITTED[0]


def test_active_group_is_refused_plainly_with_its_members(page, local_cluster, kafka, setup, live_member):
    url = page_url(local_cluster, setup.group, "reset")
    html = page.get(url).content.decode()
    assert 'id="group-in-use"' in html and live_member.client_id in html
    preview = page.post(url, form(setup, action="preview"), **HTMX).content.decode()
    assert "is in use" in preview and live_member.client_id in preview and 'id="group-members"' in preview
    response = page.post(url, form(setup, action="apply"))
    assert response.status_code == 409 and live_member.client_id in response.content.decode()
    response = page.post(page_url(local_cluster, setup.group, "delete"), {"confirm": setup.group})
    assert response.status_code == 409 and live_member.client_id in response.content.decode()
    response = page.post(page_url(local_cluster, setup.group, "delete-offsets"), {"topic": setup.topic})
    assert response.status_code == 409 and "reads this topic" in response.content.decode()
    assert kafka.committed(setup.group) == {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): COMMITTED[1]}


def test_delete_group_needs_the_typed_name(page, local_cluster, kafka, setup):
    url = page_url(local_cluster, setup.group, "delete")
    html = page.get(url).content.decode()
    assert f"Type <code>{setup.group}</code> to confirm" in html and "2 offsets" in html
    response = page.post(url, {"confirm": setup.group.upper()})
    assert response.status_code == 400 and "exactly to confirm" in response.content.decode()
    assert kafka.group_exists(setup.group)
    response = page.post(url, {"confirm": setup.group})
    assert response.status_code == 302
    assert not kafka.group_exists(setup.group)
    assert AuditEvent.objects.filter(action="group.delete", target=setup.group, result="ok").exists()


def test_delete_offsets_page_removes_one_topic(page, local_cluster, kafka, setup):
    other = kafka.topic(counts=(2,))
    kafka.commit(setup.group, {(other, 0): 1})
    url = page_url(local_cluster, setup.group, "delete-offsets")
    html = page.get(f"{url}?topic={setup.topic}").content.decode()
    assert f'<option value="{setup.topic}" selected>' in html and f'<option value="{other}">' in html
    response = page.post(url, {"topic": setup.topic})
    assert response.status_code == 302
    assert kafka.committed(setup.group) == {(other, 0): 1}


def test_unknown_group_pages_are_404_with_the_reason(page, local_cluster, setup):
    missing = f"{setup.group}-missing"
    for name in ("reset", "delete", "delete-offsets"):
        response = page.get(page_url(local_cluster, missing, name))
        assert response.status_code == 404
        assert f"Consumer group &#x27;{missing}&#x27; does not exist" in response.content.decode()


def test_viewer_and_read_only_cluster_are_refused(page, local_cluster, kafka, setup, viewer):
    url = page_url(local_cluster, setup.group, "reset")
    as_viewer = Client()
    as_viewer.force_login(viewer)
    assert as_viewer.get(url).status_code == 404  # no grant: the cluster does not exist for them
    grant(viewer, local_cluster, "viewer")
    assert as_viewer.get(url).status_code == 403
    assert as_viewer.post(url, form(setup, action="apply")).status_code == 403
    local_cluster.read_only = True
    local_cluster.save()
    assert page.post(url, form(setup, action="apply")).status_code == 403
    assert page.post(page_url(local_cluster, setup.group, "delete"), {"confirm": setup.group}).status_code == 403
    assert kafka.committed(setup.group) == {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): COMMITTED[1]}
