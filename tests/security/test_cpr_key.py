"""CPR key rotation (issue 10 point 4): old-key data stays readable, `rotate_cpr_key`
moves every row (ciphertext and blind index) to the current key in batches, idempotently,
audited with counts only; the search by CPR number works afterwards."""

import base64

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.urls import reverse

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.people import cpr as cprmod
from caseflow.people.cpr import (
    cpr_decrypt,
    cpr_encrypt,
    cpr_index,
    cpr_index_candidates,
    cpr_token_is_current,
    current_token_prefix,
)
from caseflow.people.models import Person
from caseflow.people.selectors import search_for
from caseflow.people.services import person_identify
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

OLD_KEY = "old-fictional-cpr-key-0123456789-abcdefghij"
NEW_KEY = "new-fictional-cpr-key-9876543210-klmnopqrst"
NUMBERS = ["0101901234", "2902004000", "1505851111", "0307122222", "1212127777"]


def legacy_token(number: str, secret: str) -> str:
    """A token as written before tokens named their key: ``v1:<Fernet token>``."""
    key = base64.urlsafe_b64encode(cprmod._derive(secret, cprmod.ENCRYPTION_INFO))
    return "v1:" + Fernet(key).encrypt(number.encode()).decode()


@pytest.fixture
def old_rows(settings):
    settings.CASEFLOW_CPR_KEY = OLD_KEY
    settings.CASEFLOW_CPR_OLD_KEYS = []
    people = [person_identify(actor=None, cpr=number, first_name="Fiktiv", last_name=f"Person{i}")
              for i, number in enumerate(NUMBERS[:4])]
    legacy = Person.objects.create(first_name="Gammel", last_name="Form", cpr_encrypted=legacy_token(NUMBERS[4], OLD_KEY),
                                   cpr_index=cpr_index(NUMBERS[4]), cpr_masked="121212-****")
    Person.objects.create(first_name="Uden", last_name="CPR")
    return [*people, legacy]


def rotate(**kwargs):
    call_command("rotate_cpr_key", **kwargs)


def test_token_names_its_key_and_old_keys_still_read(settings):
    settings.CASEFLOW_CPR_KEY = OLD_KEY
    settings.CASEFLOW_CPR_OLD_KEYS = []
    token = cpr_encrypt(NUMBERS[0])
    assert token.startswith(current_token_prefix())
    assert OLD_KEY not in token
    settings.CASEFLOW_CPR_KEY = NEW_KEY
    with pytest.raises(ValueError, match="CPR ciphertext"):
        cpr_decrypt(token)
    settings.CASEFLOW_CPR_OLD_KEYS = [OLD_KEY]
    assert cpr_decrypt(token) == NUMBERS[0]
    assert cpr_decrypt(legacy_token(NUMBERS[1], OLD_KEY)) == NUMBERS[1]
    assert not cpr_token_is_current(token)
    assert cpr_token_is_current(cpr_encrypt(NUMBERS[0]))
    assert cpr_index_candidates(NUMBERS[0])[1] != cpr_index(NUMBERS[0])


def test_rotation_moves_every_row_and_search_still_finds(settings, old_rows, worker, team):
    case = CaseFactory(team=team, responsible=worker, person=old_rows[0])
    settings.CASEFLOW_CPR_KEY = NEW_KEY
    settings.CASEFLOW_CPR_OLD_KEYS = [OLD_KEY]
    # readable before the rotation
    for person, number in zip(old_rows, NUMBERS, strict=True):
        assert cpr_decrypt(Person.objects.get(pk=person.pk).cpr_encrypted) == number

    rotate(batch_size=2)

    with_cpr = Person.objects.exclude(cpr_encrypted="")
    assert with_cpr.count() == 5
    assert not with_cpr.exclude(cpr_encrypted__startswith=current_token_prefix()).exists()
    assert Person.objects.filter(cpr_encrypted="", cpr_index="").count() == 1
    # the old key can go now
    settings.CASEFLOW_CPR_OLD_KEYS = []
    for person, number in zip(old_rows, NUMBERS, strict=True):
        stored = Person.objects.get(pk=person.pk)
        assert cpr_decrypt(stored.cpr_encrypted) == number
        assert stored.cpr_index == cpr_index(number)
    result = search_for(actor=worker, query=f"{NUMBERS[0][:6]}-{NUMBERS[0][6:]}")
    assert [c.case_id for hit in result.people for c in hit.cases] == [case.pk]
    # the same person is found again (no duplicate) when a referral gives the number
    assert person_identify(actor=None, cpr=NUMBERS[1]).pk == old_rows[1].pk

    event = AuditEvent.objects.get(action=AuditAction.CPR_KEY_ROTATED)
    assert event.extra["rotated"] == 5
    assert event.extra["batches"] == 3
    assert event.extra["unreadable"] == 0
    assert event.extra["remaining_on_old_keys"] == 0
    assert event.system_actor == "command:rotate_cpr_key"
    for number in NUMBERS:
        assert number not in str(event.extra)
        assert number[:6] not in str(event.extra)


def test_rotation_is_idempotent(settings, old_rows):
    settings.CASEFLOW_CPR_KEY = NEW_KEY
    settings.CASEFLOW_CPR_OLD_KEYS = [OLD_KEY]
    rotate()
    after_first = dict(Person.objects.values_list("pk", "cpr_encrypted"))
    rotate()
    assert dict(Person.objects.values_list("pk", "cpr_encrypted")) == after_first
    second = AuditEvent.objects.filter(action=AuditAction.CPR_KEY_ROTATED).order_by("-sequence").first()
    assert second.extra["rotated"] == 0


def test_rows_no_key_opens_are_left_and_reported(settings, old_rows):
    settings.CASEFLOW_CPR_KEY = NEW_KEY
    settings.CASEFLOW_CPR_OLD_KEYS = []  # the old key was forgotten
    before = dict(Person.objects.values_list("pk", "cpr_encrypted"))
    with pytest.raises(CommandError, match="could not be decrypted"):
        rotate()
    assert dict(Person.objects.values_list("pk", "cpr_encrypted")) == before
    assert AuditEvent.objects.get(action=AuditAction.CPR_KEY_ROTATED).extra["unreadable"] == 5
    # with the old key added the run completes
    settings.CASEFLOW_CPR_OLD_KEYS = [OLD_KEY]
    rotate()
    assert not Person.objects.exclude(cpr_encrypted="").exclude(cpr_encrypted__startswith=current_token_prefix()).exists()


def test_search_page_finds_by_cpr_after_rotation(client, settings, old_rows, worker, team):
    case = CaseFactory(team=team, responsible=worker, person=old_rows[2])
    settings.CASEFLOW_CPR_KEY = NEW_KEY
    settings.CASEFLOW_CPR_OLD_KEYS = [OLD_KEY]
    rotate()
    client.force_login(worker)
    response = client.post(reverse("people:search"), {"q": "150585-1111"})
    assert response.status_code == 200
    assert [c.case_id for hit in response.context["hits"] for c in hit.cases] == [case.pk]
    assert case.reference in response.content.decode()
