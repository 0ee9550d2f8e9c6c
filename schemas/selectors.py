"""Reads from a cluster's schema registry: subjects, versions, a side-by-side diff, and the topics
each subject belongs to (TopicNameStrategy, against the cluster's stored topics)."""

from __future__ import annotations

import difflib
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from access.permissions import Action, check_permission
from schemas import registry
from schemas.validation import TYPE_LABELS, pretty
from topics.models import TopicMeta

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    AnyUser = AbstractBaseUser | AnonymousUser

MAX_SUBJECT_DETAILS = 500  # latest version fetched for at most this many subjects (one request each)
ROLES = ("key", "value")


class RegistryNotConfigured(registry.RegistryError):
    """The cluster has no schema registry URL (-> API 409; the page shows how to set it)."""

    code = "not_configured"


def registry_url(cluster: Cluster) -> str:
    """The cluster's registry base URL, or RegistryNotConfigured saying how to set one."""
    url = (cluster.schema_registry_url or "").strip()
    if not url:
        raise RegistryNotConfigured(
            f"Cluster '{cluster.name}' has no schema registry URL: a superuser can set it by editing the cluster "
            "(the registry's Confluent-compatible API base, e.g. http://host:8081 or http://host:8080/apis/ccompat/v7)."
        )
    return url


@dataclass(frozen=True)
class TopicUse:
    """The topic a subject belongs to under TopicNameStrategy (`<topic>-key` / `<topic>-value`)."""

    topic: str
    role: str  # "key" or "value"
    exists: bool  # the topic is in the cluster's stored snapshot


def subject_topic(subject: str) -> tuple[str, str] | None:
    """(topic, role) for a TopicNameStrategy subject name, else None."""
    for role in ROLES:
        suffix = f"-{role}"
        if subject.endswith(suffix) and len(subject) > len(suffix):
            return subject[: -len(suffix)], role
    return None


def topic_uses(*, cluster: Cluster, subjects: list[str]) -> dict[str, TopicUse | None]:
    """For each subject, the topic it belongs to (exists=False when the cluster has no such topic)."""
    named = {s: subject_topic(s) for s in subjects}
    wanted = {t[0] for t in named.values() if t}
    existing = set(TopicMeta.objects.filter(cluster=cluster, name__in=wanted).values_list("name", flat=True))
    return {s: TopicUse(topic=t[0], role=t[1], exists=t[0] in existing) if t else None for s, t in named.items()}


@dataclass(frozen=True)
class SubjectRow:
    subject: str
    latest_version: int | None
    schema_type: str | None
    schema_id: int | None
    topic: TopicUse | None
    error: str  # why the latest version could not be read, if it could not

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.schema_type or "", self.schema_type or "-")


@dataclass(frozen=True)
class SubjectList:
    rows: list[SubjectRow]
    global_compatibility: str | None
    truncated: bool  # more subjects than MAX_SUBJECT_DETAILS: the rest are listed without details


def _latest(url: str, subject: str) -> tuple[registry.RegistrySchema | None, str]:
    try:
        return registry.subject_version(url, subject), ""
    except registry.RegistryError as exc:
        return None, exc.message


