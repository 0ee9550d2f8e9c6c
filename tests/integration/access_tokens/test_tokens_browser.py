"""A person in a real browser (Debian's Chromium): creates a token, copies it, sees it once,
uses it, revokes it, and finds all of it in the audit trail."""

from __future__ import annotations

import os

import pytest
import requests
from playwright.sync_api import expect

from access.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


def test_create_copy_use_revoke_and_audit(browser, live_server, admin_user, stack_env):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/account/tokens/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pass-123")
    page.click("button[type=submit]")
    expect(page.locator("#tokens-empty")).to_be_visible()

    page.fill("#id_name", "deploy-bot")
    page.check("input[name=scope][value=write]")
    page.click(".tokens-preset[data-days='365']")
    expect(page.locator("#id_expires_in_days")).to_have_value("365")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#token-created")).to_contain_text("only time it is shown")
    secret = page.locator("#tokens-secret").input_value()
    assert secret.startswith("sbx_")
    page.click("#tokens-copy")
    expect(page.locator("#tokens-copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.screenshot(path=f"{SHOTS}/signalbox-token-created.png", full_page=True)

    used = requests.get(
        f"{live_server.url}/api/v1/clusters/", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert used.status_code == 200

    page.goto(f"{live_server.url}/account/tokens/")
    assert secret not in page.content()
    token = ApiToken.objects.get(name="deploy-bot")
    row = page.locator(f'tr[data-token="{token.pk}"]').first
    expect(row).to_contain_text("Read-write")
    expect(row).to_contain_text("127.0.0.1")
    expect(row.locator(".pill")).to_have_text("active")
    row.locator("text=Revoke").click()
    page.click("button.danger")
    expect(page.locator(".flash")).to_contain_text("is revoked")
    expect(page.locator(f'tr[data-token="{token.pk}"] .pill').first).to_have_text("revoked")
    page.screenshot(path=f"{SHOTS}/signalbox-tokens.png", full_page=True)
    refused = requests.get(
        f"{live_server.url}/api/v1/clusters/", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert refused.status_code == 401

    page.goto(f"{live_server.url}/audit/")
    page.fill("#audit-action", "token.")
    page.click("#audit-filters button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/audit/?user=&cluster=&action=token.&result=&from=&to=&target=")
    table = page.locator("#audit-events")
    expect(table).to_contain_text("token.revoke")
    expect(table).to_contain_text("token.create")
    expect(table).to_contain_text("token.use")  # the refused request after revoking
    created = page.locator("tr", has_text="token.create").first
    created.locator("summary").click()
    expect(created.locator(".audit-diff-table")).to_contain_text("deploy-bot")
    assert secret not in page.content()
    page.screenshot(path=f"{SHOTS}/signalbox-audit.png", full_page=True)
    href = page.locator("#audit-csv").get_attribute("href")
    assert href == "/audit/export.csv?action=token."
    context.close()
