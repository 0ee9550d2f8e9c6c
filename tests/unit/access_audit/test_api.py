"""The audit API: list with filters and cursors, CSV export, errors naming the parameter."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from access.tokens import token_create
from tests.unit.access_audit.conftest import ago

pytestmark = pytest.mark.django_db

LIST = "/api/v1/audit/"
EXPORT = "/api/v1/audit/export.csv"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_url_names():
    assert reverse("audit-list") == LIST
    assert reverse("audit-export") == EXPORT


def test_list_shape_filters_and_cursor_links(root, prod, event):
    for i in range(60):
        event(root, action="topic.create" if i % 2 else "group.delete", cluster=prod, target=f"t{i}", at=ago(hours=i))
    api = _api(root)
    body = api.get(LIST).json()
    assert len(body["results"]) == 50 and body["previous"] is None and body["previous_cursor"] is None
    first = body["results"][0]
    assert first["target"] == "t0" and first["user"] == "root" and first["cluster"] == prod.pk
    assert set(first) >= {"at", "token", "source_ip", "request_id", "cluster_name", "result", "error", "before"}
    following = api.get(body["next"]).json()
    assert [r["target"] for r in following["results"]] == [f"t{i}" for i in range(50, 60)]
    assert following["next"] is None and following["previous_cursor"]
    topics = api.get(LIST, {"action": "topic.", "limit": "5"}).json()
    assert [r["target"] for r in topics["results"]] == ["t1", "t3", "t5", "t7", "t9"]
    assert "action=topic." in topics["next"] and "limit=5" in topics["next"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "last tuesday"}, "from"),
        ({"to": "2025-01-01T25:00"}, "to"),
        ({"result": "unknown"}, "result"),
        ({"cluster": "abc"}, "cluster"),
        ({"cluster": "99999"}, "cluster"),
        ({"cursor": "zzz"}, "cursor"),
        ({"limit": "-3"}, "limit"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(root, params, field):
    # The export has no pages: it ignores cursor and limit.
    for url in (LIST, EXPORT) if field not in ("cursor", "limit") else (LIST,):
        response = _api(root).get(url, params)
        assert response.status_code == 400, (url, response.content)
        assert field in response.json()["errors"], response.json()


def test_visibility_is_the_same_as_the_page(ann, olly, root, prod, stage, roles, event):
    mine = event(olly, cluster=prod)
    theirs = event(root, cluster=prod)
    event(root, cluster=stage)
    assert [r["id"] for r in _api(olly).get(LIST).json()["results"]] == [mine.pk]
    assert {r["id"] for r in _api(ann).get(LIST).json()["results"]} == {mine.pk, theirs.pk}
    assert _api(olly).get(LIST, {"cluster": stage.pk}).status_code == 400  # not his to see


def test_cluster_admin_view_with_a_read_only_token(ann, root, prod, roles, event):
    event(root, cluster=prod, target="x")
    _, raw = token_create(user=ann, name="audit-reader", scope="read", expires_in_days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    rows = client.get(LIST, {"cluster": prod.pk}).json()["results"]
    assert [r["target"] for r in rows] == ["x"]
    exported = client.get(EXPORT, {"cluster": prod.pk}, HTTP_ACCEPT="text/csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert [r[8] for r in _csv(exported)[1:]] == ["x"]


def test_export_streams_csv_with_the_same_filters_and_escapes_formulas(root, prod, event):
    event(root, cluster=prod, target='=HYPERLINK("http://evil")', error="+1", at=ago(minutes=3))
    event(root, cluster=prod, target="@SUM(A1)", action="topic.delete", at=ago(minutes=2))
    event(root, cluster=None, action="cluster.create", target="-2", before={"a": 1}, after={"a": 2})
    response = _api(root).get(EXPORT, {"action": "topic."})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="signalbox-audit-')
    rows = _csv(response)
    assert rows[0][:3] == ["time", "user", "token"] and "before" in rows[0]
    assert [r[8] for r in rows[1:]] == ["'@SUM(A1)", '\'=HYPERLINK("http://evil")']
    assert rows[2][10] == "'+1"
    everything = _csv(_api(root).get(EXPORT))
    assert len(everything) == 4 and everything[1][8] == "'-2" and everything[1][11] == '{"a": 1}'


def test_anonymous_is_refused():
    assert APIClient().get(LIST).status_code in (401, 403)
    assert APIClient().get(EXPORT).status_code in (401, 403)
