"""Reads of SCRAM users, live from Kafka (the broker is the only place they are kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from access.permissions import Action, check_permission
from clusters.gateway import scram as scram_gateway
from clusters.gateway.scram import ScramUser
from clusters.models import Cluster

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def scram_user_list(*, user: User, cluster: Cluster) -> tuple[ScramUser, ...]:
    """Every user with a SCRAM credential on the cluster, sorted by name, with each
    credential's mechanism and iteration count (never anything secret)."""
    check_permission(user=user, cluster=cluster, action=Action.SCRAM_VIEW)
    return scram_gateway.scram_users_describe(cluster.connection())


def scram_user_get(*, user: User, cluster: Cluster, name: str) -> ScramUser:
    """One user's credentials; KafkaNotFound when it has none."""
    check_permission(user=user, cluster=cluster, action=Action.SCRAM_VIEW)
    return scram_gateway.scram_users_describe(cluster.connection(), [name])[0]


def signalbox_login(*, cluster: Cluster) -> tuple[str, str] | None:
    """(user, mechanism) Signalbox itself logs in to the cluster with, when that is SCRAM."""
    if cluster.security_protocol.startswith("SASL_") and cluster.sasl_mechanism.startswith("SCRAM-"):
        return cluster.sasl_username, cluster.sasl_mechanism
    return None
