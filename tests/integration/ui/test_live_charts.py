"""Live charts in a real browser: Debian's Chromium opens a consumer group's page
served by Daphne, a real Celery worker and beat poll the real broker every second, and
the lag chart gains points (read from Plotly's own data in the page) without a reload."""

import time

import pytest
from kafka import KafkaProducer
from playwright.sync_api import expect

from tests.integration.kafka_setup import caught_up_group

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pass-123")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/clusters/")


def _points(page, chart: str, trace: int = 0) -> list:
    return page.evaluate(
        """([chart, trace]) => {
            const el = document.querySelector('#chart-' + chart + ' .chart-plot');
            return el && el.data ? el.data[trace].y : null;
        }""",
        [chart, trace],
    )


def test_group_lag_chart_gains_points_without_reload(
    browser,
    asgi_server,
    celery_worker,
    celery_beat,
    admin_user,
    local_cluster,
    stack_env,
):
    local_cluster.poll_interval_s = 1
    local_cluster.save()
    topic, group = caught_up_group(stack_env["KAFKA_BOOTSTRAP"], "chart")
    page = browser.new_page()
    _login(page, asgi_server)

    # The group exists in the snapshot once the worker has polled.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = page.goto(f"{asgi_server}/clusters/{local_cluster.pk}/groups/{group}/")
        if response is not None and response.status == 200:
            break
        time.sleep(1)
    else:
        pytest.fail(f"group page never appeared; worker log:\n{celery_worker.log_text()}")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#chart-lag figcaption")).to_contain_text("Lag")
    expect(page.locator("html")).to_have_attribute("data-live", "connected", timeout=15000)

    # Points arrive over the websocket: the total-lag trace grows while lag is 0.
    page.wait_for_function(
        "() => { const el = document.querySelector('#chart-lag .chart-plot');"
        " return el && el.data && el.data[0].y.filter((v) => v !== null).length >= 2; }",
        timeout=30000,
    )
    before = [v for v in _points(page, "lag") if v is not None]
    assert before[-1] == 0

    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    for i in range(40):
        producer.send(topic, f"more-{i}".encode())
    producer.flush()
    producer.close()

    # Without a reload the chart shows the new lag of 40, for the total and for the topic's line.
    page.wait_for_function(
        "() => { const d = document.querySelector('#chart-lag .chart-plot').data;"
        " return d[0].y[d[0].y.length - 1] === 40 && d[1].y[d[1].y.length - 1] === 40; }",
        timeout=30000,
    )
    after = [v for v in _points(page, "lag") if v is not None]
    assert len(after) > len(before)
    assert page.evaluate("window.__sameDocument") is True  # the page was not reloaded
    assert page.locator("#chart-lag .chart-plot").get_attribute("data-loads") == "1"  # nor re-fetched
    expect(page.locator("#group-total-lag")).to_have_text("40")
    names = page.evaluate("() => document.querySelector('#chart-lag .chart-plot').data.map((t) => t.name)")
    assert names == ["total", topic]
    page.close()
