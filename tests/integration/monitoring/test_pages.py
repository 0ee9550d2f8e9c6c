"""The live pages as served after real polls of the real broker: chart specifications,
the dashboard's tables, the subscriptions a page asks for, and the poll journal."""

import json
import re
import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from monitoring.services import cluster_poll

pytestmark = pytest.mark.django_db(transaction=True)


def _chart_config(html: str, slug: str) -> dict:
    match = re.search(rf'id="chart-{slug}" data-chart="([^"]+)"', html)
    assert match, f"chart {slug} missing"
    return json.loads(match.group(1).replace("&quot;", '"'))


@pytest.fixture
def busy_topic(stack_env):
    name = f"pages-{uuid.uuid4().hex[:8]}"
    group = f"pages-reader-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    admin.create_topics([NewTopic(name, 2, 1)])
    admin.close()
    consumer = KafkaConsumer(name, bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"], group_id=group)
    consumer.poll(timeout_ms=3000)
    consumer.commit()
    consumer.close()
    return name, group


def _produce(bootstrap: str, topic: str, n: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(n):
        producer.send(topic, f"v{i}".encode())
    producer.flush()
    producer.close()


def test_dashboard_topic_and_group_pages_after_real_polls(page, local_cluster, stack_env, busy_topic):
    topic, group = busy_topic
    local_cluster.metrics_urls = [stack_env["KAFKA_METRICS_URLS"].split(",")[0]]
    local_cluster.save()
    cluster_poll(cluster=local_cluster)
    _produce(stack_env["KAFKA_BOOTSTRAP"], topic, 50)
    time.sleep(0.5)
    cluster_poll(cluster=local_cluster)

    html = page.get(f"/clusters/{local_cluster.pk}/").content.decode()
    assert _chart_config(html, "messages")["traces"][0]["kind"] == "cluster.messages_in_per_s"
    assert [t["name"] for t in _chart_config(html, "bytes")["traces"]] == ["in", "out"]
    assert _chart_config(html, "groups")["stack"] is True
    top = html.split('id="top-topics"')[1].split("</table>")[0]
    assert topic in top  # the busiest topic right now
    assert 'data-status="OK"' in html and "Broker health" in html
    assert f'data-broker-url="{local_cluster.metrics_urls[0]}"' in html

    html = page.get(f"/clusters/{local_cluster.pk}/topics/{topic}/").content.decode()
    config = _chart_config(html, "messages")
    assert config["traces"] == [{"kind": "topic.messages_per_s", "key": topic, "name": topic, "color": ""}]
    assert f'"topic": "{topic}"' in html  # the page subscribes to its topic's points

    html = page.get(f"/clusters/{local_cluster.pk}/groups/{group}/").content.decode()
    lag = _chart_config(html, "lag")
    assert [t["key"] for t in lag["traces"]] == [group, f"{topic}@{group}"]
    assert _chart_config(html, "lag-seconds")["unit"] == "s"


def test_poll_journal_records_each_poll(api, local_cluster):
    cluster_poll(cluster=local_cluster)
    local_cluster.bootstrap_servers = "127.0.0.1:1"
    local_cluster.save()
    cluster_poll(cluster=local_cluster)
    polls = api.get(f"/api/v1/clusters/{local_cluster.pk}/polls/?limit=2").json()["polls"]
    assert [p["outcome"] for p in polls] == ["unreachable", "ok"]
    assert "refused" in polls[0]["error"]
    assert polls[1]["finished"] >= polls[1]["started"] and polls[1]["duration_ms"] > 0
