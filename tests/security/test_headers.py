"""Security headers on a real page in production mode (issue 10 point 3)."""

import pytest
from django.urls import reverse

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict:
    found = {}
    for part in header.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.parametrize("page", ["case", "login", "admin"])
def test_security_headers_on_real_pages(client, worker, team, page):
    case = CaseFactory(team=team, responsible=worker)
    if page == "case":
        client.force_login(worker)
        url = reverse("cases:detail", args=[case.pk])
    elif page == "admin":
        worker.is_staff = worker.is_superuser = True
        worker.save()
        client.force_login(worker)
        url = reverse("admin:index")
    else:
        url = reverse("login")
    response = client.get(url, secure=True)
    assert response.status_code == 200
    if page == "case":
        assert case.reference in response.content.decode()

    csp = directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]  # the Material components style at run time
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_inline_script_in_our_pages(client, worker, team):
    case = CaseFactory(team=team, responsible=worker)
    client.force_login(worker)
    for url in (reverse("dashboard:home"), reverse("cases:detail", args=[case.pk]), reverse("login")):
        content = client.get(url).content.decode()
        for chunk in content.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert " onclick=" not in content
        assert " onload=" not in content
