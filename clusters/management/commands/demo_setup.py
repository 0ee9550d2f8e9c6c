"""Prepare a local demo: an admin login and the local cluster registered."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from clusters import services
from clusters.models import Cluster


class Command(BaseCommand):
    help = "Create (or reset) the demo admin user and register the local cluster; prints the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bootstrap", required=True, help="host:port of the local Kafka.")
        parser.add_argument("--connect-url", default="", help="Kafka Connect REST URL.")
        parser.add_argument("--schema-registry-url", default="", help="Confluent-compatible schema registry URL.")
        parser.add_argument("--metrics-urls", default="", help="Comma-separated Prometheus URLs of the brokers.")
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--password-file", default=str(Path(django_settings.BASE_DIR) / ".cache" / "demo-admin-password")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password_file = Path(options["password_file"])
        if password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=options["username"], defaults={"email": "admin@localhost"})
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()

        fields = {
            "name": "local",
            "bootstrap_servers": options["bootstrap"],
            "connect_urls": [options["connect_url"]] if options["connect_url"] else [],
            "schema_registry_url": options["schema_registry_url"],
            "metrics_urls": [u for u in options["metrics_urls"].split(",") if u],
            "poll_interval_s": 5,
            "enabled": True,
        }
        cluster = Cluster.objects.filter(name="local").first()
        if cluster is None:
            services.cluster_create(user=user, fields=fields)
        elif any(getattr(cluster, name) != value for name, value in fields.items()):
            services.cluster_update(user=user, cluster=cluster, fields=fields)
        self.stdout.write(f"login: {options['username']} / {password}")
