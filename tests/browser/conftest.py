"""Browser tests: Python Playwright driving Debian's Chromium (design.md §5), headless,
no sandbox, background networking off, against pytest-django's live server (real
PostgreSQL; the tests commit, so `make test` runs them in its second phase).
Screenshots go to var/screenshots/ as test artefacts."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    path = os.environ.get("CASEFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is missing: make test installs Debian's chromium package (as root)")
    return path


@pytest.fixture(scope="session")
def _collected_static():
    """WhiteNoise serves the collected files (as in production)."""
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture
def new_page(transactional_db, live_server, _collected_static):
    """``new_page(locale="da-DK")`` → a page in a fresh browser context (own cookies).

    Playwright's sync API switches greenlets, each with its own context variables, so
    it starts only after the test database is set up (serialized rollback restores
    the base data on the connection of the test's context)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)

        def make(locale="da-DK"):
            context = browser.new_context(locale=locale, base_url=live_server.url,
                                          viewport={"width": 1280, "height": 900})
            context.set_default_timeout(15000)
            return context.new_page()

        try:
            yield make
        finally:
            browser.close()
            # The connection the test body opened in Playwright's context would keep
            # the test database busy at teardown.
            from django.db import connections

            connections.close_all()


def totp_code(device) -> str:
    """The current code of a django-otp TOTP device, as an authenticator app shows it."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def sign_in(page, username, password="test-password-123"):  # noqa: S107 - the factories' test password
    """Password, then the second factor (production mode): the user gets a confirmed
    authenticator if they have none, and the code is computed from its key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from caseflow.accounts.models import User

    user = User.objects.get(username=username)
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="browser", confirmed=True))
    # A code is accepted once per time step; a test may sign the same user in twice.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "/accounts/2fa/" in page.url, f"sign-in as {username} failed (at {page.url})"
    device.refresh_from_db()
    page.fill("input[name=code]", totp_code(device))
    page.press("input[name=code]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "/accounts/" not in page.url, f"second factor for {username} failed (at {page.url})"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
