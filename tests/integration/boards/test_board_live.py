"""A board in a real browser: Debian's Chromium opens a user's board with one pinned
group, served by Daphne while a real Celery worker and beat poll the real broker every
second, and the card's lag chart and total lag follow new messages without a reload."""

import os
import time

import pytest
from kafka import KafkaProducer
from playwright.sync_api import expect

from boards import services
from consumer_groups.models import GroupMeta
from tests.integration.kafka_setup import caught_up_group

pytestmark = pytest.mark.django_db(transaction=True)


def _lag_points(page, chart: str) -> list:
    return page.evaluate(
        "(chart) => { const el = document.querySelector('#chart-' + chart + ' .chart-plot');"
        " return el && el.data ? el.data[0].y.filter((v) => v !== null) : null; }",
        chart,
    )


def test_board_lag_chart_gains_points_without_reload(
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
    bootstrap = stack_env["KAFKA_BOOTSTRAP"]
    topic, group = caught_up_group(bootstrap, "board-live")

    # Pin the group once the worker's poll has put it in the snapshot.
    deadline = time.monotonic() + 60
    while not GroupMeta.objects.filter(cluster=local_cluster, group_id=group).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the group never reached the snapshot; worker log:\n{celery_worker.log_text()}")
        time.sleep(0.5)
    board = services.board_create(user=admin_user, name="Live board")
    item = services.board_item_add(user=admin_user, board=board, cluster_id=local_cluster.pk, kind="group", name=group)
    chart = f"item-{item.pk}-lag"

    page = browser.new_page()
    page.goto(f"{asgi_server}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pass-123")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{asgi_server}/clusters/")
    page.click("header nav >> text=Boards")
    page.click(f"text={board.name}")
    expect(page).to_have_url(f"{asgi_server}/boards/{board.share_token}/")
    page.evaluate("window.__sameDocument = true")
    card = page.locator(f"#item-{item.pk}")
    expect(card.locator("h2")).to_contain_text(group)
    expect(page.locator(f"#chart-{chart} figcaption")).to_contain_text("Lag")
    expect(page.locator("html")).to_have_attribute("data-live", "connected", timeout=15000)

    # Pushed points extend the card's total-lag trace while the lag is 0.
    page.wait_for_function(
        "(chart) => { const el = document.querySelector('#chart-' + chart + ' .chart-plot');"
        " return el && el.data && el.data[0].y.filter((v) => v !== null).length >= 2; }",
        arg=chart,
        timeout=30000,
    )
    before = _lag_points(page, chart)
    assert before[-1] == 0

    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(40):
        producer.send(topic, f"more-{i}".encode())
    producer.flush()
    producer.close()

    page.wait_for_function(
        "(chart) => { const d = document.querySelector('#chart-' + chart + ' .chart-plot').data;"
        " return d[0].y[d[0].y.length - 1] === 40; }",
        arg=chart,
        timeout=30000,
    )
    after = _lag_points(page, chart)
    assert len(after) > len(before)
    expect(card.locator("[data-live-fact='total-lag']")).to_have_text("40")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.locator(f"#chart-{chart} .chart-plot").get_attribute("data-loads") == "1"  # nor re-fetch
    assert page.evaluate(f"document.querySelector('#chart-item-{item.pk}-lag-seconds .chart-plot').data.length") == 1
    page.screenshot(path=os.environ.get("SCREENSHOT_DIR", "/tmp") + "/signalbox-board.png", full_page=True)
    page.close()
