"""The browser sees what the policy allows: a caseworker signs in and opens their case;
another team's caseworker cannot. Screenshot of the case page as an artefact."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_caseworker_opens_their_case_in_danish(new_page):
    team = TeamFactory(name="Koordineringsenheden")
    worker = UserFactory(username="browser-worker", team=team, roles=["caseworker"])
    outsider = UserFactory(username="browser-outsider", team=TeamFactory(name="Andet hold"), roles=["caseworker"])
    case = CaseFactory(team=team, responsible=worker)

    page = new_page()
    sign_in(page, worker.username)
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("h1").first.inner_text().startswith(case.reference)
    assert page.locator("html").get_attribute("lang") == "da"
    assert screenshot(page, "case-page-smoke").stat().st_size > 1000

    other = new_page()
    sign_in(other, outsider.username)
    response = other.goto(f"/cases/{case.pk}/")
    assert response.status == 404
    assert case.reference not in other.content()
