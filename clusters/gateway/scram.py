"""SCRAM credentials (KIP-554): list users with their mechanisms and iteration counts,
set a password (upsert) and delete a credential.

The password only ever leaves this module as the salted PBKDF2 hash Kafka stores, and
that hash is as good as the password for logging in; kafka-python logs every request
object and the raw bytes it sends at DEBUG, so `_SECRET_FILTER` rewrites those lines
while a credential is in flight. No exception message here names a password."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import errors as kafka_errors
from kafka.protocol.admin import AlterUserScramCredentialsRequest, DescribeUserScramCredentialsRequest

from clusters.gateway.connection import admins
from clusters.gateway.errors import (
    GatewayError,
    KafkaAuthFailed,
    KafkaNotFound,
    KafkaRejected,
    KafkaRequestFailed,
)
from clusters.gateway.types import ConnectionSettings

log = logging.getLogger(__name__)

# Kafka's ScramMechanism type codes; 0 is UNKNOWN.
MECHANISMS: dict[str, int] = {"SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2}
_NAMES = {code: name for name, code in MECHANISMS.items()}
_HASHES = {1: "sha256", 2: "sha512"}
# Kafka's bounds for both mechanisms (org.apache.kafka.common.security.scram.internals.ScramMechanism).
MIN_ITERATIONS = 4096
MAX_ITERATIONS = 16384
_SALT_BYTES = 32

_RESOURCE_NOT_FOUND = 91
_DUPLICATE_RESOURCE = 92
_UNACCEPTABLE_CREDENTIAL = 93
_UNSUPPORTED_SASL_MECHANISM = 33
_UNSUPPORTED_VERSION = 35
_AUTH = (29, 30, 31)  # topic/group/cluster authorization failed
# After a change, how long we wait for the broker to list it (its metadata trails the controller a little).
_VISIBLE_WAIT_S = 3.0


@dataclass(frozen=True)
class ScramCredentialInfo:
    """One credential of a user: the mechanism and its PBKDF2 iteration count."""

    mechanism: str
    iterations: int

    def as_dict(self) -> dict[str, Any]:
        return {"mechanism": self.mechanism, "iterations": self.iterations}


@dataclass(frozen=True)
class ScramUser:
    """A user with at least one SCRAM credential on the cluster."""

    user: str
    credentials: tuple[ScramCredentialInfo, ...]

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return tuple(c.mechanism for c in self.credentials)

    def credential(self, mechanism: str) -> ScramCredentialInfo | None:
        return next((c for c in self.credentials if c.mechanism == mechanism), None)

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user, "credentials": [c.as_dict() for c in self.credentials]}


class _ScramSecretFilter(logging.Filter):
    """Rewrites kafka-python's DEBUG lines that would carry a salt and salted password:
    the AlterUserScramCredentials request object, and raw bytes holding a hash in flight."""

    REDACTED = "<SCRAM credential redacted>"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._in_flight: list[bytes] = []

    @contextlib.contextmanager
    def holding(self, secret: bytes) -> Iterator[None]:
        with self._lock:
            self._in_flight.append(secret)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight.remove(secret)

    def _carries_secret(self, value: Any) -> bool:
        if isinstance(value, AlterUserScramCredentialsRequest):
            return True
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            with self._lock:
                return any(secret in data for secret in self._in_flight)
        return False

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(self._carries_secret(a) for a in record.args):
            record.args = tuple(self.REDACTED if self._carries_secret(a) else a for a in record.args)
        return True


_SECRET_FILTER = _ScramSecretFilter()
# The kafka-python loggers that print request objects or sent bytes.
_REQUEST_LOGGERS = ("kafka.net.connection", "kafka.protocol.parser")


def _guard_logs() -> None:
    # Checked at each use, not only at import: logging may be reconfigured after start-up.
    for name in _REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if _SECRET_FILTER not in logger.filters:
            logger.addFilter(_SECRET_FILTER)


def _where(settings: ConnectionSettings) -> str:
    return f"cluster '{settings.name}' ({', '.join(settings.bootstrap_servers)})"


def _send(admin: Any, request: Any) -> Any:
    async def call() -> Any:
        return await admin._manager.send(request)

    try:
        return admin._manager.run(call)
    except kafka_errors.IncompatibleBrokerVersion as exc:
        raise KafkaRequestFailed(
            f"The brokers do not support managing SCRAM credentials ({exc}); it needs Kafka 2.7 or newer."
        ) from None


def _mechanism_code(settings: ConnectionSettings, mechanism: str) -> int:
    code = MECHANISMS.get(mechanism)
    if code is None:
        raise KafkaRejected(
            f"Unknown SCRAM mechanism '{mechanism}' for {_where(settings)}: use SCRAM-SHA-256 or SCRAM-SHA-512.",
            field="mechanism",
        )
    return code


def _error(
    settings: ConnectionSettings,
    code: int,
    message: str | None,
    *,
    user: str,
    mechanism: str = "",
    iterations: int | None = None,
    doing: str,
) -> GatewayError:
    """Our error for a broker's per-user error code; `message` is the broker's own words."""
    where = _where(settings)
    said = message or kafka_errors.for_code(code).__name__
    if code == _RESOURCE_NOT_FOUND:
        what = f"{mechanism} credential" if mechanism else "SCRAM credentials"
        return KafkaNotFound(f"User '{user}' has no {what} on {where} (the broker says: {said}).")
    if code == _UNACCEPTABLE_CREDENTIAL:
        lowered = said.lower()
        if "iteration" in lowered:
            return KafkaRejected(
                f"{where} refused {iterations} iterations for '{user}' ({said}); Kafka accepts "
                f"{MIN_ITERATIONS} to {MAX_ITERATIONS}.",
                field="iterations",
            )
        if "username" in lowered or "user name" in lowered:
            return KafkaRejected(f"{where} refused the user name '{user}': {said}.", field="user")
        return KafkaRejected(f"{where} refused the credential of '{user}': {said}.", field="password")
    if code == _UNSUPPORTED_SASL_MECHANISM:
        return KafkaRejected(
            f"{where} does not support the mechanism {mechanism or '(none)'} ({said}); "
            "use SCRAM-SHA-256 or SCRAM-SHA-512.",
            field="mechanism",
        )
    if code == _DUPLICATE_RESOURCE:
        return KafkaRejected(f"{where} refused two changes to '{user}' in one request: {said}.", field="user")
    if code == _UNSUPPORTED_VERSION:
        return KafkaRequestFailed(
            f"{where} cannot store SCRAM credentials yet ({said}); finalize a metadata.version of "
            "3.5 or newer (kafka-features upgrade) and try again."
        )
    if code in _AUTH:
        who = f"'{settings.username}'" if settings.username else "the anonymous user"
        return KafkaAuthFailed(
            f"{where} denied {doing}: the user Signalbox connects as ({who}) needs ALTER (to change) or "
            f"DESCRIBE (to list) on the cluster resource, or must be a super user. The broker says: {said}."
        )
    return KafkaRequestFailed(f"{where} answered with an error while {doing}: {said}.")


def _users_from(settings: ConnectionSettings, response: Any, doing: str) -> tuple[list[ScramUser], list[str]]:
    """The users a Describe response lists, and the names it says have no credential."""
    if response.error_code:
        raise _error(settings, response.error_code, response.error_message, user="", doing=doing)
    found: list[ScramUser] = []
    missing: list[str] = []
    for result in response.results:
        if result.error_code == _RESOURCE_NOT_FOUND:
            missing.append(str(result.user))
            continue
        if result.error_code:
            raise _error(settings, result.error_code, result.error_message, user=str(result.user), doing=doing)
        credentials = tuple(
            sorted(
                (
                    ScramCredentialInfo(
                        mechanism=_NAMES.get(int(ci.mechanism), f"UNKNOWN({ci.mechanism})"),
                        iterations=int(ci.iterations),
                    )
                    for ci in result.credential_infos
                ),
                key=lambda c: c.mechanism,
            )
        )
        found.append(ScramUser(user=str(result.user), credentials=credentials))
    return sorted(found, key=lambda u: u.user), missing


def _describe(
    admin: Any, settings: ConnectionSettings, users: Sequence[str] | None, doing: str
) -> tuple[list[ScramUser], list[str]]:
    names = None if users is None else [DescribeUserScramCredentialsRequest.UserName(name=u) for u in users]
    return _users_from(settings, _send(admin, DescribeUserScramCredentialsRequest(users=names)), doing)


def scram_users_describe(settings: ConnectionSettings, users: Sequence[str] | None = None) -> tuple[ScramUser, ...]:
    """Every user with a SCRAM credential (or only `users`), sorted by name, each with
    its mechanisms and iteration counts. Raises KafkaNotFound when a named user has none."""
    if users is not None and not users:
        return ()
    doing = "listing SCRAM users"
    with admins.admin(settings, doing) as admin:
        found, missing = _describe(admin, settings, users, doing)
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        raise KafkaNotFound(f"No SCRAM credentials for user {names} on {_where(settings)}.")
    return tuple(found)


def _await_visible(
    admin: Any, settings: ConnectionSettings, user: str, done: Callable[[ScramUser | None], bool]
) -> None:
    """Wait (briefly) until the broker lists the change, so a list right after shows it."""
    deadline = time.monotonic() + _VISIBLE_WAIT_S
    while True:
        found, _missing = _describe(admin, settings, [user], "listing SCRAM users")
        if done(found[0] if found else None) or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def _alter(admin: Any, settings: ConnectionSettings, request: Any, **context: Any) -> None:
    response = _send(admin, request)
    for result in response.results:
        if result.error_code:
            raise _error(settings, result.error_code, result.error_message, **context)


def scram_credential_upsert(
    settings: ConnectionSettings, user: str, mechanism: str, password: str, iterations: int
) -> ScramCredentialInfo:
    """Create the user's credential for `mechanism`, or replace its password: the password
    is salted and hashed here (PBKDF2, `iterations` rounds) and only the hash is sent.
    Broker refusals become KafkaRejected naming the field (iterations, mechanism, user)."""
    code = _mechanism_code(settings, mechanism)
    if not isinstance(iterations, int) or not 1 <= iterations <= MAX_ITERATIONS:
        # Refused before hashing: an absurd count would burn this worker's CPU first.
        raise KafkaRejected(
            f"{iterations} iterations are out of range for {_where(settings)}; Kafka accepts "
            f"{MIN_ITERATIONS} to {MAX_ITERATIONS}.",
            field="iterations",
        )
    salt = secrets.token_bytes(_SALT_BYTES)
    salted = hashlib.pbkdf2_hmac(_HASHES[code], password.encode("utf-8"), salt, iterations)
    upsertion = AlterUserScramCredentialsRequest.ScramCredentialUpsertion(
        name=user, mechanism=code, iterations=iterations, salt=salt, salted_password=salted
    )
    doing = f"setting the {mechanism} credential of '{user}'"
    _guard_logs()
    with _SECRET_FILTER.holding(salted), admins.admin(settings, doing) as admin:
        _alter(
            admin,
            settings,
            AlterUserScramCredentialsRequest(deletions=[], upsertions=[upsertion]),
            user=user,
            mechanism=mechanism,
            iterations=iterations,
            doing=doing,
        )
        expected = ScramCredentialInfo(mechanism=mechanism, iterations=iterations)
        _await_visible(admin, settings, user, lambda found: found is not None and expected in found.credentials)
    log.info("SCRAM credential %s of %s set on %s (%d iterations)", mechanism, user, settings.name, iterations)
    return expected


def scram_credential_delete(settings: ConnectionSettings, user: str, mechanism: str) -> None:
    """Delete the user's credential for one mechanism; KafkaNotFound when it has none.
    (Kafka refuses two changes to one user in a request, so callers delete one at a time.)"""
    code = _mechanism_code(settings, mechanism)
    deletion = AlterUserScramCredentialsRequest.ScramCredentialDeletion(name=user, mechanism=code)
    doing = f"deleting the {mechanism} credential of '{user}'"
    with admins.admin(settings, doing) as admin:
        _alter(
            admin,
            settings,
            AlterUserScramCredentialsRequest(deletions=[deletion], upsertions=[]),
            user=user,
            mechanism=mechanism,
            doing=doing,
        )
        _await_visible(admin, settings, user, lambda found: found is None or mechanism not in found.mechanisms)
    log.info("SCRAM credential %s of %s deleted on %s", mechanism, user, settings.name)
