"""The two-factor sign-in in a real browser, by keyboard alone: password, then the code
field has the focus, the code is typed and Enter leads to the dashboard."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import conftest as browser
from tests.browser.conftest import totp_code
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The browser fixtures live in tests/browser/conftest.py; this module uses them from here.
new_page = browser.new_page
_collected_static = browser._collected_static


def _focused_name(page):
    return page.evaluate("() => document.activeElement.name || ''")


def test_second_factor_by_keyboard(new_page):
    worker = UserFactory(username="kb-2fa", team=TeamFactory(name="Koordineringsenheden"), roles=["caseworker"])
    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    page = new_page()
    page.goto("/cases/")
    page.wait_for_url("**/accounts/login/**")
    page.focus("input[name=username]")
    page.keyboard.type(worker.username)
    page.keyboard.press("Tab")
    page.keyboard.type("test-password-123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/2fa/**")
    assert _focused_name(page) == "code"
    assert "Totrinslogin" in page.content() or "Two-factor" in page.content()
    page.keyboard.type(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/")
    assert page.locator("h1").count() >= 1
