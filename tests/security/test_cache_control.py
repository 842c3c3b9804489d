"""No browser or proxy keeps a page with personal data (issue 20 point 6): every
authenticated response says ``Cache-Control: no-store, private``."""

import pytest
from django.urls import reverse

from caseflow.cases.models import Case
from caseflow.documents.models import Document
from caseflow.interventions.models import Intervention

pytestmark = pytest.mark.django_db


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_pages_with_personal_data_are_not_stored(client, demo):
    client.force_login(demo["caseworker1"])
    case = Case.objects.filter(responsible=demo["caseworker1"]).order_by("pk").first()
    intervention = Intervention.objects.filter(case=case).order_by("pk").first()
    document = Document.objects.filter(case=case, restricted=False).order_by("pk").first()
    urls = [reverse("dashboard:home"), reverse("cases:detail", args=[case.pk]), "/tasks/",
            reverse("cases:list")]
    if intervention is not None:
        urls.append(reverse("interventions:detail", args=[intervention.pk]))
    if document is not None:
        urls.append(reverse("documents:download", args=[document.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = _directives(response)
        assert {"no-store", "private"} <= directives, (url, directives)
        assert "public" not in directives, url


def test_redirects_and_errors_of_signed_in_users_are_not_stored(client, demo):
    client.force_login(demo["mentor1"])
    response = client.get(reverse("cases:detail", args=[987_654]))
    assert response.status_code == 404
    assert {"no-store", "private"} <= _directives(response)


def test_sign_in_page_is_not_stored(client):
    response = client.get(reverse("login"))
    assert {"no-store", "private"} <= _directives(response)
