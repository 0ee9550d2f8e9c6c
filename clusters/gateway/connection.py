"""Admin connections to Kafka: built from typed settings, cached per cluster per
process, guarded by a lock, and every library error turned into one of ours."""

from __future__ import annotations

import contextlib
import logging
import re
import ssl
import threading
import time
from collections import deque
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
    if isinstance(exc, kafka_errors.SaslAuthenticationFailedError):
        return KafkaAuthFailed(
            f"{where} refused the login while {doing}: the username, password or SASL mechanism "
            "is wrong for this cluster."
        )
    if isinstance(exc, kafka_errors.ClusterAuthorizationFailedError | kafka_errors.TopicAuthorizationFailedError):
        return KafkaAuthFailed(f"{where} denied the request while {doing}: the configured user lacks the ACL for it.")
    if isinstance(exc, kafka_errors.KafkaTimeoutError | TimeoutError):
        return KafkaTimeout(
            f"{where} did not answer within {seconds:g} s while {doing}. "
            "The brokers may be overloaded or unreachable; try again."
        )
    if isinstance(exc, kafka_errors.NodeNotReadyError):  # the broker went away between requests
        return KafkaUnreachable(
            f"{where} stopped answering while {doing}: the broker is down or restarting "
            f"(kafka-python: {exc}). Polls go on and recover when it is back."
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


class _BootstrapReasons(logging.Handler):
    """kafka-python retries a failed bootstrap until its timeout and then only says
    "Unable to bootstrap"; the real reason (refused, DNS, bad password) is in its log.
    This handler keeps those lines so the error we raise can name the cause."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: deque[tuple[float, str]] = deque(maxlen=50)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "failed" in message or "Authentication" in message:
            self.lines.append((time.monotonic(), message))

    def since(self, start: float) -> list[str]:
        return [m for t, m in list(self.lines) if t >= start]


_reasons = _BootstrapReasons()


def _listen_for_reasons() -> None:
    # Done at each bootstrap, not at import: logging.config.dictConfig resets child loggers.
    for name in ("kafka.net.manager", "kafka.net.connection"):
        logger = logging.getLogger(name)
        if _reasons not in logger.handlers:
            logger.addHandler(_reasons)
        logger.setLevel(logging.WARNING)
        logger.propagate = False  # we log one translated line instead of every retry


# Bootstraps are serialized so the captured reasons belong to the one that failed.
_bootstrap_lock = threading.Lock()


def _diagnose(settings: ConnectionSettings, reasons: list[str], exc: BaseException) -> GatewayError:
    where = f"cluster '{settings.name}' ({_servers(settings)})"
    seconds = settings.bootstrap_timeout_ms / 1000
    # The closing "Unable to bootstrap" line says nothing; the attempts before it do.
    reasons = [re.sub(r" \(backoff [0-9.]+ secs\)$", "", r) for r in reasons if "Unable to bootstrap" not in r]
    text = " ".join(reasons)
    if "UnsupportedSaslMechanism" in text:
        return KafkaAuthFailed(
            f"{where} does not offer the SASL mechanism {settings.sasl_mechanism}; "
            "choose the mechanism its listener is configured with (e.g. SCRAM-SHA-512)."
        )
    if "Authentication failed" in text or "SaslAuthentication" in text or "authentication" in text.lower():
        return KafkaAuthFailed(
            f"{where} refused the login: the username, password or SASL mechanism "
            f"({settings.sasl_mechanism or 'none'}) is wrong for this cluster."
        )
    if "DNS" in text:
        hosts = ", ".join(sorted({s.rsplit(":", 1)[0] for s in settings.bootstrap_servers}))
        return KafkaUnreachable(f"Cannot resolve the host name of {where} ({hosts}): check the spelling and DNS.")
    if "refused" in text.lower():
        return KafkaUnreachable(
            f"{where} refused the connection: nothing listens on that host and port. "
            "Check the port and that the brokers are running."
        )
    if "SSL" in text or "certificate" in text.lower():
        detail = reasons[-1].split("Handshake failed: ")[-1]
        return KafkaConfigInvalid(
            f"The TLS handshake with {where} failed ({detail}). If the listener is not TLS, choose "
            "PLAINTEXT or SASL_PLAINTEXT; otherwise check the CA certificate."
        )
    if settings.uses_sasl and "disconnected" in text and "SSL" not in text:
        # Brokers close the socket on a failed SASL login, sometimes before the client
        # reads the error response; a listener that does not speak SASL does the same.
        return KafkaAuthFailed(
            f"{where} closed the connection during the SASL login ({settings.sasl_mechanism}): "
            "most likely the username or password is wrong, or this listener does not use SASL."
        )
    if settings.security_protocol == "PLAINTEXT" and "disconnected" in text:
        return KafkaUnreachable(
            f"{where} closed the connection during the handshake: the listener probably expects "
            "SASL or TLS; choose the matching security protocol."
        )
    if isinstance(exc, kafka_errors.KafkaTimeoutError):
        last = f" Last error: {reasons[-1]}." if reasons else ""
        return KafkaTimeout(
            f"No broker of {where} answered within {seconds:g} s.{last} "
            "Check the bootstrap servers, that the brokers run, and that this server can reach them."
        )
    return translate(exc, settings, "connecting")


def open_admin(settings: ConnectionSettings) -> KafkaAdminClient:
    """A new admin client, connected; raises our errors. The caller closes it."""
    config = client_config(settings)
    wait_s = settings.bootstrap_timeout_ms / 1000 * 2 + 1
    if not _bootstrap_lock.acquire(timeout=wait_s):
        raise KafkaTimeout(f"Too many connections to Kafka are being opened; try cluster '{settings.name}' again.")
    _listen_for_reasons()
    start = time.monotonic()
    try:
        return KafkaAdminClient(bootstrap_timeout_ms=settings.bootstrap_timeout_ms, **config)
    except Exception as exc:  # kafka-python raises many types; translate them all
        error = _diagnose(settings, _reasons.since(start), exc)
        log.warning("Connecting to cluster %s failed: %s", settings.name, error.message)
        raise error from None
    finally:
        _bootstrap_lock.release()


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
