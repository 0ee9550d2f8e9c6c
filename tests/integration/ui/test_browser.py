"""A person in a real browser (Debian's Chromium driven by Playwright): log in and
see the local cluster reachable."""

import os
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from monitoring.services import cluster_poll

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


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
