"""A person in a real browser (Debian's Chromium driven by Playwright): log in and
see the local cluster reachable."""

import os

import pytest
from playwright.sync_api import expect

from monitoring.services import cluster_poll

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_and_see_the_local_cluster_reachable(browser, live_server, admin_user, local_cluster, stack_env):
    cluster_poll(cluster=local_cluster)
    page = browser.new_page()
    page.goto(f"{live_server.url}/clusters/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/clusters/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("didn't match")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pass-123")
    page.click("button[type=submit]")
    row = page.locator(f'tr[data-cluster="{local_cluster.pk}"]')
    expect(row).to_contain_text("local")
    expect(row.locator('[data-field="health"]')).to_have_text("reachable")
    expect(row.locator('[data-field="kafka_cluster_id"]')).to_have_text(stack_env["KAFKA_CLUSTER_ID"])
    expect(row.locator('[data-field="broker_count"]')).to_have_text("1")
    page.screenshot(path=str(os.environ.get("SCREENSHOT_DIR", "/tmp")) + "/signalbox-clusters.png", full_page=True)
    page.close()


def test_create_topic_produce_and_find_the_message_in_the_browser(
    browser, live_server, admin_user, local_cluster, stack_env
):
    """A person creates a topic in the UI, produces a message in the UI and finds it."""
    import uuid

    name = f"ui-{uuid.uuid4().hex[:8]}"
    marker = f"hello-{uuid.uuid4().hex[:6]}"
    cluster_poll(cluster=local_cluster)
    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pass-123")
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/clusters/{local_cluster.pk}/topics/")
    page.click("text=Create topic")
    page.fill("#topic-create-form [name=name]", name)
    page.fill("#topic-create-form [name=partitions]", "2")
    page.fill("#topic-create-form [name=replication_factor]", "1")
    page.click("button[value=dry_run]")
    expect(page.locator("#dry-run-result")).to_contain_text(name)
    page.click("button[value=create]")
    expect(page).to_have_url(f"{live_server.url}/clusters/{local_cluster.pk}/topics/{name}/")

    page.click("text=Produce")
    page.fill("#id_key", "customer-7")
    page.fill("#id_value", '{"greeting": "' + marker + '"}')
    page.select_option("select[name=value_format]", "json")
    page.click("#produce-form button[type=submit]")
    expect(page.locator("#produced")).to_be_visible()
    offset = page.inner_text("#produced-offset")
    assert offset == "0"

    page.goto(f"{live_server.url}/clusters/{local_cluster.pk}/topics/{name}/messages/")
    page.select_option("#id_start", "earliest")
    page.fill("#id_value", marker)
    page.click("#messages-form button[type=submit]")
    expect(page.locator("#result-count")).to_have_text("1")
    expect(page.locator("#message-results")).to_contain_text("customer-7")
    expect(page.locator("#message-results")).to_contain_text(marker)
    page.screenshot(path=str(os.environ.get("SCREENSHOT_DIR", "/tmp")) + "/signalbox-messages.png", full_page=True)
    page.close()
