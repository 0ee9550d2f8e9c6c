"""ACLs made through our API really decide what a Kafka client may do: as a fresh SCRAM
principal, producing or consuming is denied, then allowed after the wizard's ACLs, then
denied again after a previewed delete. Against the SASL broker with the StandardAuthorizer."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from access.models import AuditEvent
from tests.grants import grant
from tests.integration.acls.conftest import eventually, unique

pytestmark = pytest.mark.django_db

DENIED_TOPIC = "TopicAuthorizationFailedError"
DENIED_GROUP = "GroupAuthorizationFailedError"


@pytest.fixture
def admin_api(sasl_cluster):
    """An admin of the cluster (a grant, not a superuser)."""
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-ada-123")
    grant(user, sasl_cluster, "admin")
    client = APIClient()
    client.force_authenticate(user)
    return client


def base(cluster):
    return f"/api/v1/clusters/{cluster.pk}/acls/"


def delete_through_preview(api, cluster, filters):
    preview = api.post(base(cluster) + "delete-preview/", filters, format="json")
    assert preview.status_code == 200, preview.content
    response = api.post(
        base(cluster) + "delete/", {**filters, "fingerprint": preview.json()["fingerprint"]}, format="json"
    )
    assert response.status_code == 200, response.content
    return preview.json(), response.json()


def test_producer_wizard_allows_producing_and_the_delete_takes_it_away(admin_api, sasl_cluster, principal, topic):
    assert eventually(lambda: principal.produce(topic), lambda r: r == DENIED_TOPIC) == DENIED_TOPIC

    created = admin_api.post(
        base(sasl_cluster) + "wizard/",
        {"preset": "producer", "principal": principal.principal, "topic": topic},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert {(b["resource_type"], b["resource_name"], b["operation"]) for b in created.json()["created"]} == {
        ("TOPIC", topic, "WRITE"),
        ("TOPIC", topic, "DESCRIBE"),
    }
    assert eventually(lambda: principal.produce(topic, b"allowed"), lambda r: r == "ok") == "ok"

    preview, deleted = delete_through_preview(admin_api, sasl_cluster, {"principal": principal.principal})
    assert preview["count"] == 2
    assert deleted["count"] == 2
    assert {b["operation"] for b in deleted["deleted"]} == {"WRITE", "DESCRIBE"}
    assert eventually(lambda: principal.produce(topic), lambda r: r == DENIED_TOPIC) == DENIED_TOPIC

    events = {e.action: e for e in AuditEvent.objects.filter(result="ok")}
    assert {b["operation"] for b in events["acl.wizard"].after} == {"WRITE", "DESCRIBE"}
    assert events["acl.wizard"].before == []
    assert len(events["acl.delete"].before) == 2 and events["acl.delete"].after == []


def test_consumer_wizard_allows_reading_in_its_group_only(admin_api, sasl_cluster, principal, topic, kafka_admin):
    from kafka import KafkaProducer

    from tests.integration.acls.conftest import _config

    env = principal.sasl_env
    producer = KafkaProducer(**_config(env, env["KAFKA_SASL_USERNAME"], env["KAFKA_SASL_PASSWORD"]))
    producer.send(topic, b"for-the-consumer").get(timeout=10)
    producer.close()
    group, other_group = unique("acl-group"), unique("acl-other")

    assert eventually(lambda: principal.consume(topic, group), lambda r: r == DENIED_GROUP) == DENIED_GROUP

    created = admin_api.post(
        base(sasl_cluster) + "wizard/",
        {"preset": "consumer", "principal": principal.principal, "topic": topic, "group": group},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert len(created.json()["created"]) == 3
    assert eventually(lambda: principal.consume(topic, group), lambda r: isinstance(r, list)) == [b"for-the-consumer"]
    # The ACL names one group: any other group id is still refused.
    assert principal.consume(topic, other_group) == DENIED_GROUP

    preview, deleted = delete_through_preview(
        admin_api, sasl_cluster, {"principal": principal.principal, "resource_type": "GROUP"}
    )
    assert [b["resource_name"] for b in preview["results"]] == [group]
    assert deleted["count"] == 1
    assert eventually(lambda: principal.consume(topic, group), lambda r: r == DENIED_GROUP) == DENIED_GROUP
    # Only the group ACL went: the topic ACLs are still there.
    remaining = admin_api.get(base(sasl_cluster), {"principal": principal.principal}).json()
    assert {(b["resource_type"], b["operation"]) for b in remaining["results"]} == {
        ("TOPIC", "READ"),
        ("TOPIC", "DESCRIBE"),
    }


def test_prefixed_producer_acl_covers_every_topic_with_the_prefix(admin_api, sasl_cluster, principal, kafka_admin):
    from kafka.admin import NewTopic

    prefix = unique("acl-pfx") + "."
    inside, outside = prefix + "eu", unique("acl-outside")
    kafka_admin.create_topics([NewTopic(inside, 1, 1), NewTopic(outside, 1, 1)])
    try:
        created = admin_api.post(
            base(sasl_cluster) + "wizard/",
            {"preset": "producer", "principal": principal.principal, "topic": prefix, "prefixed": True},
            format="json",
        )
        assert created.status_code == 201, created.content
        assert {b["pattern_type"] for b in created.json()["created"]} == {"PREFIXED"}
        assert eventually(lambda: principal.produce(inside), lambda r: r == "ok") == "ok"
        assert principal.produce(outside) == DENIED_TOPIC
        matched = admin_api.get(
            base(sasl_cluster), {"resource_type": "TOPIC", "resource_name": inside, "pattern_type": "MATCH"}
        ).json()
        assert {b["resource_name"] for b in matched["results"]} == {prefix}
    finally:
        kafka_admin.delete_topics([inside, outside])
