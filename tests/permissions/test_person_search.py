import pytest
from django.urls import reverse

from tests.factories import CaseFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_person_search_says_only_that_a_case_exists_for_invisible_cases(client):
    team, other = TeamFactory(name="Eget"), TeamFactory(name="Andet")
    searcher = UserFactory(team=team, roles=["caseworker"])
    owner = UserFactory(team=other, roles=["caseworker"], first_name="Olga", last_name="Ejer")
    hidden = CaseFactory(team=other, responsible=owner,
                         person=PersonFactory(first_name="Ahmad", last_name="Skjultsen"))
    mine = CaseFactory(team=team, responsible=searcher,
                       person=PersonFactory(first_name="Ahmad", last_name="Synligsen"))
    client.force_login(searcher)
    content = client.get(reverse("people:search"), {"q": "Ahmad"}).content.decode()
    assert mine.reference in content
    assert "Synligsen" in content
    assert hidden.reference not in content
    assert "Skjultsen" not in content
    assert "Olga Ejer" in content  # "a case exists — contact Olga Ejer"


def test_person_search_refused_for_providers_and_auditors(client):
    for role in ("mentor", "auditor", "bbu_liaison"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("people:search"), {"q": "x"}).status_code == 403


def test_person_search_empty_criterion_is_a_form_error(client):
    client.force_login(UserFactory(roles=["caseworker"]))
    response = client.get(reverse("people:search"), {"q": " "})
    assert response.status_code == 200
    assert response.context["hits"] is None
