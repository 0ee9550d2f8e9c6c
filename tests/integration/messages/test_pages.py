"""The message pages against the real broker: the same services as the API."""

import pytest

from access.models import Grant
from tests.grants import grant

pytestmark = pytest.mark.django_db


def _page(cluster, topic, what="messages"):
    return f"/clusters/{cluster.pk}/topics/{topic}/{what}/"


def test_produce_page_shows_partition_and_offset_then_browse_page_lists_it(
    client, admin_user, local_cluster, make_topic
):
    topic = make_topic(partitions=2)
    client.force_login(admin_user)
    form = client.get(_page(local_cluster, topic, "produce"))
    assert form.status_code == 200 and 'id="produce-form"' in form.content.decode()
    response = client.post(
        _page(local_cluster, topic, "produce"),
        {
            "key": "page-key",
            "key_format": "text",
            "value": '{"from": "page"}',
            "value_format": "json",
            "partition": "1",
            "header_key": ["origin", ""],
            "header_value": ["browser", ""],
        },
    )
    html = response.content.decode()
    assert response.status_code == 200, html
    assert 'id="produced-partition">1<' in html and 'id="produced-offset">0<' in html

    page = client.get(_page(local_cluster, topic), {"start": "earliest"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-partition="1" data-offset="0"' in html
    assert "page-key" in html and "origin" in html and "browser" in html and "CreateTime" in html
    assert f"/api/v1/clusters/{local_cluster.pk}/topics/{topic}/messages/download/?start=earliest" in html


def test_browse_page_filters_and_continue_link(client, admin_user, local_cluster, make_topic, producer):
    topic = make_topic()
    for i in range(6):
        producer.send(topic, f"v{i}".encode(), key=b"even" if i % 2 == 0 else b"odd")
    client.force_login(admin_user)
    page = client.get(_page(local_cluster, topic), {"start": "earliest", "key": "even", "key_match": "exact"})
    html = page.content.decode()
    assert html.count('data-partition="0"') == 3
    assert 'data-offset="1"' not in html
    page = client.get(_page(local_cluster, topic), {"start": "earliest", "max_scan": "4"})
    html = page.content.decode()
    assert 'data-reason="scan_limit"' in html and "cursor=0%3A4" in html
    follow = client.get(_page(local_cluster, topic), {"start": "earliest", "max_scan": "4", "cursor": "0:4"})
    html = follow.content.decode()
    assert 'data-offset="4"' in html and 'data-offset="5"' in html and 'data-offset="3"' not in html
    htmx = client.get(_page(local_cluster, topic), {"start": "earliest"}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode() and 'id="messages"' in htmx.content.decode()


def test_browse_page_shows_bad_input_next_to_the_field(client, admin_user, local_cluster, make_topic):
    topic = make_topic()
    client.force_login(admin_user)
    page = client.get(_page(local_cluster, topic), {"start": "offset", "offset": "10"})
    assert page.status_code == 400
    assert 'class="field invalid" id="field-offset"' in page.content.decode()
    assert "beyond the end" in page.content.decode()
    page = client.get(_page(local_cluster, topic), {"start": "timestamp", "timestamp": "2999-01-01T00:00:00"})
    assert page.status_code == 400 and 'class="field invalid" id="field-timestamp"' in page.content.decode()


def test_produce_page_shows_errors_next_to_the_field(client, admin_user, local_cluster, make_topic):
    topic = make_topic(partitions=2)
    client.force_login(admin_user)
    response = client.post(_page(local_cluster, topic, "produce"), {"value": "x", "partition": "5"})
    assert response.status_code == 400
    assert 'class="field invalid" id="field-partition"' in response.content.decode()
    response = client.post(_page(local_cluster, topic, "produce"), {"value": "{", "value_format": "json"})
    assert response.status_code == 400 and 'class="field invalid" id="field-value"' in response.content.decode()


def test_viewer_may_browse_page_but_not_produce_page(client, viewer, local_cluster, make_topic, producer):
    topic = make_topic()
    producer.send(topic, b"seen-by-viewer")
    client.force_login(viewer)
    assert client.get(_page(local_cluster, topic), {"start": "earliest"}).status_code == 404  # no grant yet
    grant(viewer, local_cluster, "viewer")
    # Without the read-messages flag the payloads stay hidden.
    refused = client.get(_page(local_cluster, topic), {"start": "earliest"})
    assert refused.status_code == 403 and "seen-by-viewer" not in refused.content.decode()
    Grant.objects.filter(user=viewer).update(read_messages=True)
    page = client.get(_page(local_cluster, topic), {"start": "earliest"})
    assert page.status_code == 200 and "seen-by-viewer" in page.content.decode()
    assert 'id="produce-link"' not in page.content.decode()
    assert client.get(_page(local_cluster, topic, "produce")).status_code == 403
    assert client.post(_page(local_cluster, topic, "produce"), {"value": "x"}).status_code == 403


def test_read_only_cluster_produce_page_is_refused(client, admin_user, local_cluster, make_topic):
    topic = make_topic()
    local_cluster.read_only = True
    local_cluster.save()
    client.force_login(admin_user)
    assert client.post(_page(local_cluster, topic, "produce"), {"value": "x"}).status_code == 403


def test_unknown_topic_page_is_a_404_error_page(client, admin_user, local_cluster):
    client.force_login(admin_user)
    page = client.get(_page(local_cluster, "not-a-topic-at-all"))
    assert page.status_code == 404 and "does not exist" in page.content.decode()
