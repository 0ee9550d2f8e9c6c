"""Reading typed configs, masking secrets, choosing a Connect cluster."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clusters.models import Cluster
from connectors.config_text import config_from_text, config_to_text
from connectors.connect import ConnectNotConfigured
from connectors.selectors import MASK, connect_target, mask_config


def test_key_value_lines_with_comments():
    text = "# source\nconnector.class = FileStreamSource\n\ntopic=t1\nfile=/tmp/a=b\n"
    assert config_from_text(text) == {"connector.class": "FileStreamSource", "topic": "t1", "file": "/tmp/a=b"}


def test_json_object_and_connect_shape():
    assert config_from_text('{"tasks.max": 1, "errors.tolerance": "all", "x": true}') == {
        "tasks.max": "1",
        "errors.tolerance": "all",
        "x": "true",
    }
    assert config_from_text('{"name": "n", "config": {"topic": "t"}}') == {"topic": "t"}


@pytest.mark.parametrize("text", ["", "{not json", "just words", '{"a": {"b": 1}}'])
def test_bad_config_text_names_the_config_field(text):
    with pytest.raises(ValidationError) as caught:
        config_from_text(text)
    assert "config" in caught.value.message_dict


def test_round_trip_to_text():
    config = {"b": "2", "a": "1"}
    assert config_from_text(config_to_text(config)) == config


def test_mask_hides_secret_looking_values_only():
    masked = mask_config(
        {
            "connection.password": "pw",
            "aws.secret.access": "s",
            "auth.token": "t",
            "gcp.credentials.json": "c",
            "ssl.key": "k",
            "api.key": "k2",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "topic": "t1",
            "empty.password": "",
        }
    )
    assert masked["connection.password"] == MASK
    assert masked["aws.secret.access"] == MASK
    assert masked["auth.token"] == MASK
    assert masked["gcp.credentials.json"] == MASK
    assert masked["ssl.key"] == MASK and masked["api.key"] == MASK
    assert masked["key.converter"] == "org.apache.kafka.connect.json.JsonConverter"
    assert masked["topic"] == "t1"
    assert masked["empty.password"] == ""


def test_connect_target_by_index_name_or_default():
    cluster = Cluster(name="c", connect_urls=["http://a:8083", "http://b:8083/"])
    assert connect_target(cluster=cluster, ref=None).url == "http://a:8083"
    assert connect_target(cluster=cluster, ref="1").url == "http://b:8083"
    assert connect_target(cluster=cluster, ref="b-8083").index == 1
    with pytest.raises(ConnectNotConfigured, match="known: 0 \\(a-8083\\), 1 \\(b-8083\\)"):
        connect_target(cluster=cluster, ref="9")


def test_no_connect_url_says_where_to_add_one():
    with pytest.raises(ConnectNotConfigured, match="add one in the cluster's settings") as caught:
        connect_target(cluster=Cluster(name="c", connect_urls=[]), ref=None)
    assert caught.value.field == "connect"
