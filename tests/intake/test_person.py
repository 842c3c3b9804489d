"""The optional ``person`` of a partner's referral, through the people app's
``person_identify``: bad CPR numbers and birth dates are 400s that write nothing."""

import datetime
import json

import pytest
from django.db import connection
from django.utils import timezone

from caseflow.people.models import Person
from caseflow.referrals.models import Referral

from .conftest import URL

pytestmark = pytest.mark.django_db


def post(api, body, **extra):
    return api.post(URL, data=json.dumps(body), content_type="application/json", **extra)


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ({"cpr": "3213901234"}, "cpr"),  # no 32nd day of the 13th month
        ({"cpr": "0101901"}, "cpr"),  # too short
        ({"cpr": "01019012345"}, "cpr"),  # too long
        ({"cpr": "01019O1234"}, "cpr"),  # a letter O
        ({"cpr": "010190-1234", "birth_date": "1991-01-01"}, "cpr"),  # contradicts the number
        ({"first_name": "Fiktiv", "birth_date": "2999-01-01"}, "birth_date"),
        ({"first_name": "Fiktiv", "birth_date": "1850-01-01"}, "birth_date"),
        ({"first_name": "Fiktiv\u202eveL"}, "first_name"),
    ],
)
def test_referral_create_bad_person_is_400_and_writes_nothing(api, payload, person, field):
    response = post(api, payload | {"person": person}, HTTP_IDEMPOTENCY_KEY="person-1")

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["person"]
    assert field in errors["person"]
    assert Referral.objects.count() == 0
    assert Person.objects.count() == 0


def test_referral_create_with_cpr_links_person_without_clear_number(api, payload):
    response = post(api, payload | {"person": {"cpr": "010190-1234", "first_name": "Fiktiv"}})

    assert response.status_code == 201, response.content
    referral = Referral.objects.select_related("person").get()
    assert referral.person.birth_date == datetime.date(1990, 1, 1)
    assert referral.person.first_name == "Fiktiv"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [referral.person_id])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "0101901234" not in row
    assert "010190-1234" not in row


def test_referral_create_with_name_and_birth_date(api, payload):
    born = timezone.localdate().replace(year=timezone.localdate().year - 15, day=1)
    body = payload | {"person": {"first_name": "Fiktiv", "last_name": "Elev", "birth_date": born.isoformat()}}

    assert post(api, body).status_code == 201

    person = Referral.objects.get().person
    assert (person.first_name, person.last_name, person.birth_date) == ("Fiktiv", "Elev", born)


@pytest.mark.parametrize("person", [None, {}, {"cpr": "", "first_name": "", "last_name": ""}])
def test_referral_create_without_person(api, payload, person):
    assert post(api, payload | {"person": person}).status_code == 201
    assert Referral.objects.get().person is None
    assert Person.objects.count() == 0
