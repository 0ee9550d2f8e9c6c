"""The broker's own refusals are translated: without our DescribeGroups check in front,
committing offsets, deleting the group or its topic offsets while a member is active
raise KafkaGroupActive naming the member, and nothing changes."""

import pytest

from clusters.gateway import KafkaGroupActive, KafkaNotFound, KafkaRejected, group_admin

from .conftest import COMMITTED, COUNTS

pytestmark = pytest.mark.django_db


def test_broker_refusals_while_a_member_is_active_name_the_member(local_cluster, kafka, setup, live_member):
    settings = local_cluster.connection()
    with pytest.raises(KafkaGroupActive) as commit:
        group_admin.group_offsets_commit(settings, setup.group, {(setup.topic, 0): 0})
    assert "no active members. The broker answered" in commit.value.message
    assert [m.client_id for m in commit.value.members] == [live_member.client_id]
    with pytest.raises(KafkaGroupActive) as delete:
        group_admin.group_delete(settings, setup.group)
    assert live_member.client_id in delete.value.message
    with pytest.raises(KafkaGroupActive) as offsets:
        group_admin.group_offsets_delete(settings, setup.group, [(setup.topic, 0)])
    assert "subscribes to that topic" in offsets.value.message
    assert offsets.value.members[0].client_id == live_member.client_id
    assert kafka.committed(setup.group) == {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): COMMITTED[1]}


def test_positions_read_commits_ranges_and_times(local_cluster, setup):
    settings = local_cluster.connection()
    positions = group_admin.group_positions(settings, setup.group, timestamp_ms=setup.t0 + 3000)
    assert positions.committed == {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): COMMITTED[1]}
    assert positions.watermarks == {(setup.topic, 0): (0, COUNTS[0]), (setup.topic, 1): (0, COUNTS[1])}
    assert positions.at_timestamp == {(setup.topic, 0): (3, setup.t0 + 3000), (setup.topic, 1): (3, setup.t0 + 3000)}
    with pytest.raises(KafkaRejected) as missing_topic:
        group_admin.group_positions(settings, setup.group, topics=["gofs-no-such-topic"])
    assert missing_topic.value.field == "topic"


def test_deleting_an_unknown_group_is_not_found(local_cluster, setup):
    with pytest.raises(KafkaNotFound, match="does not exist"):
        group_admin.group_delete(local_cluster.connection(), f"{setup.group}-missing")
    with pytest.raises(KafkaNotFound, match="does not exist"):
        group_admin.group_offsets_delete(local_cluster.connection(), f"{setup.group}-missing", [(setup.topic, 0)])
