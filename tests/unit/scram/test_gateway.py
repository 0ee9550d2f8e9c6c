"""The SCRAM gateway's pure parts: broker error codes to our errors, and the log filter
that keeps salted passwords out of kafka-python's DEBUG lines."""

import logging

import pytest
from kafka.protocol.admin import AlterUserScramCredentialsRequest

from clusters.gateway import KafkaAuthFailed, KafkaNotFound, KafkaRejected, KafkaRequestFailed, scram
from clusters.gateway.types import ConnectionSettings

SETTINGS = ConnectionSettings(name="prod", bootstrap_servers=("k1:9092",), username="signalbox")


@pytest.mark.parametrize(
    ("code", "message", "kind", "field", "fragment"),
    [
        (91, "Attempt to delete a user credential that does not exist", KafkaNotFound, None, "has no SCRAM-SHA-256"),
        (93, "Too few iterations", KafkaRejected, "iterations", "4096 to 16384"),
        (93, "Too many iterations", KafkaRejected, "iterations", "Too many iterations"),
        (93, "Username must not be empty", KafkaRejected, "user", "Username must not be empty"),
        (33, "Unknown SCRAM mechanism", KafkaRejected, "mechanism", "SCRAM-SHA-256 or SCRAM-SHA-512"),
        (92, "A user credential cannot be altered twice", KafkaRejected, "user", "altered twice"),
        (35, "The current metadata.version does not support SCRAM", KafkaRequestFailed, None, "metadata.version"),
        (31, "", KafkaAuthFailed, None, "'signalbox'"),
        (2, "corrupt", KafkaRequestFailed, None, "corrupt"),
    ],
)
def test_broker_errors_become_ours(code, message, kind, field, fragment):
    error = scram._error(
        SETTINGS, code, message, user="alice", mechanism="SCRAM-SHA-256", iterations=100, doing="testing"
    )
    assert type(error) is kind
    assert getattr(error, "field", None) == field
    assert fragment in error.message and "cluster 'prod'" in error.message


def test_unknown_mechanism_and_absurd_iterations_are_refused_before_hashing():
    with pytest.raises(KafkaRejected) as caught:
        scram.scram_credential_upsert(SETTINGS, "alice", "SCRAM-SHA-1", "Vq7-unit-SECRET-pw!9", 8192)
    assert caught.value.field == "mechanism"
    with pytest.raises(KafkaRejected) as caught:
        scram.scram_credential_upsert(SETTINGS, "alice", "SCRAM-SHA-512", "Vq7-unit-SECRET-pw!9", 10**9)
    assert caught.value.field == "iterations" and "Vq7" not in caught.value.message


def _record(msg, *args):
    return logging.LogRecord("kafka.protocol.parser", logging.DEBUG, __file__, 1, msg, args, None)


def test_log_filter_redacts_scram_requests_and_in_flight_bytes():
    secret = b"\x01salted-hash\xff"
    request = AlterUserScramCredentialsRequest(
        deletions=[],
        upsertions=[
            AlterUserScramCredentialsRequest.ScramCredentialUpsertion(
                name="alice", mechanism=2, iterations=4096, salt=b"salt", salted_password=secret
            )
        ],
    )
    record = _record("%s Sending request %d %s", "node=1", 7, request)
    scram._SECRET_FILTER.filter(record)
    assert "salted" not in record.getMessage() and scram._SECRET_FILTER.REDACTED in record.getMessage()

    with scram._SECRET_FILTER.holding(secret):
        wire = _record("%s Send: %r", "node=1", bytearray(b"\x00\x00head" + secret + b"tail"))
        scram._SECRET_FILTER.filter(wire)
        other = _record("%s Send: %r", "node=1", b"\x00\x00metadata")
        scram._SECRET_FILTER.filter(other)
    assert "salted-hash" not in wire.getMessage() and scram._SECRET_FILTER.REDACTED in wire.getMessage()
    assert "metadata" in other.getMessage()  # unrelated traffic is left alone
    assert scram._SECRET_FILTER._in_flight == []


def test_log_filter_is_installed_on_the_request_loggers():
    scram._guard_logs()
    for name in scram._REQUEST_LOGGERS:
        assert scram._SECRET_FILTER in logging.getLogger(name).filters
