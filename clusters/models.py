"""Clusters and how to reach them; their latest health as seen by the poller."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from clusters.encryption import decrypt_secret, encrypt_secret
from clusters.gateway import ConnectionSettings
from clusters.validators import (
    parse_bootstrap_servers,
    validate_bootstrap_servers,
    validate_http_url,
    validate_pem_certificates,
    validate_url_list,
)


class Cluster(models.Model):
    """A Kafka cluster Signalbox manages. Security settings are typed fields: there is
    deliberately no free-form client-property passthrough (CVE-2023-25194)."""

    class SecurityProtocol(models.TextChoices):
        PLAINTEXT = "PLAINTEXT", "PLAINTEXT"
        SSL = "SSL", "SSL"
        SASL_PLAINTEXT = "SASL_PLAINTEXT", "SASL_PLAINTEXT"
        SASL_SSL = "SASL_SSL", "SASL_SSL"

    class SaslMechanism(models.TextChoices):
        PLAIN = "PLAIN", "PLAIN"
        SCRAM_SHA_256 = "SCRAM-SHA-256", "SCRAM-SHA-256"
        SCRAM_SHA_512 = "SCRAM-SHA-512", "SCRAM-SHA-512"

    name = models.CharField(max_length=100, unique=True)
    bootstrap_servers = models.CharField(
        max_length=2000,
        validators=[validate_bootstrap_servers],
        help_text="Comma-separated host:port pairs, e.g. kafka-1:9092,kafka-2:9092.",
    )
    security_protocol = models.CharField(
        max_length=20, choices=SecurityProtocol.choices, default=SecurityProtocol.PLAINTEXT
    )
    sasl_mechanism = models.CharField(max_length=20, choices=SaslMechanism.choices, blank=True)
    sasl_username = models.CharField(max_length=255, blank=True)
    # Fernet ciphertext; read through .sasl_password, never rendered back.
    sasl_password_encrypted = models.TextField(blank=True, editable=False)
    ca_certificate = models.TextField(
        blank=True, validators=[validate_pem_certificates], help_text="PEM; empty uses the system CAs."
    )
    schema_registry_url = models.CharField(max_length=500, blank=True, validators=[validate_http_url])
    connect_urls = models.JSONField(default=list, blank=True, validators=[validate_url_list])
    metrics_urls = models.JSONField(default=list, blank=True, validators=[validate_url_list])
    poll_interval_s = models.PositiveIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(3600)])
    read_only = models.BooleanField(default=False, help_text="Refuse every change to this cluster from Signalbox.")
    enabled = models.BooleanField(default=True, help_text="Poll this cluster.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def sasl_password(self) -> str:
        return decrypt_secret(self.sasl_password_encrypted)

    @sasl_password.setter
    def sasl_password(self, value: str) -> None:
        self.sasl_password_encrypted = encrypt_secret(value)

    @property
    def has_password(self) -> bool:
        return bool(self.sasl_password_encrypted)

    @property
    def bootstrap_list(self) -> list[str]:
        return parse_bootstrap_servers(self.bootstrap_servers)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.security_protocol.startswith("SASL_"):
            if not self.sasl_mechanism:
                errors["sasl_mechanism"] = f"Choose a SASL mechanism for {self.security_protocol}."
            if not self.sasl_username:
                errors["sasl_username"] = f"A username is required for {self.security_protocol}."
            if not self.sasl_password_encrypted:
                errors["sasl_password"] = f"A password is required for {self.security_protocol}."
        else:
            # Keep no credentials around for a protocol that does not use them.
            self.sasl_mechanism = ""
            self.sasl_username = ""
            self.sasl_password_encrypted = ""
        if self.ca_certificate and self.security_protocol not in ("SSL", "SASL_SSL"):
            errors["ca_certificate"] = "A CA certificate only applies to SSL or SASL_SSL."
        if self.bootstrap_servers:
            with contextlib.suppress(ValidationError):  # reported by the field validator
                self.bootstrap_servers = ",".join(parse_bootstrap_servers(self.bootstrap_servers))
        if errors:
            raise ValidationError(errors)

    def connection(self) -> ConnectionSettings:
        """The typed settings the gateway needs to reach this cluster."""
        return ConnectionSettings(
            ident=f"cluster:{self.pk}",
            name=self.name,
            bootstrap_servers=tuple(self.bootstrap_list),
            security_protocol=self.security_protocol,
            sasl_mechanism=self.sasl_mechanism,
            username=self.sasl_username,
            password=self.sasl_password,
            ca_certificate=self.ca_certificate,
            request_timeout_ms=settings.KAFKA_REQUEST_TIMEOUT_MS,
            bootstrap_timeout_ms=settings.KAFKA_BOOTSTRAP_TIMEOUT_MS,
        )


class ClusterStatus(models.Model):
    """The latest health of a cluster as the poller saw it; one row per cluster,
    updated in place. When a poll fails, the last good values stay and `error` says why."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="status")
    reachable = models.BooleanField(default=False)
    checked_at = models.DateTimeField(null=True)
    last_ok_at = models.DateTimeField(null=True)
    error = models.TextField(blank=True)
    kafka_cluster_id = models.CharField(max_length=64, blank=True)
    controller_id = models.IntegerField(null=True)
    broker_count = models.IntegerField(default=0)
    brokers = models.JSONField(default=list)
    topic_count = models.IntegerField(default=0)
    partition_count = models.IntegerField(default=0)
    under_replicated_partitions = models.IntegerField(default=0)
    offline_partitions = models.IntegerField(default=0)
    round_trip_ms = models.FloatField(null=True)
    poll_duration_ms = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"status of cluster {self.cluster_id}"

    def as_event(self) -> dict[str, object]:
        """The shape pushed to browsers and returned by the API."""
        return {
            "cluster": self.cluster_id,
            "reachable": self.reachable,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "error": self.error,
            "kafka_cluster_id": self.kafka_cluster_id,
            "controller_id": self.controller_id,
            "broker_count": self.broker_count,
            "topic_count": self.topic_count,
            "partition_count": self.partition_count,
            "under_replicated_partitions": self.under_replicated_partitions,
            "offline_partitions": self.offline_partitions,
            "round_trip_ms": self.round_trip_ms,
        }
