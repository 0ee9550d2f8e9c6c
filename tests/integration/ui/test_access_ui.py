"""People in a real browser (Debian's Chromium driven by Playwright) on the SASL cluster:
a viewer sees no change controls and is refused the ACL pages; an operator sees the ACL
list but no create or delete controls; an admin creates ACLs with the wizard and sees
them in the list."""

import os
import uuid

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from clusters.gateway import acls as gateway
from tests.grants import grant

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = str(os.environ.get("SCREENSHOT_DIR", "/tmp"))


def person(cluster, name, role):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", f"pw-{name}-123")
    grant(user, cluster, role)
    return user


def log_in(browser, live_server, name):
    page = browser.new_page()  # a context of its own: its own cookies
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", f"pw-{name}-123")
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text(name)
    return page


def test_viewer_and_operator_see_no_change_controls(browser, live_server, sasl_cluster):
    person(sasl_cluster, "vera", "viewer")
    person(sasl_cluster, "otto", "operator")
    pk, base = sasl_cluster.pk, live_server.url

    page = log_in(browser, live_server, "vera")
    page.goto(f"{base}/clusters/{pk}/topics/")
    expect(page.locator("h1")).to_contain_text("Topics")
    expect(page.get_by_text("Create topic")).to_have_count(0)
    # Listing ACLs needs the operator role; creating one the admin role: typed-in URLs are refused too.
    response = page.goto(f"{base}/clusters/{pk}/acls/")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("needs the operator role")
    response = page.goto(f"{base}/clusters/{pk}/acls/new/")
    assert response.status == 403
    expect(page.locator("#acl-create-form")).to_have_count(0)
    page.close()

    page = log_in(browser, live_server, "otto")
    response = page.goto(f"{base}/clusters/{pk}/acls/")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text("ACLs")
    expect(page.locator("#acl-filter")).to_be_visible()
    for control in ("#acl-create", "#acl-wizard", "#acl-delete", "#acl-delete-matching", "text=Delete…"):
        expect(page.locator(control)).to_have_count(0)
    page.goto(f"{base}/clusters/{pk}/topics/")
    expect(page.get_by_text("Create topic")).to_have_count(0)
    for path in ("new/", "wizard/", "delete/"):
        response = page.goto(f"{base}/clusters/{pk}/acls/{path}")
        assert response.status == 403, path
        expect(page.locator("main")).to_contain_text("needs the admin role")
    page.close()


def test_admin_creates_acls_with_the_wizard_and_sees_them_listed(browser, live_server, sasl_cluster):
    person(sasl_cluster, "ada", "admin")
    app, topic = f"User:ui-{uuid.uuid4().hex[:8]}", f"ui-orders-{uuid.uuid4().hex[:6]}"
    base = live_server.url
    page = log_in(browser, live_server, "ada")
    try:
        page.goto(f"{base}/clusters/{sasl_cluster.pk}/acls/")
        page.click("#acl-wizard")
        expect(page.locator("#acl-wizard-form")).to_be_visible()
        page.check("input[name=preset][value=consumer]")
        page.fill("#id_principal", app)
        page.fill("#id_topic", topic)
        page.fill("#id_group", "billing")
        page.click("button[value=preview]")
        preview = page.locator("#wizard-bindings")
        expect(preview).to_be_visible()
        expect(preview.locator("tbody tr")).to_have_count(3)
        page.click("button[value=apply]")

        expect(page.locator(".flash")).to_contain_text("Created 3 ACL(s)")
        rows = page.locator("#acls tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator(f'tr[data-acl="{app}|GROUP|billing|LITERAL|READ|ALLOW|*"]')).to_be_visible()
        expect(page.locator(f'tr[data-acl="{app}|TOPIC|{topic}|LITERAL|READ|ALLOW|*"]')).to_be_visible()
        expect(page.locator("#acl-count")).to_have_text("3")
        expect(page.locator("#acl-create")).to_be_visible()

        # The filter narrows the table in place (htmx) to the group ACL.
        page.select_option("#id_resource_type", "GROUP")
        expect(rows).to_have_count(1)
        expect(page.locator("#acl-count")).to_have_text("1")
        page.screenshot(path=f"{SHOTS}/signalbox-acls.png", full_page=True)
    finally:
        page.close()
        gateway.acls_delete(sasl_cluster.connection(), [gateway.AclFilter(principal=app)])
