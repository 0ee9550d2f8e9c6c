"""Changes to SCRAM credentials: set a password (creates the credential when the user has
none for that mechanism) and delete one credential or all of a user's. Each checks
permission first, then validates inside its audit block, so refused input is recorded
too (result "error", nothing changed). No password is ever audited, logged or returned."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from access.audit import audit
from access.permissions import Action, check_permission
from clusters import gateway
from clusters.gateway import scram as scram_gateway
from clusters.gateway.scram import ScramCredentialInfo, ScramUser
from clusters.models import Cluster
from scram import rules
from scram.selectors import signalbox_login

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

log = logging.getLogger(__name__)

ALL_MECHANISMS = ("", "ALL")  # what a delete takes to mean every mechanism of the user


@dataclass(frozen=True)
class CredentialSet:
    user: str
    mechanism: str
    iterations: int
    created: bool  # False: the password of an existing credential was replaced

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user, "mechanism": self.mechanism, "iterations": self.iterations, "created": self.created}


@dataclass(frozen=True)
class CredentialsDeleted:
    user: str
    deleted: tuple[ScramCredentialInfo, ...]
    remaining: tuple[ScramCredentialInfo, ...]


def _target(name: Any) -> str:
    return str(name if name is not None else "").strip()[:500]


def _own_login(cluster: Cluster, name: str, mechanism: str) -> str | None:
    """Why this credential is off limits: it is the one Signalbox itself logs in with."""
    if signalbox_login(cluster=cluster) != (name, mechanism):
        return None
    return (
        f"Signalbox itself logs in to cluster '{cluster.name}' as '{name}' with {mechanism}; changing or "
        "deleting that credential here would lock Signalbox out. Use another user, or rotate it with "
        "kafka-configs and then update the cluster's connection settings."
    )


def _current(settings: gateway.ConnectionSettings, name: str) -> ScramUser | None:
    try:
        return scram_gateway.scram_users_describe(settings, [name])[0]
    except gateway.KafkaNotFound:
        return None


@sensitive_variables("password")  # error reports never show it
def scram_credential_set(
    *, user: User, cluster: Cluster, name: Any, mechanism: Any, password: Any, iterations: Any = None
) -> CredentialSet:
    """Give user `name` a `mechanism` credential with this password (creating the user
    when it has none) or replace the password of the existing one. Raises ValidationError
    naming the field (user, password, mechanism, iterations) for bad or weak input and
    KafkaRejected naming it when the broker refuses."""
    check_permission(user=user, cluster=cluster, action=Action.SCRAM_EDIT)
    with audit(user=user, cluster=cluster, action="scram.credential.set", target=_target(name)) as event:
        name = str(name if name is not None else "").strip()
        password = password if isinstance(password, str) else ""
        errors: dict[str, str] = {}
        if problem := rules.name_problem(name):
            errors["user"] = problem
        mechanism, problem = rules.mechanism_clean(mechanism)
        if problem:
            errors["mechanism"] = problem
        if problem := rules.password_problem(password, name=name):
            errors["password"] = problem
        iterations, problem = rules.iterations_clean(iterations)
        if problem:
            errors["iterations"] = problem
        if not errors and (problem := _own_login(cluster, name, mechanism)):
            errors["user"] = problem
        if errors:
            raise ValidationError(errors)
        settings = cluster.connection()
        current = _current(settings, name)
        previous = current.credential(mechanism) if current is not None else None
        event.before = {"user": name, **previous.as_dict()} if previous is not None else None
        info = scram_gateway.scram_credential_upsert(settings, name, mechanism, password, iterations)
        event.after = {"user": name, **info.as_dict()}
    verb = "created" if previous is None else "changed"
    log.info("SCRAM credential %s of %s %s on %s by %s", mechanism, name, verb, cluster.name, user)
    return CredentialSet(user=name, mechanism=mechanism, iterations=info.iterations, created=previous is None)


def scram_credential_delete(
    *, user: User, cluster: Cluster, name: Any, confirm: Any, mechanism: Any = None
) -> CredentialsDeleted:
    """Delete user `name`'s credential for `mechanism`, or every credential it has when no
    mechanism is given (then it can no longer log in at all). `confirm` must repeat the
    user name exactly. KafkaNotFound when the user has no such credential."""
    check_permission(user=user, cluster=cluster, action=Action.SCRAM_EDIT)
    with audit(user=user, cluster=cluster, action="scram.credential.delete", target=_target(name)) as event:
        name = str(name if name is not None else "")
        errors: dict[str, str] = {}
        if problem := rules.existing_name_problem(name):
            errors["user"] = problem
        wanted: str | None = None
        if str(mechanism if mechanism is not None else "").strip().upper() not in ALL_MECHANISMS:
            wanted, problem = rules.mechanism_clean(mechanism)
            if problem:
                errors["mechanism"] = problem
        if "user" not in errors and confirm != name:
            errors["confirm"] = f"Type the user name '{name}' exactly to confirm."
        if errors:
            raise ValidationError(errors)
        settings = cluster.connection()
        current = scram_gateway.scram_users_describe(settings, [name])[0]
        if wanted is not None and current.credential(wanted) is None:
            has = ", ".join(current.mechanisms) or "none"
            raise gateway.KafkaNotFound(
                f"User '{name}' has no {wanted} credential on cluster '{cluster.name}' (it has: {has})."
            )
        doomed = tuple(c for c in current.credentials if wanted is None or c.mechanism == wanted)
        for credential in doomed:
            if problem := _own_login(cluster, name, credential.mechanism):
                raise ValidationError({"user": problem})
        event.before = {"user": name, "credentials": [c.as_dict() for c in current.credentials]}
        # Kafka refuses two changes to one user in a request: one mechanism at a time.
        for credential in doomed:
            scram_gateway.scram_credential_delete(settings, name, credential.mechanism)
        remaining = tuple(c for c in current.credentials if c not in doomed)
        event.after = {"user": name, "credentials": [c.as_dict() for c in remaining]}
    log.info("SCRAM credentials %s of %s deleted on %s by %s", [c.mechanism for c in doomed], name, cluster.name, user)
    return CredentialsDeleted(user=name, deleted=doomed, remaining=remaining)
