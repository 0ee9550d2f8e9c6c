"""Offset reset, group delete and offsets delete without a network: input checked
before Kafka is asked, the old -> new plan of every strategy, permissions and
read-only clusters, and the 409 shape of a group in use."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from clusters.gateway.group_admin import GroupPositions, KafkaGroupActive, group_active_error
from clusters.gateway.groups import GroupMember
from clusters.gateway.types import ConnectionSettings
from clusters.models import Cluster, ClusterStatus
from consumer_groups import services
from consumer_groups.api_offsets import conflict_body
from consumer_groups.forms import OffsetResetForm
from tests.grants import grant

NOW = 1_700_000_000_000


def clean(**kwargs):
    args = {"scope": "all", "strategy": "earliest", "now_ms": NOW}
    args.update(kwargs)
    return services.reset_request_clean(**args)


def field_errors(excinfo):
    return excinfo.value.message_dict


# -- input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"scope": "everything"}, "scope", "all, topic, partitions"),
        ({"strategy": "middle"}, "strategy", "earliest, latest"),
        ({"scope": "topic"}, "topic", "Choose the topic"),
        ({"scope": "partitions", "topic": "t"}, "partitions", "at least one"),
        ({"scope": "partitions", "topic": "t", "partitions": ["x"]}, "partitions", "'x' is not a partition"),
        ({"scope": "partitions", "topic": "t", "partitions": [-1]}, "partitions", "start at 0"),
        ({"strategy": "timestamp"}, "timestamp", "Give the time"),
        ({"strategy": "timestamp", "timestamp": "yesterday"}, "timestamp", "ISO 8601"),
        ({"strategy": "timestamp", "timestamp": NOW + 60_000}, "timestamp", "in the future"),
        ({"strategy": "timestamp", "timestamp": "2999-01-01T00:00:00Z"}, "timestamp", "in the future"),
        ({"strategy": "timestamp", "timestamp": -5}, "timestamp", "after 1970"),
        ({"strategy": "offset"}, "offset", "required"),
        ({"strategy": "offset", "offset": "ten"}, "offset", "not a whole number"),
        ({"strategy": "offset", "offset": -1}, "offset", "start at 0"),
        ({"strategy": "shift"}, "shift", "required"),
        ({"strategy": "shift", "shift": 0}, "shift", "changes nothing"),
        ({"strategy": "shift", "shift": True}, "shift", "not a whole number"),
    ],
)
def test_bad_input_names_the_field(kwargs, field, fragment):
    with pytest.raises(ValidationError) as excinfo:
        clean(**kwargs)
    errors = field_errors(excinfo)
    assert field in errors, errors
    assert fragment in " ".join(errors[field])


def test_clean_request_parses_times_and_partitions():
    request = clean(scope="partitions", topic=" t ", partitions=["2", 0, 2], strategy="timestamp", timestamp="1000")
    assert request.topic == "t" and request.partitions == (0, 2) and request.timestamp_ms == 1000
    assert clean(strategy="timestamp", timestamp="2023-11-14T22:13:20Z").timestamp_ms == NOW
    assert clean(strategy="timestamp", timestamp=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)).timestamp_ms == NOW
    assert clean(strategy="shift", shift="-3").shift == -3
    assert clean(strategy="offset", offset="0").offset == 0
    # "all" ignores a stray topic, so the plan covers the group's committed partitions.
    assert clean(topic="t").topic == ""


def test_naive_time_is_read_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    assert services.parse_timestamp("2023-11-14T22:13:20") == NOW


# -- the plan --------------------------------------------------------------------------------

POSITIONS = GroupPositions(
    group_id="g",
    committed={("t", 0): 5, ("t", 1): 2},
    watermarks={("t", 0): (0, 10), ("t", 1): (2, 8), ("t", 2): (0, 0)},
)


def plan(request, positions=POSITIONS):
    return services.reset_plan(group_id="g", request=request, positions=positions)


def rows(result):
    return {(r.topic, r.partition): (r.before, r.after) for r in result.rows}


def test_earliest_and_latest_cover_committed_partitions_for_all_topics():
    assert rows(plan(clean(strategy="earliest"))) == {("t", 0): (5, 0), ("t", 1): (2, 2)}
    result = plan(clean(strategy="latest"))
    assert rows(result) == {("t", 0): (5, 10), ("t", 1): (2, 8)}
    assert result.changed_count == 2 and result.dry_run is True


def test_one_topic_covers_every_partition_even_without_a_commit():
    result = plan(clean(scope="topic", topic="t", strategy="latest"))
    assert rows(result) == {("t", 0): (5, 10), ("t", 1): (2, 8), ("t", 2): (None, 0)}
    assert result.commits() == {("t", 0): 10, ("t", 1): 8, ("t", 2): 0}


def test_chosen_partitions_only_and_unknown_partition_is_refused():
    result = plan(clean(scope="partitions", topic="t", partitions=[1], strategy="earliest"))
    assert rows(result) == {("t", 1): (2, 2)}
    assert "Nothing would change" in result.warnings[0]
    with pytest.raises(ValidationError) as excinfo:
        plan(clean(scope="partitions", topic="t", partitions=[1, 7], strategy="earliest"))
    assert "no partition 7" in field_errors(excinfo)["partitions"][0]
    assert "0 to 2" in field_errors(excinfo)["partitions"][0]


def test_exact_offset_out_of_range_names_offset_and_the_range():
    exact = plan(clean(scope="partitions", topic="t", partitions=[0, 2], strategy="offset", offset=0))
    assert rows(exact) == {("t", 0): (5, 0), ("t", 2): (None, 0)}
    with pytest.raises(ValidationError) as excinfo:
        plan(clean(scope="partitions", topic="t", partitions=[0, 1], strategy="offset", offset=9))
    message = field_errors(excinfo)["offset"][0]
    assert "t/1 accepts 2 to 8" in message and "t/0" not in message
    with pytest.raises(ValidationError) as excinfo:
        plan(clean(scope="partitions", topic="t", partitions=[1], strategy="offset", offset=1))
    assert "t/1 accepts 2 to 8" in field_errors(excinfo)["offset"][0]


def test_shift_clamps_and_says_so_per_partition():
    back = plan(clean(strategy="shift", shift=-4))
    assert rows(back) == {("t", 0): (5, 1), ("t", 1): (2, 2)}
    notes = {(r.topic, r.partition): r.note for r in back.rows}
    assert notes[("t", 0)] == ""
    assert "below the earliest offset; clamped to 2" in notes[("t", 1)]
    ahead = plan(clean(strategy="shift", shift=7))
    assert rows(ahead) == {("t", 0): (5, 10), ("t", 1): (2, 8)}
    assert all("clamped" in r.note for r in ahead.rows)
    assert any(w.startswith("t/0: ") for w in ahead.warnings)


def test_shift_leaves_partitions_without_a_commit_alone():
    result = plan(clean(scope="topic", topic="t", strategy="shift", shift=1))
    assert rows(result)[("t", 2)] == (None, None)
    assert ("t", 2) not in result.commits()
    assert "No committed offset" in {r.partition: r.note for r in result.rows}[2]


def test_timestamp_resolves_before_earliest_to_earliest_and_after_last_to_the_end():
    positions = GroupPositions(
        group_id="g",
        committed={("t", 0): 5, ("t", 1): 2},
        watermarks={("t", 0): (0, 10), ("t", 1): (2, 8), ("t", 2): (0, 0)},
        at_timestamp={("t", 0): (0, 5000), ("t", 1): None, ("t", 2): None},
    )
    result = plan(clean(scope="topic", topic="t", strategy="timestamp", timestamp=1000), positions)
    assert rows(result) == {("t", 0): (5, 0), ("t", 1): (2, 8), ("t", 2): (None, 0)}
    notes = {r.partition: r.note for r in result.rows}
    assert "before the earliest record" in notes[0] and "earliest offset 0" in notes[0]
    assert "No record at or after this time" in notes[1]
    assert "no records" in notes[2]
    # A time inside the log: the offset Kafka found, no note.
    inside = GroupPositions(
        group_id="g", committed={("t", 0): 5}, watermarks={("t", 0): (0, 10)}, at_timestamp={("t", 0): (7, 2000)}
    )
    result = plan(clean(strategy="timestamp", timestamp=1500), inside)
    assert rows(result) == {("t", 0): (5, 7)} and result.rows[0].note == ""


def test_all_topics_of_a_group_without_commits_is_refused_on_scope():
    empty = GroupPositions(group_id="g", committed={}, watermarks={})
    with pytest.raises(ValidationError) as excinfo:
        plan(clean(), empty)
    assert "no committed offsets" in field_errors(excinfo)["scope"][0]


# -- the 409 -----------------------------------------------------------------------------------


def test_group_in_use_message_and_body_name_the_members():
    member = GroupMember(
        member_id="m-1", group_instance_id=None, client_id="billing-7", host="/10.0.0.9", assignment=(("t", 0),)
    )
    settings = ConnectionSettings(name="prod", bootstrap_servers=("k:9092",))
    exc = group_active_error(settings, "g", (member,), "resetting its offsets")
    assert isinstance(exc, KafkaGroupActive) and exc.code == "group_active"
    assert "billing-7 (member m-1 on /10.0.0.9)" in exc.message and "cluster 'prod'" in exc.message
    assert "Stop its consumers" in exc.message
    body = conflict_body(exc)
    assert body["code"] == "group_active" and body["group_id"] == "g"
    assert body["members"] == [
        {
            "member_id": "m-1",
            "client_id": "billing-7",
            "host": "/10.0.0.9",
            "group_instance_id": None,
            "assignment": ["t/0"],
        }
    ]


def test_reset_form_passes_partitions_as_a_list():
    form = OffsetResetForm(
        {"scope": "partitions", "topic": "t", "partitions": "0, 2;5", "strategy": "shift", "shift": "-2"}
    )
    assert form.is_valid(), form.errors
    kwargs = form.request_kwargs()
    assert kwargs["partitions"] == ["0", "2", "5"] and kwargs["shift"] == "-2" and kwargs["offset"] is None


# -- permissions (no Kafka is reached) ------------------------------------------------------------


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-123")


@pytest.fixture
def viewer(db):
    return get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-123")


@pytest.fixture
def cluster(db):
    # Nothing listens here: any test that reached Kafka would fail loudly.
    c = Cluster.objects.create(name="offline", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=c)
    return c


RESET = {"scope": "all", "strategy": "earliest"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call", "needed"),
    [
        (lambda u, c: services.group_offsets_reset(user=u, cluster=c, group_id="g", **RESET), "operator"),
        (lambda u, c: services.group_offsets_reset(user=u, cluster=c, group_id="g", dry_run=True, **RESET), "operator"),
        (lambda u, c: services.group_delete(user=u, cluster=c, group_id="g", confirm="g"), "admin"),
        (lambda u, c: services.group_offsets_delete(user=u, cluster=c, group_id="g", topic="t"), "admin"),
    ],
)
def test_viewer_and_read_only_cluster_are_refused_before_kafka(admin, viewer, cluster, call, needed):
    grant(viewer, cluster, "viewer")
    with pytest.raises(PermissionDenied, match=f"needs the {needed} role"):
        call(viewer, cluster)
    denied = 1
    if needed == "admin":  # deleting a group or its offsets is beyond an operator too
        Grant.objects.filter(user=viewer).update(role="operator")
        with pytest.raises(PermissionDenied, match="needs the admin role"):
            call(viewer, cluster)
        denied += 1
    cluster.read_only = True
    cluster.save()
    with pytest.raises(PermissionDenied, match="read-only"):
        call(admin, cluster)
    assert AuditEvent.objects.filter(result="denied").count() == denied + 1


@pytest.mark.django_db
def test_bad_input_and_wrong_confirmation_are_400_before_kafka(admin, cluster):
    client = APIClient()
    client.force_authenticate(admin)
    base = f"/api/v1/clusters/{cluster.pk}/groups/g/"
    response = client.post(base + "offsets/reset/", {"scope": "all", "strategy": "shift"}, format="json")
    assert response.status_code == 400 and "shift" in response.json()["errors"]
    response = client.post(base + "offsets/reset/", {"scope": "all", "strategy": "sideways"}, format="json")
    assert response.status_code == 400 and "strategy" in response.json()["errors"]
    response = client.post(base + "delete/", {"confirm": "other"}, format="json")
    assert response.status_code == 400 and "confirm" in response.json()["errors"]
    response = client.delete(base + "delete/")
    assert response.status_code == 400 and "confirm" in response.json()["errors"]
    response = client.post(base + "offsets/delete/", {"topic": ""}, format="json")
    assert response.status_code == 400 and "topic" in response.json()["errors"]
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_viewer_gets_403_from_the_api_and_pages(viewer, cluster, client):
    api = APIClient()
    api.force_authenticate(viewer)
    base = f"/api/v1/clusters/{cluster.pk}/groups/g/"
    assert api.post(base + "offsets/reset/", RESET, format="json").status_code == 404  # no grant yet
    grant(viewer, cluster, "viewer")
    assert api.post(base + "offsets/reset/", RESET, format="json").status_code == 403
    # The permission is checked before the body: a refused user learns nothing from validation.
    assert api.post(base + "offsets/reset/", {"strategy": "sideways"}, format="json").status_code == 403
    assert api.post(base + "delete/", {"confirm": "g"}, format="json").status_code == 403
    assert api.post(base + "offsets/delete/", {"topic": "t"}, format="json").status_code == 403
    client.force_login(viewer)
    for page in ("reset", "delete", "delete-offsets"):
        assert client.get(f"/clusters/{cluster.pk}/groups/g/{page}/").status_code == 403
