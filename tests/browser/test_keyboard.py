"""Keyboard use (issue 7 item 7): a caseworker signs in, skips the menu and submits a
form with the keyboard alone; errors are announced in a summary and tied to the
fields (aria-invalid, the help text by aria-describedby)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import screenshot, totp_code
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _focused(page):
    return page.evaluate("() => [document.activeElement.tagName, document.activeElement.name || '',"
                         " (document.activeElement.textContent || '').trim()]")


def test_sign_in_skip_link_and_a_form_by_keyboard(new_page):
    worker = UserFactory(username="keyboard-worker", team=TeamFactory(name="Koordineringsenheden"),
                         roles=["caseworker"])
    device = TOTPDevice.objects.create(user=worker, name="keyboard", confirmed=True)
    page = new_page()
    page.goto("/accounts/login/")
    page.focus("input[name=username]")
    page.keyboard.type(worker.username)
    page.keyboard.press("Tab")
    assert _focused(page)[1] == "password"
    page.keyboard.type("test-password-123")
    page.keyboard.press("Enter")
    # The second factor (production mode): the code field has the focus.
    page.wait_for_url("**/accounts/2fa/**")
    assert _focused(page)[1] == "code"
    page.keyboard.type(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")

    # The first Tab on a page reaches the skip link, which moves focus past the menu.
    page.goto("/referrals/new/")
    page.keyboard.press("Tab")
    tag, _name, text = _focused(page)
    assert tag == "A"
    assert text == "Gå til hovedindhold"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    # Submit the empty form from the keyboard: nothing is saved, the errors are announced.
    page.get_by_role("button", name="Registrér henvendelse").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    alert = page.locator("[role=alert]").first
    assert "Intet er gemt" in alert.inner_text()
    concern = page.get_by_label("Bekymring")
    assert concern.get_attribute("aria-invalid") == "true"
    described = concern.get_attribute("aria-describedby") or ""
    assert all(page.locator(f"#{ref}").count() == 1 for ref in described.split())
    screenshot(page, "form-errors-keyboard")