def subject_list(*, user: AnyUser, cluster: Cluster) -> SubjectList:
    """Subjects with their latest version and type, and the topic each belongs to."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_VIEW)
    url = registry_url(cluster)
    names = registry.subjects(url)
    level = registry.compatibility_get(url)
    detailed = names[:MAX_SUBJECT_DETAILS]
    with ThreadPoolExecutor(max_workers=8) as pool:  # one request per subject: in parallel, bounded
        latest = dict(zip(detailed, pool.map(lambda s: _latest(url, s), detailed), strict=True))
    uses = topic_uses(cluster=cluster, subjects=names)
    rows = []
    for name in names:
        schema, error = latest.get(name, (None, ""))
        rows.append(
            SubjectRow(
                subject=name,
                latest_version=schema.version if schema else None,
                schema_type=schema.schema_type if schema else None,
                schema_id=schema.id if schema else None,
                topic=uses[name],
                error=error,
            )
        )
    return SubjectList(rows=rows, global_compatibility=level, truncated=len(names) > len(detailed))


@dataclass(frozen=True)
class SubjectDetail:
    subject: str
    versions: list[int]  # live versions
    deleted_versions: list[int]  # soft-deleted, not yet permanently removed
    shown: registry.RegistrySchema | None  # the version on display (None when every version is soft-deleted)
    pretty: str
    compatibility: str | None  # the subject's own level (None: the global level applies)
    global_compatibility: str | None
    topic: TopicUse | None

    @property
    def soft_deleted(self) -> bool:
        return not self.versions

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.shown.schema_type, self.shown.schema_type) if self.shown else "-"

    @property
    def effective_compatibility(self) -> str | None:
        return self.compatibility or self.global_compatibility


def subject_detail(*, user: AnyUser, cluster: Cluster, subject: str, version: int | str = "latest") -> SubjectDetail:
    """A subject's versions (live and soft-deleted), one version's schema, its levels and its topic.
    RegistryNotFound when the registry has no such subject at all."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_VIEW)
    url = registry_url(cluster)
    every = registry.subject_versions(url, subject, deleted=True)
    try:
        live = registry.subject_versions(url, subject)
    except registry.RegistryNotFound:
        live = []  # the whole subject is soft-deleted
    shown = None
    if live or version != "latest":
        shown = registry.subject_version(url, subject, version, deleted=True)
    elif every:
        shown = registry.subject_version(url, subject, every[-1], deleted=True)
    return SubjectDetail(
        subject=subject,
        versions=live,
        deleted_versions=[v for v in every if v not in live],
        shown=shown,
        pretty=pretty(shown.schema, shown.schema_type) if shown else "",
        compatibility=registry.compatibility_get(url, subject) if live else None,
        global_compatibility=registry.compatibility_get(url),
        topic=topic_uses(cluster=cluster, subjects=[subject])[subject],
    )


def compatibility_levels(
    *, user: AnyUser, cluster: Cluster, subject: str | None = None
) -> tuple[str | None, str | None]:
    """(the subject's own level or None, the global level); only the global one when no subject."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_VIEW)
    url = registry_url(cluster)
    own = registry.compatibility_get(url, subject) if subject else None
    return own, registry.compatibility_get(url)


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "changed", "removed" (left only), "added" (right only)
    left_no: int | None
    left: str
    right_no: int | None
    right: str


@dataclass(frozen=True)
class SchemaDiff:
    subject: str
    left: registry.RegistrySchema
    right: registry.RegistrySchema
    rows: list[DiffRow]

    @property
    def changed(self) -> int:
        return sum(1 for r in self.rows if r.kind != "same")


def diff_rows(left: str, right: str) -> list[DiffRow]:
    """Two columns of lines, aligned, each row marked same/changed/removed/added."""
    a, b = left.splitlines(), right.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("same", i + 1, a[i], j + 1, b[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        for i, j in itertools.zip_longest(range(i1, i2), range(j1, j2)):
            kind = "changed" if i is not None and j is not None else ("removed" if j is None else "added")
            rows.append(
                DiffRow(
                    kind,
                    i + 1 if i is not None else None,
                    a[i] if i is not None else "",
                    j + 1 if j is not None else None,
                    b[j] if j is not None else "",
                )
            )
    return rows


def schema_diff(*, user: AnyUser, cluster: Cluster, subject: str, left: int | str, right: int | str) -> SchemaDiff:
    """Side-by-side diff of two versions of a subject, over their pretty-printed text."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_VIEW)
    url = registry_url(cluster)
    a = registry.subject_version(url, subject, left, deleted=True)
    b = registry.subject_version(url, subject, right, deleted=True)
    rows = diff_rows(pretty(a.schema, a.schema_type), pretty(b.schema, b.schema_type))
    return SchemaDiff(subject=subject, left=a, right=b, rows=rows)
