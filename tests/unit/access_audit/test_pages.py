"""The audit trail page and its CSV export."""

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from tests.unit.access_audit.conftest import ago

pytestmark = pytest.mark.django_db

URL = "/audit/"


def _rows(html):
    return re.findall(r'data-event="(\d+)"', html)


def test_url_names():
    assert reverse("audit:list") == URL
    assert reverse("audit:export") == "/audit/export.csv"


def test_login_required(client):
    for url in (URL, "/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_empty_state(client, olly):
    client.force_login(olly)
    html = client.get(URL).content.decode()
    assert 'id="audit-empty"' in html and "No events yet" in html and "You see your own events" in html
    filtered = client.get(URL, {"action": "acl."}).content.decode()
    assert "No event matches these filters" in filtered


def test_table_shows_every_column_and_the_diff(client, root, prod, event):
    event(
        root,
        action="topic.config.update",
        cluster=prod,
        target="orders",
        source_ip="192.0.2.7",
        request_id="req-abc-123",
        token_name="ci (1a2b3c4d)",
        result="error",
        error="Broker said no",
        before={"retention.ms": "1000", "same": "x"},
        after={"retention.ms": "2000", "same": "x"},
    )
    client.force_login(root)
    html = unescape(client.get(URL).content.decode())
    for text in ("root", "token ci (1a2b3c4d)", "192.0.2.7", "req-abc-123", "prod", "topic.config.update"):
        assert text in html, text
    assert "orders" in html and "pill bad" in html and "Broker said no" in html
    assert '<details class="audit-diff">' in html
    changed = re.search(r'<tr class="audit-changed"><th>retention.ms</th><td><code>"1000"</code></td>', html)
    assert changed and "<tr><th>same</th>" in html
    assert f'href="{reverse("clusters:detail", args=[prod.pk])}"' in html


def test_filters_and_the_csv_link_carry_the_same_filters(client, root, prod, stage, event):
    a = event(root, action="topic.create", cluster=prod, target="payments")
    event(root, action="topic.create", cluster=stage, target="payments")
    event(root, action="group.delete", cluster=prod, target="payments")
    client.force_login(root)
    params = {"action": "topic.", "cluster": str(prod.pk), "target": "pay"}
    html = client.get(URL, params).content.decode()
    assert _rows(html) == [str(a.pk)]
    link = unescape(re.search(r'id="audit-csv" href="([^"]+)"', html).group(1))
    assert link.startswith("/audit/export.csv?") and "action=topic." in link and f"cluster={prod.pk}" in link
    response = client.get(link)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response.status_code == 200 and len(rows) == 2 and rows[1][7] == "topic.create"
    assert rows[1][6] == "prod"


def test_paging_links(client, root, event):
    for i in range(55):
        event(root, target=f"t{i}", at=ago(minutes=i))
    client.force_login(root)
    first = client.get(URL).content.decode()
    assert len(_rows(first)) == 50 and 'id="audit-newer"' not in first
    older = unescape(re.search(r'id="audit-older" href="\?([^"]+)"', first).group(1))
    second = client.get(f"{URL}?{older}").content.decode()
    assert len(_rows(second)) == 5 and 'id="audit-older"' not in second and "Newest" in second
    assert client.get(URL, {"limit": "5"}).content.decode().count("data-event=") == 50  # the page is always 50


def test_bad_filter_is_a_400_with_the_reason_and_no_rows(client, root, event):
    event(root)
    client.force_login(root)
    response = client.get(URL, {"from": "someday", "result": "meh"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="audit-error"' in html and "from:" in html and "result:" in html and _rows(html) == []
    export = client.get("/audit/export.csv", {"result": "meh"})
    assert export.status_code == 400 and "result" in export.content.decode()


def test_htmx_request_gets_only_the_table(client, root, event):
    event(root)
    client.force_login(root)
    html = client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert "data-event=" in html and "<html" not in html and 'id="audit-filters"' not in html


def test_cluster_admin_view(client, ann, olly, root, prod, stage, roles, event):
    theirs = event(root, cluster=prod)
    mine = event(olly, cluster=prod)
    event(root, cluster=stage)
    event(root, action="cluster.create")
    client.force_login(ann)
    html = client.get(URL, {"cluster": prod.pk}).content.decode()
    assert sorted(_rows(html)) == sorted([str(theirs.pk), str(mine.pk)])
    assert "(you are admin there)" in html and "prod" in html
    client.force_login(olly)
    assert _rows(client.get(URL, {"cluster": prod.pk}).content.decode()) == [str(mine.pk)]
    hidden = client.get(URL, {"cluster": stage.pk})
    assert hidden.status_code == 400 and "no cluster" in hidden.content.decode()


def test_export_has_a_header_even_when_empty(client, olly):
    client.force_login(olly)
    response = client.get("/audit/export.csv")
    text = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv") and text.splitlines() == [text.splitlines()[0]]
    assert text.startswith("time,user,token,source_ip,request_id,cluster_id,cluster,action,target,result")
