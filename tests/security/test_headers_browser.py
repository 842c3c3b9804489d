"""The Content-Security-Policy in a real browser: viewflow's Material shell, our pages,
the two-factor pages and the admin load without a single CSP violation (Chromium reports
each one as a console error and a ``securitypolicyviolation`` event)."""

import pytest

from tests.browser import conftest as browser
from tests.browser.conftest import sign_in
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The browser fixtures live in tests/browser/conftest.py; this module uses them from here.
new_page = browser.new_page
_collected_static = browser._collected_static

PASSWORD = "test-password-123"
WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def watched(make_page):
    page = make_page()
    page.context.add_init_script(WATCH)
    console = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type in ("error", "warning") else None)
    return page, console


def violations(page, console, where):
    found = list(page.evaluate("window.__cspViolations || []"))
    found += [text for text in console if "Content Security Policy" in text or "Refused to" in text]
    return [f"{where}: {text}" for text in found]


def test_pages_load_without_csp_violations(new_page):
    team = TeamFactory(name="Koordineringsenheden")
    worker = UserFactory(username="csp-worker", team=team, roles=["caseworker"], is_staff=True, is_superuser=True)
    case = CaseFactory(team=team, responsible=worker)
    page, console = watched(new_page)
    found = []

    page.goto("/accounts/login/")
    found += violations(page, console, "login")
    sign_in(page, worker.username)  # the second step included
    found += violations(page, console, "two-factor step")
    for where, url in [("dashboard", "/dashboard/"), ("case list", "/cases/"),
                       ("case", f"/cases/{case.pk}/"), ("inbox", "/tasks/"), ("admin", "/admin/"),
                       ("admin users", "/admin/accounts/user/")]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found += violations(page, console, where)
    assert page.locator("h1").count() >= 1
    # the Material shell's components really ran (they render the drawer's menu)
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("!!window.customElements.get('vf-page')")
    assert case.reference in page.content()
    assert not found, "\n".join(found)


def test_enrolment_page_with_its_qr_code_has_no_csp_violation(new_page):
    UserFactory(username="csp-new", roles=["caseworker"])
    page, console = watched(new_page)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "csp-new")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "/accounts/2fa/setup/" in page.url
    box = page.locator("figure.otp-qr svg").bounding_box()
    assert box is not None
    assert box["width"] > 50
    assert not violations(page, console, "enrolment")
