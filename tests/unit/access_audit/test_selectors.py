"""Who sees which audit events, the filters, their parsing, keyset paging and the diff."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from access.models import AuditEvent
from access.selectors_audit import (
    NEWER,
    OLDER,
    AuditQuery,
    Cursor,
    audit_diff,
    audit_events,
    audit_list,
    audit_visible,
)
from tests.grants import grant
from tests.unit.access_audit.conftest import ago

pytestmark = pytest.mark.django_db


def _ids(qs):
    return {e.pk for e in qs}


def _q(**params):
    query = QueryDict(mutable=True)
    query.update(params)
    return AuditQuery.from_params(query)


# -- visibility --------------------------------------------------------------------------------


@pytest.fixture
def trail(root, ann, olly, prod, stage, roles, event):
    """One event of each kind that matters for visibility."""
    return {
        "root_prod": event(root, cluster=prod),
        "root_stage": event(root, cluster=stage),
        "root_global": event(root, action="cluster.create", cluster=None),
        "olly_prod": event(olly, cluster=prod, result="denied", error="needs admin"),
        "olly_global": event(olly, action="token.create"),
        "ann_stage": event(ann, cluster=stage),
        "ann_global": event(ann, action="token.create"),
        "anon_global": event(None, action="token.use", result="denied"),
    }


def test_superuser_sees_every_event(root, trail):
    assert _ids(audit_visible(user=root)) == {e.pk for e in trail.values()}


def test_cluster_admin_sees_that_cluster_and_own_events_only(ann, trail):
    expected = {"root_prod", "olly_prod", "ann_stage", "ann_global"}
    assert _ids(audit_visible(user=ann)) == {trail[k].pk for k in expected}


def test_operator_sees_only_own_events(olly, trail):
    assert _ids(audit_visible(user=olly)) == {trail["olly_prod"].pk, trail["olly_global"].pk}


def test_a_user_without_grants_sees_only_own_and_never_others_global_events(django_user_model, trail, event):
    nobody = django_user_model.objects.create_user("nobody", "n@example.com", "nobody-pass-123")
    mine = event(nobody, action="token.create")
    assert _ids(audit_visible(user=nobody)) == {mine.pk}


def test_admin_through_a_team_sees_the_cluster(django_user_model, prod, trail):
    team = Group.objects.create(name="platform")
    tess = django_user_model.objects.create_user("tess", "t@example.com", "tess-pass-123")
    tess.groups.add(team)
    grant(None, prod, "admin", team=team)
    assert _ids(audit_visible(user=tess)) == {trail["root_prod"].pk, trail["olly_prod"].pk}


def test_inactive_users_see_nothing(ann, trail):
    ann.is_active = False
    ann.save()
    assert not audit_visible(user=ann).exists()


def test_a_topic_limited_admin_grant_is_not_cluster_admin(django_user_model, prod, trail):
    topical = django_user_model.objects.create_user("topical", "t@example.com", "topical-pass-123")
    grant(topical, prod, "admin", topic_pattern="payments.*")
    assert not audit_visible(user=topical).exists()


def test_filtering_by_a_cluster_you_cannot_see_is_a_400_naming_cluster(olly, stage, trail):
    with pytest.raises(ValidationError) as exc:
        audit_events(user=olly, query=_q(cluster=str(stage.pk)))
    assert "cluster" in exc.value.message_dict


def test_a_cluster_filter_never_widens_visibility(olly, prod, trail):
    # olly may see prod but is not its admin: only his own prod events.
    assert _ids(audit_events(user=olly, query=_q(cluster=str(prod.pk)))) == {trail["olly_prod"].pk}


# -- filters -----------------------------------------------------------------------------------


def test_filters(root, ann, prod, stage, roles, event):
    a = event(root, action="topic.create", cluster=prod, target="payments.eu", at=ago(days=3))
    b = event(ann, action="topic.delete", cluster=prod, target="orders", result="error", at=ago(days=2))
    c = event(ann, action="topics.weird", cluster=stage, target="PAYMENTS.us", at=ago(days=1))
    d = event(root, action="token.create", target="ci", result="denied", at=ago(hours=1))

    def ids(**params):
        return [e.pk for e in audit_events(user=root, query=_q(**params))]

    assert ids() == [d.pk, c.pk, b.pk, a.pk]  # newest first
    assert ids(user="ANN") == [c.pk, b.pk]
    assert ids(cluster=str(prod.pk)) == [b.pk, a.pk]
    assert ids(action="topic.") == [b.pk, a.pk]  # a prefix, and "topics.weird" is not "topic."
    assert ids(action="topic") == [c.pk, b.pk, a.pk]
    assert ids(result="denied") == [d.pk]
    assert ids(result="ERROR") == [b.pk]
    assert ids(target="payments") == [c.pk, a.pk]  # substring, any case
    since = (timezone.now() - dt.timedelta(days=2, hours=12)).isoformat()
    assert ids(**{"from": since}) == [d.pk, c.pk, b.pk]
    until = (timezone.now() - dt.timedelta(hours=12)).isoformat()
    assert ids(to=until) == [c.pk, b.pk, a.pk]
    assert ids(**{"from": since, "to": until, "cluster": str(prod.pk)}) == [b.pk]


def test_a_date_alone_covers_the_whole_day(root, event):
    day = timezone.localdate() - dt.timedelta(days=5)
    tz = timezone.get_current_timezone()
    first = event(root, at=dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz))
    last = event(root, at=dt.datetime.combine(day, dt.time(23, 59, 59, 900000), tzinfo=tz))
    event(root, at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz))
    event(root, at=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(23, 59), tzinfo=tz))
    got = audit_events(user=root, query=_q(**{"from": day.isoformat(), "to": day.isoformat()}))
    assert [e.pk for e in got] == [last.pk, first.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-13-01"}, "to"),
        ({"to": "2025-02-30T10:00"}, "to"),
        ({"from": "2025-02-02", "to": "2025-02-01"}, "to"),
        ({"result": "maybe"}, "result"),
        ({"cluster": "prod"}, "cluster"),
        ({"cluster": "-1"}, "cluster"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"target": "x" * 501}, "target"),
        ({"action": "a" * 65}, "action"),
    ],
)
def test_bad_filter_values_name_the_parameter(params, field):
    with pytest.raises(ValidationError) as exc:
        _q(**params)
    assert field in exc.value.message_dict, exc.value.message_dict


def test_times_accept_zones_and_a_plus_lost_in_the_url():
    query = _q(**{"from": "2025-03-01T10:00:00 02:00", "to": "2025-03-01T12:00:00Z"})
    assert query.since == dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert query.until == dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    naive = _q(**{"from": "2025-03-01T10:00"}).since
    assert naive is not None and timezone.is_aware(naive)


def test_filter_params_round_trip():
    query = _q(user="ann", cluster="3", action="topic.", result="ok", target="pay", **{"from": "2025-03-01"})
    again = _q(**query.filter_params())
    assert again == query


# -- paging ------------------------------------------------------------------------------------


def test_keyset_pages_cover_every_event_once_even_with_equal_times(root, event):
    same = timezone.now() - dt.timedelta(hours=1)
    for i in range(130):
        event(root, target=f"t{i}", at=same if i % 3 == 0 else ago(minutes=200 - i))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = audit_list(user=root, query=_q(**params))
        seen += [e.pk for e in page.rows]
        pages += 1
        assert len(page.rows) == (50 if page.older else 30)
        if not page.older:
            break
        cursor = page.older
    assert pages == 3
    assert seen == [e.pk for e in AuditEvent.objects.order_by("-at", "-id")]


def test_newer_cursor_walks_back_and_new_events_do_not_shift_pages(root, event):
    for i in range(120):
        event(root, target=f"t{i}", at=ago(minutes=500 - i))
    first = audit_list(user=root, query=_q())
    assert first.newer is None and first.older
    second = audit_list(user=root, query=_q(cursor=first.older))
    third = audit_list(user=root, query=_q(cursor=second.older))
    assert third.older is None and len(third.rows) == 20
    event(root, target="brand-new")  # arrives while someone pages
    again = audit_list(user=root, query=_q(cursor=first.older))
    assert [e.pk for e in again.rows] == [e.pk for e in second.rows]
    back = audit_list(user=root, query=_q(cursor=third.newer))
    assert [e.pk for e in back.rows] == [e.pk for e in second.rows]
    previous = audit_list(user=root, query=_q(cursor=second.newer))
    assert [e.pk for e in previous.rows] == [e.pk for e in first.rows] and previous.newer  # one newer event
    top = audit_list(user=root, query=_q(cursor=previous.newer))
    # Back at the top: the real first page, full length, with the new event, and no "newer" link.
    assert top.rows[0].target == "brand-new" and len(top.rows) == 50
    assert top.newer is None and top.query.cursor is None


def test_limit_and_an_empty_page(root, event):
    for i in range(3):
        event(root, target=f"t{i}")
    page = audit_list(user=root, query=_q(limit="2"))
    assert len(page.rows) == 2 and page.older
    last = audit_list(user=root, query=_q(limit="2", cursor=page.older))
    assert len(last.rows) == 1 and last.older is None and last.newer
    assert audit_list(user=root, query=_q(action="nothing.")).rows == []


def test_cursor_round_trip_and_rejects_tampering():
    at = dt.datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)
    for direction in (OLDER, NEWER):
        assert Cursor.decode(Cursor(direction=direction, at=at, pk=42).encode()) == Cursor(direction, at, 42)
    for bad in ("", "x", "eHx5fHo", Cursor(direction=OLDER, at=at, pk=1).encode()[:-3]):
        with pytest.raises(ValueError):
            Cursor.decode(bad)


# -- diff --------------------------------------------------------------------------------------


def test_diff_lines_per_key_and_marks_changes():
    lines = audit_diff({"a": 1, "b": "x", "gone": True}, {"a": 2, "b": "x", "new": [1]})
    by_key = {d.key: d for d in lines}
    assert [d.key for d in lines] == ["a", "b", "gone", "new"]
    assert by_key["a"].changed and by_key["a"].before == "1" and by_key["a"].after == "2"
    assert not by_key["b"].changed
    assert by_key["gone"].after == "" and by_key["new"].before == "" and by_key["new"].after == "[1]"
    assert [d.key for d in audit_diff(None, {"k": "v"})] == ["k"]
    assert audit_diff(None, None) == []
    scalar = audit_diff(["x"], "y")
    assert len(scalar) == 1 and scalar[0].key == "" and scalar[0].before == '["x"]'


# Speed at 100k events is measured by bench/audit_trail.py, not asserted here.


def test_nul_characters_and_huge_cursor_ids_are_400s_not_database_errors():
    for params, field in (({"target": "a\x00b"}, "target"), ({"user": "\x00"}, "user")):
        with pytest.raises(ValidationError) as exc:
            _q(**params)
        assert field in exc.value.message_dict
    huge = Cursor(direction=OLDER, at=timezone.now(), pk=10**30).encode()
    with pytest.raises(ValidationError) as exc:
        _q(cursor=huge)
    assert "cursor" in exc.value.message_dict
