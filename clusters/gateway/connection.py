"""Admin connections to Kafka: built from typed settings, cached per cluster per
process, guarded by a lock, and every library error turned into one of ours."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

from kafka import KafkaAdminClient
from kafka import errors as kafka_errors

from clusters.gateway.errors import (
    GatewayError,
    KafkaAuthFailed,
    KafkaConfigInvalid,
    KafkaRequestFailed,
    KafkaTimeout,
    KafkaUnreachable,
)
from clusters.gateway.types import ConnectionSettings

log = logging.getLogger(__name__)


def client_config(settings: ConnectionSettings) -> dict[str, Any]:
    """kafka-python keyword arguments for these settings (shared by admin, producer
    and consumer clients). Only the typed fields we know are ever passed."""
    config: dict[str, Any] = {
        "bootstrap_servers": list(settings.bootstrap_servers),
        "client_id": "signalbox",
        "security_protocol": settings.security_protocol,
        "request_timeout_ms": settings.request_timeout_ms,
        "reconnect_backoff_max_ms": 2000,
    }
    if settings.uses_sasl:
        config["sasl_mechanism"] = settings.sasl_mechanism
        config["sasl_plain_username"] = settings.username
        config["sasl_plain_password"] = settings.password
    if settings.uses_tls:
        try:
            context = ssl.create_default_context(cadata=settings.ca_certificate or None)
        except (ssl.SSLError, ValueError) as exc:
            raise KafkaConfigInvalid(
                f"The CA certificate of cluster '{settings.name}' could not be loaded ({exc}); "
                "paste the PEM text that starts with -----BEGIN CERTIFICATE-----."
            ) from exc
        config["ssl_context"] = context
    return config


def _servers(settings: ConnectionSettings) -> str:
    return ", ".join(settings.bootstrap_servers)


def translate(exc: BaseException, settings: ConnectionSettings, doing: str) -> GatewayError:
    """Map a kafka-python (or socket) exception to our error with an actionable message."""
    if isinstance(exc, GatewayError):
        return exc
    where = f"cluster '{settings.name}' ({_servers(settings)})"
    seconds = settings.request_timeout_ms / 1000
    if isinstance(exc, kafka_errors.NoBrokersAvailable):
        return KafkaUnreachable(
            f"No broker of {where} answered within {seconds:g} s while {doing}. "
            "Check that the bootstrap servers are right and the brokers are running "
            "and reachable from this server."
        )
    if isinstance(exc, kafka_errors.SaslAuthenticationFailedError | kafka_errors.AuthenticationFailedError):
        return KafkaAuthFailed(
            f"{where} refused the login while {doing}: the username, password or SASL mechanism "
            "is wrong for this cluster."
        )
    if isinstance(
        exc, kafka_errors.ClusterAuthorizationFailedError | kafka_errors.TopicAuthorizationFailedError
    ):
        return KafkaAuthFailed(
            f"{where} denied the request while {doing}: the configured user lacks the ACL for it."
        )
    if isinstance(exc, kafka_errors.KafkaTimeoutError | TimeoutError):
        return KafkaTimeout(
            f"{where} did not answer within {seconds:g} s while {doing}. "
            "The brokers may be overloaded or unreachable; try again."
        )
    if isinstance(exc, kafka_errors.KafkaConnectionError | ConnectionError | OSError):
        return KafkaUnreachable(f"Lost the connection to {where} while {doing}: {exc}.")
    if isinstance(exc, kafka_errors.UnrecognizedBrokerVersion | kafka_errors.IncompatibleBrokerVersion):
        return KafkaRequestFailed(
            f"{where} speaks a Kafka protocol this version of Signalbox does not support "
            f"(while {doing}): {exc}. Kafka 2.1 or newer is required."
        )
    if isinstance(exc, kafka_errors.KafkaConfigurationError):
        return KafkaConfigInvalid(f"The connection settings of {where} are invalid: {exc}.")
    if isinstance(exc, kafka_errors.KafkaError):
        name = type(exc).__name__
        detail = str(exc) or name
        return KafkaRequestFailed(f"{where} answered with an error while {doing}: {detail}.")
    return KafkaRequestFailed(f"Unexpected error from {where} while {doing}: {exc!r}.")


def open_admin(settings: ConnectionSettings) -> KafkaAdminClient:
    """A new admin client, connected; raises our errors. The caller closes it."""
    config = client_config(settings)
    try:
        return KafkaAdminClient(bootstrap_timeout_ms=settings.bootstrap_timeout_ms, **config)
    except Exception as exc:  # kafka-python raises many types; translate them all
        raise translate(exc, settings, "connecting") from None


class _Entry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.admin: KafkaAdminClient | None = None
        self.key = ""


class AdminCache:
    """One admin client per cluster per process, rebuilt when its settings change.

    kafka-python clients are not meant for free sharing between threads, so each
    use holds the cluster's lock, and waits for it only as long as a request may take.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._guard = threading.Lock()

    def _entry(self, name: str) -> _Entry:
        with self._guard:
            return self._entries.setdefault(name, _Entry())

    @contextlib.contextmanager
    def admin(self, settings: ConnectionSettings, doing: str) -> Iterator[KafkaAdminClient]:
        entry = self._entry(settings.ident or settings.name)
        wait_s = (settings.request_timeout_ms + settings.bootstrap_timeout_ms) / 1000 + 1
        if not entry.lock.acquire(timeout=wait_s):
            raise KafkaTimeout(
                f"Another request to cluster '{settings.name}' is still running after {wait_s:g} s; "
                "try again in a moment."
            )
        try:
            if entry.admin is not None and entry.key != settings.cache_key():
                self._close(entry)
            if entry.admin is None:
                entry.admin = open_admin(settings)
                entry.key = settings.cache_key()
            try:
                yield entry.admin
            except GatewayError:
                raise
            except Exception as exc:
                # A failed request may leave the client in a bad state: start afresh next time.
                if not isinstance(exc, kafka_errors.BrokerResponseError):
                    self._close(entry)
                raise translate(exc, settings, doing) from None
        finally:
            entry.lock.release()

    @staticmethod
    def _close(entry: _Entry) -> None:
        admin, entry.admin, entry.key = entry.admin, None, ""
        if admin is not None:
            with contextlib.suppress(Exception):
                admin.close()

    def forget(self, ident: str) -> None:
        """Close and drop the cached client of a cluster (after an edit or delete)."""
        entry = self._entry(ident)
        if entry.lock.acquire(timeout=10):
            try:
                self._close(entry)
            finally:
                entry.lock.release()

    def close_all(self) -> None:
        for name in list(self._entries):
            self.forget(name)


admins = AdminCache()


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
