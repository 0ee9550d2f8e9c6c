"""CSV export internals: formula escaping, batching, the async (ASGI) stream."""

import csv
import io

import pytest
from asgiref.sync import async_to_sync
from django.test import RequestFactory
from django.test.client import AsyncRequestFactory

from access import selectors_audit
from access.models import AuditEvent
from access.selectors_audit import AuditQuery, audit_csv_lines, audit_csv_lines_async, audit_events, csv_safe
from access.views_audit import audit_csv_response
from tests.unit.access_audit.conftest import ago

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+CMD", "'+CMD"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("orders", "orders"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (7, "7"),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def _parse(text):
    return list(csv.reader(io.StringIO(text)))


def test_all_rows_come_in_batches_newest_first(root, event, monkeypatch):
    monkeypatch.setattr(selectors_audit, "EXPORT_BATCH", 7)
    for i in range(23):
        event(root, target=f"t{i}", at=ago(minutes=i))
    chunks = list(audit_csv_lines(audit_events(user=root, query=AuditQuery())))
    assert len(chunks) == 1 + 4  # header, then ceil(23 / 7) batches
    rows = _parse("".join(chunks))
    assert [r[8] for r in rows[1:]] == [f"t{i}" for i in range(23)]


def test_async_stream_matches_the_sync_one(root, event, monkeypatch):
    monkeypatch.setattr(selectors_audit, "EXPORT_BATCH", 4)
    for i in range(10):
        event(root, target=f"=t{i}", before={"k": i}, at=ago(minutes=i))
    qs = audit_events(user=root, query=AuditQuery())

    async def collect():
        return [chunk async for chunk in audit_csv_lines_async(qs)]

    async_chunks = async_to_sync(collect)()
    assert "".join(async_chunks) == "".join(audit_csv_lines(qs))
    assert _parse("".join(async_chunks))[1][8] == "'=t0"


def test_the_response_streams_asynchronously_under_asgi(root):
    AuditEvent.objects.create(actor="root", action="topic.create", target="x")
    qs = audit_events(user=root, query=AuditQuery())
    asgi = audit_csv_response(AsyncRequestFactory().get("/audit/export.csv"), qs)
    wsgi = audit_csv_response(RequestFactory().get("/audit/export.csv"), qs)
    assert asgi.is_async and not wsgi.is_async
    assert asgi["Cache-Control"] == "no-store" and asgi["Content-Type"] == "text/csv; charset=utf-8"
