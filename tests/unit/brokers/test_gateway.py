"""Conversions in the brokers gateway, without a network: masking, quorum lag, features."""

import pytest

from clusters.gateway.brokers import (
    MASK,
    config_entry_from_raw,
    features_from_raw,
    quorum_from_raw,
)
from clusters.gateway.brokers import _field_for as field_for
from clusters.gateway.errors import KafkaRequestFailed


def test_sensitive_value_is_dropped_even_when_the_broker_sends_one():
    raw = {
        "name": "listener.name.plaintext.sasl.jaas.config",
        "value": "org.apache.kafka.common.security.plain.PlainLoginModule required password='hunter2';",
        "read_only": False,
        "config_source": 2,
        "is_sensitive": True,
        "synonyms": [{"name": "sasl.jaas.config", "value": "password='hunter2'", "source": 2}],
        "config_type": 9,
    }
    entry = config_entry_from_raw(raw)
    assert entry.sensitive is True
    assert entry.value is None
    assert entry.shown_value == MASK
    assert all(s.value is None for s in entry.synonyms)
    assert "hunter2" not in repr(entry)
    assert entry.source == "DYNAMIC_BROKER_CONFIG"
    assert entry.config_type == "PASSWORD"


def test_unset_sensitive_config_shows_no_mask():
    entry = config_entry_from_raw(
        {"name": "ssl.key.password", "value": None, "read_only": False, "config_source": 5, "is_sensitive": True}
    )
    assert entry.shown_value is None
    assert entry.is_default


def test_plain_config_keeps_value_source_and_synonyms_in_order():
    entry = config_entry_from_raw(
        {
            "name": "message.max.bytes",
            "value": "2000000",
            "read_only": False,
            "config_source": "DYNAMIC_BROKER_CONFIG",
            "is_sensitive": False,
            "synonyms": [
                {"name": "message.max.bytes", "value": "2000000", "source": "DYNAMIC_BROKER_CONFIG"},
                {"name": "message.max.bytes", "value": "1048588", "source": "DEFAULT_CONFIG"},
            ],
            "config_type": "INT",
        }
    )
    assert entry.shown_value == "2000000"
    assert [s.source for s in entry.synonyms] == ["DYNAMIC_BROKER_CONFIG", "DEFAULT_CONFIG"]
    assert not entry.read_only and not entry.is_default


def _quorum(voters, observers=(), leader=1, hw=100, error=None):
    return {
        "topics": [
            {
                "topic_name": "__cluster_metadata",
                "partitions": [
                    {
                        "partition_index": 0,
                        "leader_id": leader,
                        "leader_epoch": 3,
                        "high_watermark": hw,
                        "current_voters": list(voters),
                        "observers": list(observers),
                        "error": error,
                    }
                ],
            }
        ]
    }


def _replica(node, leo, ts=1_000):
    return {"replica_id": node, "log_end_offset": leo, "last_fetch_timestamp": ts, "last_caught_up_timestamp": ts}


def test_quorum_lag_is_measured_against_the_leaders_log_end():
    quorum = quorum_from_raw(
        _quorum([_replica(1, 120), _replica(2, 100), _replica(3, -1, ts=-1)], [_replica(4, 90)]), now_ms=3_000
    )
    assert quorum.leader_id == 1 and quorum.leader_epoch == 3
    lags = {r.node_id: r.lag for r in quorum.voters}
    assert lags == {1: 0, 2: 20, 3: None}
    assert quorum.voters[0].is_leader and not quorum.voters[1].is_leader
    assert quorum.voters[1].caught_up_ago_ms == 2_000
    assert quorum.voters[2].caught_up_ago_ms is None
    assert quorum.observers[0].lag == 30


def test_quorum_error_is_raised_as_ours():
    with pytest.raises(KafkaRequestFailed, match="metadata quorum"):
        quorum_from_raw(_quorum([], error="NotLeaderOrFollowerError"), now_ms=0)


def test_features_list_supported_and_finalized_levels():
    features = features_from_raw(
        {
            "metadata.version": {"supported": (7, 30), "finalized": (30, 30), "finalized_epoch": 5},
            "kraft.version": {"supported": (0, 1)},
        }
    )
    assert [f.name for f in features] == ["kraft.version", "metadata.version"]
    assert features[0].finalized_max is None
    assert (features[1].supported_max, features[1].finalized_max) == (30, 30)


def test_field_is_the_config_the_brokers_message_names():
    names = ["log.cleaner.threads", "message.max.bytes"]
    assert field_for("Invalid value x for configuration message.max.bytes: Not a number", names) == "message.max.bytes"
    assert field_for("something else", ["a.b"]) == "a.b"
    assert field_for("something else", names) is None


def test_a_dynamically_set_per_listener_config_is_not_read_only():
    # Brokers report listener.name.* entries read-only although they are set and deleted dynamically.
    entry = config_entry_from_raw(
        {
            "name": "listener.name.plaintext.plain.sasl.jaas.config",
            "value": None,
            "read_only": True,
            "config_source": 2,
            "is_sensitive": True,
        }
    )
    assert entry.read_only is False and entry.shown_value == MASK
