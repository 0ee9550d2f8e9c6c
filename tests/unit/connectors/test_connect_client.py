"""The Connect client without a network: Connect's answers and failures become our errors."""

from __future__ import annotations

import json

import pytest
import requests

from connectors import connect
from connectors.connect import (
    ConnectConflict,
    ConnectError,
    ConnectNotFound,
    ConnectRejected,
    ConnectTarget,
    ConnectTimeout,
    ConnectUnreachable,
)

TARGET = ConnectTarget(index=0, name="connect-a-8083", url="http://connect-a:8083", max_response_bytes=1000)


class FakeResponse:
    def __init__(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        self.headers = headers or {}
        self.is_redirect = 300 <= status < 400 and "Location" in self.headers

    def iter_content(self, size: int):
        for i in range(0, len(self.raw), size):
            yield self.raw[i : i + size]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def answer(monkeypatch):
    """Queue answers (FakeResponse or an exception) for requests.request; records the calls."""
    queue: list[object] = []
    calls: list[tuple[str, str, dict]] = []

    def fake(method, url, **kwargs):
        calls.append((method, url, kwargs))
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    monkeypatch.setattr(connect.requests, "request", fake)
    return queue, calls


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, ConnectNotFound), (409, ConnectConflict), (400, ConnectRejected), (500, ConnectError)],
)
def test_http_errors_carry_connects_message_and_url(answer, status, error):
    queue, _ = answer
    queue.append(FakeResponse(status, {"error_code": status, "message": "Connector x not found or busy"}))
    with pytest.raises(error) as caught:
        connect.connector_status(TARGET, "x")
    assert "Connector x not found or busy" in caught.value.message
    assert "http://connect-a:8083" in caught.value.message
    if status == 500:
        assert not isinstance(caught.value, ConnectRejected | ConnectNotFound | ConnectConflict)


def test_refused_connection_is_unreachable_with_url_and_wait(answer):
    queue, _ = answer
    queue.append(requests.ConnectionError("Max retries exceeded: [Errno 111] Connection refused"))
    with pytest.raises(ConnectUnreachable) as caught:
        connect.worker_info(TARGET)
    assert not isinstance(caught.value, ConnectTimeout)
    assert "connection refused" in caught.value.message
    assert "http://connect-a:8083/" in caught.value.message
    assert " s)" in caught.value.message  # how long we waited
    assert "cluster's settings" in caught.value.message


def test_timeout_says_how_long_and_the_limits(answer):
    queue, calls = answer
    queue.append(requests.ReadTimeout("read timed out"))
    with pytest.raises(ConnectTimeout) as caught:
        connect.connectors(TARGET)
    assert "did not answer within" in caught.value.message
    assert "read 10 s" in caught.value.message
    assert calls[0][2]["timeout"] == (3.0, 10.0)
    assert calls[0][2]["allow_redirects"] is False


def test_oversized_answer_is_refused(answer):
    queue, _ = answer
    queue.append(FakeResponse(200, b"[" + b" " * 5000 + b"]"))
    with pytest.raises(ConnectError, match="more than 1000 bytes"):
        connect.plugins(TARGET)


def test_redirect_to_another_host_is_not_followed(answer):
    queue, calls = answer
    queue.append(FakeResponse(307, None, {"Location": "http://evil.example:8083/connectors"}))
    with pytest.raises(ConnectError, match="another host"):
        connect.connectors(TARGET)
    assert len(calls) == 1


def test_redirect_on_the_same_host_is_followed(answer):
    queue, calls = answer
    queue.append(FakeResponse(307, None, {"Location": "/v2/"}))
    queue.append(FakeResponse(200, {"version": "4.3.1", "commit": "abc", "kafka_cluster_id": "K1"}))
    info = connect.worker_info(TARGET)
    assert info.version == "4.3.1" and info.kafka_cluster_id == "K1"
    assert calls[1][1] == "http://connect-a:8083/v2/"


def test_validate_maps_errors_to_field_names(answer):
    queue, calls = answer
    queue.append(
        FakeResponse(
            200,
            {
                "name": "FileStreamSource",
                "error_count": 2,
                "configs": [
                    {"definition": {"name": "name"}, "value": {"name": "name", "errors": []}},
                    {
                        "definition": {"name": "tasks.max"},
                        "value": {"name": "tasks.max", "errors": ["Invalid value x for configuration tasks.max"]},
                    },
                    {"definition": {"name": "topic"}, "value": {"name": "topic", "errors": ["Missing topic"]}},
                ],
            },
        )
    )
    result = connect.config_validate(TARGET, "FileStreamSource", {"connector.class": "FileStreamSource"})
    assert not result.ok
    assert result.errors == {
        "tasks.max": ("Invalid value x for configuration tasks.max",),
        "topic": ("Missing topic",),
    }
    assert calls[0][0] == "PUT"
    assert calls[0][1].endswith("/connector-plugins/FileStreamSource/config/validate")


def test_connector_names_are_quoted_in_paths(answer):
    queue, calls = answer
    queue.append(FakeResponse(204))
    connect.connector_pause(TARGET, "a b?c")
    assert calls[0][1] == "http://connect-a:8083/connectors/a%20b%3Fc/pause"


def test_expanded_list_gives_state_and_tasks(answer):
    queue, _ = answer
    queue.append(
        FakeResponse(
            200,
            {
                "src": {
                    "info": {"name": "src", "type": "source", "config": {"connector.class": "X"}, "tasks": []},
                    "status": {
                        "name": "src",
                        "type": "source",
                        "connector": {"state": "RUNNING", "worker_id": "w1"},
                        "tasks": [
                            {"id": 1, "state": "FAILED", "worker_id": "w1", "trace": "boom"},
                            {"id": 0, "state": "RUNNING", "worker_id": "w1"},
                        ],
                    },
                }
            },
        )
    )
    (row,) = connect.connectors(TARGET)
    assert row.status.state == "RUNNING"
    assert [t.id for t in row.status.tasks] == [0, 1]
    assert row.status.failed_tasks[0].trace == "boom"
    assert row.info.class_name == "X"


def test_target_name_is_derived_from_url():
    assert connect.target_name("http://connect-a:8083/") == "connect-a-8083"
    assert connect.target_name("https://c.example.com/connect") == "c.example.com-connect"
