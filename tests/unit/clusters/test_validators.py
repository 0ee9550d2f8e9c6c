import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from clusters.validators import parse_bootstrap_servers, parse_url_list, validate_pem_certificates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("localhost:9092", ["localhost:9092"]),
        (
            "kafka-1.example.com:9092, kafka-2.example.com:9093",
            ["kafka-1.example.com:9092", "kafka-2.example.com:9093"],
        ),
        ("10.0.0.1:9092\n10.0.0.2:9092", ["10.0.0.1:9092", "10.0.0.2:9092"]),
        ("[::1]:9092", ["[::1]:9092"]),
        ("broker_1.internal:19092", ["broker_1.internal:19092"]),
    ],
)
def test_bootstrap_servers_accepts_host_port_lists(raw, expected):
    assert parse_bootstrap_servers(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "at least one broker"),
        ("localhost", "'localhost' is not host:port"),
        ("PLAINTEXT://localhost:9092", "no scheme"),
        ("localhost:0", "port from 1 to 65535"),
        ("localhost:70000", "port from 1 to 65535"),
        ("local host:9092", "not host:port"),
        ("[::1:9092", "not host:port"),
        ("-bad-.example:9092", "not host:port"),
        ("a:1," * 40, "At most 32"),
    ],
)
def test_bootstrap_servers_rejects_with_reason(raw, fragment):
    with pytest.raises(ValidationError) as info:
        parse_bootstrap_servers(raw)
    assert fragment in " ".join(info.value.messages)


def _self_signed_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signalbox-test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_pem_certificate_accepted():
    validate_pem_certificates(_self_signed_pem())
    validate_pem_certificates("")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("not a certificate", "must be PEM text"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "not a valid PEM certificate"),
    ],
)
def test_pem_certificate_rejected(raw, fragment):
    with pytest.raises(ValidationError) as info:
        validate_pem_certificates(raw)
    assert fragment in info.value.messages[0]


def test_url_list_parses_and_rejects():
    assert parse_url_list("http://a:8083\nhttps://b:8083") == ["http://a:8083", "https://b:8083"]
    with pytest.raises(ValidationError, match="file:///etc/passwd"):
        parse_url_list(["file:///etc/passwd"])
