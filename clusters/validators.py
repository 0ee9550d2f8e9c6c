"""Validation of cluster connection fields; the model, the form and the API share it."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from cryptography import x509
from django.core.exceptions import ValidationError

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)
MAX_BOOTSTRAP_SERVERS = 32


def parse_bootstrap_servers(value: str) -> list[str]:
    """Split "host:port,host:port" into a list, checking each entry; raises ValidationError."""
    entries = [e.strip() for e in re.split(r"[,\s]+", value or "") if e.strip()]
    if not entries:
        raise ValidationError("Enter at least one broker as host:port, e.g. kafka-1.example.com:9092.")
    if len(entries) > MAX_BOOTSTRAP_SERVERS:
        raise ValidationError(f"At most {MAX_BOOTSTRAP_SERVERS} bootstrap servers; a few per cluster are enough.")
    problems = [e for e in entries if not _valid_host_port(e)]
    if problems:
        listed = ", ".join(f"'{p}'" for p in problems[:5])
        raise ValidationError(
            f"{listed} {'is' if len(problems) == 1 else 'are'} not host:port with a port from 1 to 65535 "
            "(e.g. kafka-1.example.com:9092 or [::1]:9092; no scheme like PLAINTEXT://)."
        )
    return entries


def _valid_host_port(entry: str) -> bool:
    if "://" in entry:
        return False
    if entry.startswith("["):
        host, sep, port = entry[1:].partition("]:")
        if not sep:
            return False
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
    else:
        host, sep, port = entry.rpartition(":")
        if not sep or not host:
            return False
        if not _HOSTNAME.match(host):
            return False
    return port.isdigit() and 1 <= int(port) <= 65535


def validate_bootstrap_servers(value: str) -> None:
    parse_bootstrap_servers(value)


def validate_pem_certificates(value: str) -> None:
    """A CA bundle must be one or more PEM certificates."""
    if not value or not value.strip():
        return
    if "-----BEGIN CERTIFICATE-----" not in value:
        raise ValidationError(
            "The CA certificate must be PEM text starting with -----BEGIN CERTIFICATE----- "
            "(convert a DER .crt with `openssl x509 -inform der -in ca.crt -out ca.pem`)."
        )
    try:
        x509.load_pem_x509_certificates(value.strip().encode())
    except ValueError as exc:
        raise ValidationError(f"The CA certificate is not a valid PEM certificate: {exc}.") from exc


def _valid_http_url(url: str) -> bool:
    # Django's URLValidator refuses single-label hosts such as http://connect:8083,
    # which are common for Connect workers and registries, so check the parts here.
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or port == 0:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOSTNAME.match(host))


def parse_url_list(value: str | list[str]) -> list[str]:
    """A list of http(s) URLs from a list or from text separated by commas or new lines."""
    items = value if isinstance(value, list) else re.split(r"[,\s]+", value or "")
    urls = [str(u).strip() for u in items if str(u).strip()]
    for u in urls:
        if not _valid_http_url(u):
            raise ValidationError(f"'{u}' is not an http:// or https:// URL.")
    return urls


def validate_http_url(value: str) -> None:
    if value and not _valid_http_url(value.strip()):
        raise ValidationError(f"'{value}' is not an http:// or https:// URL.")


def validate_url_list(value: list[str]) -> None:
    if not isinstance(value, list):
        raise ValidationError("Expected a list of URLs.")
    parse_url_list(value)
